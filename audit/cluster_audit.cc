#include "audit/cluster_audit.h"

namespace releasegate::audit {

AuditResult audit_cluster(kube::Client& client, const RuleSet& rules, const ClusterAuditOptions& options) {
  Audit audit(rules, options.audit);
  for (const KindInfo* next : audit_order()) {
    const KindInfo& kind = *next;
    std::string path = kube::resource_path(std::string(kind.group), std::string(listed_version(kind.group)),
                                           std::string(kind.resource));
    kube::ListOptions list;
    list.limit = options.page_size;
    // An item the webhook's parser cannot read is an error result, not the
    // end of the list.
    auto judge = [&](std::string_view item) {
      audit.add(kind, item);
      return true;
    };
    std::optional<kube::ListResult> shared = options.shared_list ? options.shared_list(path, judge) : std::nullopt;
    kube::ListResult listed = shared ? std::move(*shared) : client.list_text(path, list, judge);
    if (listed.ok) continue;
    // A 404 is a kind this cluster does not serve (Argo CD not installed):
    // nothing to audit, and nothing wrong.
    audit.list_failed(kind, listed.error.describe(), listed.error.code != 404);
  }
  return audit.finish();
}

}  // namespace releasegate::audit
