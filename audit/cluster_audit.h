// The audit of a whole cluster through the API: every governed kind listed
// cluster-wide, page by page (each page judged and dropped before the next
// is read), and the results published as policy reports. A kind that a
// reflector watches already (the evidence observer's) is read from that
// reflector's list, made for the audit: one list per kind, not two.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "kube/client.h"
#include "kube/reflector.h"

namespace releasegate::audit {

struct ClusterAuditOptions {
  AuditOptions audit;
  std::size_t page_size = 250;  // objects held at once, at most
  // A complete list of `path` through a reflector that watches it
  // (evidence::Observer::list_now), each item handed to `each`; nullopt
  // when none does now, and the audit lists it itself.
  std::function<std::optional<kube::ListResult>(const std::string& path, const kube::Reflector::ItemText& each)>
      shared_list;
};

AuditResult audit_cluster(kube::Client& client, const RuleSet& rules, const ClusterAuditOptions& options = {});

}  // namespace releasegate::audit
