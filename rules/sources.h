// SPEC section 4.4: Flux source objects must fetch from approved URLs and
// refs, and the objects that fetch through sources (Kustomization,
// HelmRelease, HelmChart, Argo CD Application) must name approved ones.
// Every check is skipped when the policy approves no sources at all.
#pragma once

#include <optional>

#include "rules/decision.h"
#include "rules/request.h"
#include "rules/rule_set.h"

namespace releasegate::rules {

// Whether objects of this kind fetch from, or are, a source. Such objects
// are checked even in a namespace without an environment: a GitRepository
// in flux-system feeds every environment.
bool is_source_checked_kind(const GroupVersionKind& kind);

// Adds a Rule::Source violation for each unapproved source or reference.
// `env` narrows the approved sources to those allowed for it.
void check_sources(const RuleSet& rules, const AdmissionRequest& request, const ObjectView& object,
                   std::optional<std::size_t> env, Decision& decision);

}  // namespace releasegate::rules
