// The release-policy engine: evaluates one typed admission request against a
// compiled rule set. Pure and const: safe to call from any thread, with no
// I/O and no allocation beyond the decision it returns.
#pragma once

#include "rules/decision.h"
#include "rules/request.h"
#include "rules/rule_set.h"

namespace releasegate::rules {

// SPEC section 4, in order: exemptions, environment, provenance (with
// allowed drift and break-glass), images, charts. Rules ConfigMap edits are
// validated instead (rules_edit.h).
Decision evaluate(const RuleSet& rules, const AdmissionRequest& request);

// Whether the engine governs objects of this kind at all.
bool is_governed_kind(const GroupVersionKind& kind);

// The environment a request is governed in: nullopt when its kind is not
// governed, its namespace is exempt, or no environment matches.
std::optional<std::size_t> governed_environment(const RuleSet& rules, const AdmissionRequest& request);

}  // namespace releasegate::rules
