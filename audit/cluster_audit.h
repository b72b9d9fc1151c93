// The audit of a whole cluster through the API: every governed kind listed
// cluster-wide, page by page (each page judged and dropped before the next
// is read), and the results published as policy reports.
#pragma once

#include <string>

#include "audit/audit.h"
#include "kube/client.h"

namespace releasegate::audit {

struct ClusterAuditOptions {
  AuditOptions audit;
  std::size_t page_size = 250;  // objects held at once, at most
};

AuditResult audit_cluster(kube::Client& client, const RuleSet& rules, const ClusterAuditOptions& options = {});

}  // namespace releasegate::audit
