// Audit results as wgpolicyk8s.io/v1alpha2 policy reports, in the shape
// Policy Reporter reads: one PolicyReport named `releasegate` per namespace
// with results, and one ClusterPolicyReport `releasegate` with the
// cluster-wide results and the inventory (unscored `inventory` results).
// They are server-side applied with field manager `releasegate`.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "kube/client.h"

namespace releasegate::audit {

inline constexpr std::string_view kReportName = "releasegate";
inline constexpr std::string_view kFieldManager = "releasegate";

struct ReportOptions {
  std::string cluster;  // the cluster's name, when it has one: a label on every report
};

// The namespaced reports, then the cluster report.
std::vector<nlohmann::json> policy_reports(const AuditResult& result, const ReportOptions& options = {});

struct PublishResult {
  std::size_t applied = 0;
  std::size_t unchanged = 0;  // not written: the stored report says the same
  std::size_t deleted = 0;  // reports of namespaces with no results any more
  std::vector<std::string> errors;
};

// Reads releasegate's reports back, and applies each one whose stored copy
// says something else, or is gone: a report is not written again for new
// timestamps alone (each audit would be a write, and replicas would
// overwrite each other's), but one a tenant edited or deleted is repaired
// at the next audit. When the audit is complete, deletes releasegate's
// reports in namespaces that have none now (an incomplete audit deletes
// nothing: a kind it could not list may be what they report).
PublishResult publish_reports(kube::Client& client, const AuditResult& result, const ReportOptions& options = {});

}  // namespace releasegate::audit
