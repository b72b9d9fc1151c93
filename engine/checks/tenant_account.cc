// Flux multi-tenancy: a Kustomization or HelmRelease in a tenant namespace,
// or targeting one, must run as one of the tenant's accounts. Without
// spec.serviceAccountName Flux applies it with the controller's own
// cluster-wide permissions (what Flux's --default-service-account lockdown
// prevents).
#include "engine/checks.h"

namespace releasegate::engine {

void check_tenant_account(const Subject& subject, Findings& findings) {
  const ObjectView& object = subject.written();
  const std::string& own = subject.request.namespace_;
  std::string_view target = subject.effective_namespace;
  for (const TenantIdentities& tenant : subject.rules.tenants) {
    bool in_tenant = tenant.namespaces.matches(own);
    if (!in_tenant && !tenant.namespaces.matches(target)) continue;
    std::string ns = in_tenant ? own : std::string(target);
    if (tenant.service_accounts.matches(object.service_account_name)) return;
    std::string written = object.service_account_name.empty()
                              ? "does not set spec.serviceAccountName, so Flux would apply it with the controller's "
                                "own cluster-wide permissions"
                              : "runs as service account \"" + object.service_account_name +
                                    "\", which is not one of the tenant's";
    findings.add(Rule::Provenance, subject.description() + (in_tenant ? " is in" : " targets") +
                                       " tenant namespace " + ns + " but " + written +
                                       "; set spec.serviceAccountName to a tenant account (" +
                                       tenant.service_accounts.describe() + ")");
    return;
  }
}

}  // namespace releasegate::engine
