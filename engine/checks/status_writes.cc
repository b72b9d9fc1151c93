// Rule evidence, at its source: whether a version ran healthy (the
// evidence that promotes it further) is read from the status of
// Deployments, StatefulSets, DaemonSets and HelmReleases
// (evidence/health.h). The status subresource never reaches the main
// webhook entry, and is writable by more than its controller: Flux
// aggregates `flux-edit-<namespace>` (resources "*" on its groups, which
// RBAC applies to subresources too) into the built-in `edit` role. A
// developer with `edit` in staging could write "chart 1.3.0 deployed,
// Ready since 2020" and be credited with years of soak. So wherever an
// environment's evidence counts (it requires evidence, or another takes
// its evidence from it), only the controllers write that status: the
// kube-controller-manager identities (core/evidence.h) for workloads,
// the policy's helm-controller identities for HelmReleases. No exemption
// and no break-glass: there is no routine reason for anyone else to write it.
#include "engine/checks.h"

#include <algorithm>

#include "core/evidence.h"

namespace releasegate::engine {
namespace {

// Whether `env`'s evidence counts for some environment's requirement.
bool supplies_evidence(const RuleSet& rules, std::size_t env) {
  for (std::size_t e = 0; e < rules.environments.size(); ++e) {
    const auto& required = rules.environments[e].evidence_required;
    if (!required) continue;
    if (e == env || required->any || std::find(required->from.begin(), required->from.end(), env) != required->from.end()) {
      return true;
    }
  }
  return false;
}

bool is_helm_controller(const RuleSet& rules, const std::string& username) {
  return std::any_of(rules.identities.begin(), rules.identities.end(), [&](const Identity& identity) {
    return identity.delivers_kind(DeliveryKind::FluxHelmRelease) && identity.usernames.matches(username);
  });
}

}  // namespace

void check_status_writes(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const std::string& user = subject.request.username;
  if (!supplies_evidence(rules, *subject.environment)) return;
  bool helm_release = subject.kind.kind == "HelmRelease";
  if (helm_release ? is_helm_controller(rules, user) : is_workload_status_writer(user)) return;
  findings.add(Rule::Evidence,
               "the status of " + subject.description() + " is written by its controller only (" +
                   (helm_release ? "helm-controller" : "kube-controller-manager") +
                   "): releasegate reads from it whether a version ran healthy in " + subject.environment_name() +
                   ", which is evidence for its promotion; " + (user.empty() ? "an anonymous user" : user) +
                   " may not write it");
}

}  // namespace releasegate::engine
