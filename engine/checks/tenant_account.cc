// Flux multi-tenancy: in a tenant namespace a Kustomization or HelmRelease
// must run as one of the tenant's accounts. Without spec.serviceAccountName
// Flux applies it with the controller's own cluster-wide permissions (what
// Flux's --default-service-account lockdown prevents).
#include "engine/checks.h"

namespace releasegate::engine {

void check_tenant_account(const Subject& subject, Findings& findings) {
  const ObjectView& object = subject.written();
  const std::string& ns = subject.request.namespace_;
  for (const TenantIdentities& tenant : subject.rules.tenants) {
    if (!tenant.namespaces.matches(ns)) continue;
    if (tenant.service_accounts.matches(object.service_account_name)) return;
    std::string written = object.service_account_name.empty()
                              ? "does not set spec.serviceAccountName, so Flux would apply it with the controller's "
                                "own cluster-wide permissions"
                              : "runs as service account \"" + object.service_account_name +
                                    "\", which is not one of the tenant's";
    findings.add(Rule::Provenance, subject.description() + " is in tenant namespace " + ns + " but " + written +
                                       "; set spec.serviceAccountName to a tenant account (" +
                                       tenant.service_accounts.describe() + ")");
    return;
  }
}

}  // namespace releasegate::engine
