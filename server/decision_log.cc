#include "server/decision_log.h"

namespace releasegate::server {

using admission::Endpoint;
using admission::HandledReview;

void write_decision_fields(JsonWriter& line, Endpoint endpoint, const HandledReview& handled, double latency_us,
                           const std::string& cluster) {
  line.field("webhook", to_string(endpoint)).field("status", handled.http_status);
  line.field("latencyMicros", static_cast<std::int64_t>(latency_us));
  if (!cluster.empty()) line.field("cluster", cluster);
  if (!handled.error.empty()) line.field("error", handled.error);
  if (!handled.review) return;
  const AdmissionRequest& r = handled.review->request;
  line.field("uid", handled.review->uid).field("user", r.username).field("kind", r.kind.kind);
  line.field("namespace", r.namespace_).field("name", r.name).field("operation", to_string(r.operation));
  line.field("dryRun", r.dry_run);
  if (handled.outcome) line.field("decision", to_string(*handled.outcome));
  if (handled.decision) {
    const Decision& d = *handled.decision;
    line.field("environment", d.environment);
    if (d.break_glass) line.field("breakGlass", *d.break_glass);
    if (d.allowed_drift) line.field("allowedDrift", true);
    line.key("violations").begin_array();
    for (const Violation& v : d.violations) {
      line.begin_object().field("rule", to_string(v.rule)).field("mode", to_string(v.mode)).end_object();
    }
    line.end_array();
    if (d.violations_left_out) line.field("violationsLeftOut", static_cast<std::uint64_t>(d.violations_left_out));
  }
  if (endpoint == Endpoint::Mutate) line.field("patchedImages", static_cast<std::uint64_t>(handled.patched_images));
}

}  // namespace releasegate::server
