// The release-policy engine: evaluates one typed admission request against a
// compiled rule set. Pure and const: safe to call from any thread, with no
// I/O and no allocation beyond the decision it returns.
#pragma once

#include "core/decision.h"
#include "core/request.h"
#include "core/rule_set.h"
#include "engine/evidence_requirement.h"

namespace releasegate::engine {

// SPEC section 4: the subject (kind, environment, exemptions), then the
// checks of engine/checks.h in order. Rules ConfigMaps are not governed
// here: their edits are validated by runtime/rules_edit.h.
// `observations`: the evidence observed in this cluster and the time, for
// environments that require evidence.
Decision evaluate(const RuleSet& rules, const AdmissionRequest& request, const Observations& observations = {});

// An object as it stands in the cluster (the background audit), given as
// a CREATE with no requester: every check runs as for a CREATE, except
// provenance, which is judged by the object's marks alone (an approved
// delivery for its environment), and not at all for an object a controller
// owns (a ReplicaSet's Pod, a Deployment's ReplicaSet: its owner is judged).
Decision evaluate_at_rest(const RuleSet& rules, const AdmissionRequest& request, bool owned_by_controller);

// The provenance of a rules ConfigMap edit, into `decision`: the rules are
// the promise itself, so a change to them comes from an approved GitOps
// identity with the marks of an approved delivery (of any environment),
// from an exempt requester (the garbage collector, the namespace
// controller), or with break-glass.
void check_rules_edit_provenance(const RuleSet& rules, const AdmissionRequest& request, Decision& decision);

}  // namespace releasegate::engine
