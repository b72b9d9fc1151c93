#include "engine/checks.h"

namespace releasegate::engine {
namespace {

// Which check applies to which kinds, and when. Order matters: it is the
// order of the violations in a denial.
using enum KindClass;
constexpr Check kChecks[] = {
    {"provenance", {Workload, Pod, FluxDelivery, FluxSource, HelmChart, ArgoApplication}, RunsWhen::InEnvironment,
     check_provenance},
    {"source", {FluxDelivery, FluxSource, HelmChart, ArgoApplication}, RunsWhen::OnWriteWithApprovedSources,
     check_sources},
    {"tenant-account", {FluxDelivery}, RunsWhen::OnWrite, check_tenant_account},
    {"container-images", {Workload, Pod}, RunsWhen::OnWriteInEnvironment, check_container_images},
    {"charts", {FluxDelivery, HelmChart, ArgoApplication}, RunsWhen::OnWriteInEnvironment, check_charts},
    {"values-images", {FluxDelivery}, RunsWhen::OnWriteInEnvironment, check_values_images},
    {"evidence", {Workload, Pod, FluxDelivery, HelmChart, ArgoApplication}, RunsWhen::OnWriteInEnvironment,
     check_evidence},
    {"status-writes", {Workload, FluxDelivery}, RunsWhen::OnStatusWrite, check_status_writes},
};

}  // namespace

std::span<const Check> checks() { return kChecks; }

bool runs(const Check& check, const Subject& subject) {
  if (!check.kinds.contains(subject.kind.kind_class)) return false;
  if (subject.writes_status() != (check.when == RunsWhen::OnStatusWrite)) return false;
  switch (check.when) {
    case RunsWhen::OnStatusWrite: return subject.environment.has_value() && subject.writes();
    case RunsWhen::InEnvironment: return subject.environment && !subject.exempt_requester;
    case RunsWhen::OnWrite: return subject.writes();
    case RunsWhen::OnWriteWithApprovedSources: return subject.writes() && subject.checks_sources;
    case RunsWhen::OnWriteInEnvironment: return subject.writes() && subject.environment.has_value();
  }
  return false;
}

}  // namespace releasegate::engine
