#include "engine/checks.h"

#include <algorithm>

namespace releasegate::engine {

const std::vector<Check>& checks() {
  using enum KindClass;
  static const std::vector<Check> table = {
      {"provenance", {Workload, Pod, FluxDelivery, FluxSource, HelmChart, ArgoApplication}, RunsWhen::InEnvironment,
       check_provenance},
      {"source", {FluxDelivery, FluxSource, HelmChart, ArgoApplication}, RunsWhen::OnWriteWithApprovedSources,
       check_sources},
      {"tenant-account", {FluxDelivery}, RunsWhen::OnWrite, check_tenant_account},
      {"container-images", {Workload, Pod}, RunsWhen::OnWriteInEnvironment, check_container_images},
      {"charts", {FluxDelivery, HelmChart, ArgoApplication}, RunsWhen::OnWriteInEnvironment, check_charts},
      {"values-images", {FluxDelivery}, RunsWhen::OnWriteInEnvironment, check_values_images},
  };
  return table;
}

bool runs(const Check& check, const Subject& subject) {
  if (std::find(check.kinds.begin(), check.kinds.end(), subject.kind.kind_class) == check.kinds.end()) return false;
  switch (check.when) {
    case RunsWhen::InEnvironment: return subject.environment && !subject.exempt_requester;
    case RunsWhen::OnWrite: return subject.writes();
    case RunsWhen::OnWriteWithApprovedSources: return subject.writes() && subject.checks_sources;
    case RunsWhen::OnWriteInEnvironment: return subject.writes() && subject.environment.has_value();
  }
  return false;
}

}  // namespace releasegate::engine
