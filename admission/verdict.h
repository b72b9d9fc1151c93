// The one place where the engine's violations become an admission outcome.
#pragma once

#include <string_view>

#include "core/decision.h"

namespace releasegate::admission {

enum class Outcome {
  NotGoverned,  // allowed; the request is outside every environment
  Allow,        // governed; no violation, or audit-mode ones only
  Warn,         // allowed with Kubernetes warnings
  Deny,
};

// The most severe violation decides: enforce denies, warn warns, audit
// only records.
Outcome decide(const Decision& decision);

std::string_view to_string(Outcome outcome);  // "not-governed", "allow", "warn", "deny"

}  // namespace releasegate::admission
