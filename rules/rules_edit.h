// Rules ConfigMaps validated at admission: a CREATE or UPDATE of a
// ConfigMap labelled releasegate.io/rules: "true" is compiled together with
// the rule set in force (its documents replacing those of the same kind and
// name), so a broken rules edit is denied before it is stored and never
// reaches the pods that mount it.
#pragma once

#include "rules/decision.h"
#include "rules/request.h"
#include "rules/rule_set.h"

namespace releasegate::rules {

bool is_rules_config_map_edit(const AdmissionRequest& request);

// Governed, with one rules-edit violation listing every error (file is
// "ConfigMap <ns>/<name> key <key>") when the edit would not compile.
Decision evaluate_rules_edit(const RuleSet& current, const AdmissionRequest& request);

}  // namespace releasegate::rules
