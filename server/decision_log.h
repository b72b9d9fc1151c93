// The decision log line: one JSON line per admission request, at info
// (warn for a rejected request), written straight into the line without a
// JSON tree (bench: BM_DecisionLogLine against the tree it replaced).
#pragma once

#include <string>

#include "admission/admission_handler.h"
#include "core/json_writer.h"

namespace releasegate::server {

// The line's fields after time, level and msg: the webhook, the status, the
// latency, the request (uid, user, kind, namespace, name, operation, dry
// run), the decision (environment, break-glass, violations by rule and
// mode), the cluster when named.
void write_decision_fields(JsonWriter& line, admission::Endpoint endpoint, const admission::HandledReview& handled,
                           double latency_us, const std::string& cluster);

}  // namespace releasegate::server
