// The release-policy engine: evaluates one typed admission request against a
// compiled rule set. Pure and const: safe to call from any thread, with no
// I/O and no allocation beyond the decision it returns.
#pragma once

#include "core/decision.h"
#include "core/request.h"
#include "core/rule_set.h"

namespace releasegate::engine {

// SPEC section 4: the subject (kind, environment, exemptions), then the
// checks of engine/checks.h in order. Rules ConfigMaps are not governed
// here: their edits are validated by runtime/rules_edit.h.
Decision evaluate(const RuleSet& rules, const AdmissionRequest& request);

}  // namespace releasegate::engine
