// Audit results as wgpolicyk8s.io/v1alpha2 policy reports, in the shape
// Policy Reporter reads: one PolicyReport named `releasegate` per namespace
// with results, and one ClusterPolicyReport `releasegate` with the
// cluster-wide results and the inventory (unscored `inventory` results).
// They are server-side applied with field manager `releasegate`, so an
// unchanged report costs no write.
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

// What a process last wrote of each report, so that a report whose results
// did not change is not written again: its timestamps alone would make
// every audit a write, and two replicas would overwrite each other's. A
// report is written again once its entry is older than `refresh` (so one
// deleted by hand comes back).
struct PublishedReports {
  struct Entry {
    std::size_t digest = 0;  // of the report without its timestamps
    std::chrono::steady_clock::time_point written;
  };
  std::map<std::string, Entry> by_path;
  std::chrono::minutes refresh{60};
};

struct PublishResult {
  std::size_t applied = 0;
  std::size_t unchanged = 0;  // not written: the same results as last written
  std::size_t deleted = 0;  // reports of namespaces with no results any more
  std::vector<std::string> errors;
};

// Applies every report; when the audit is complete, deletes releasegate's
// reports in namespaces that have none now (an incomplete audit deletes
// nothing: a kind it could not list may be what they report).
PublishResult publish_reports(kube::Client& client, const AuditResult& result, const ReportOptions& options = {},
                              PublishedReports* published = nullptr);

}  // namespace releasegate::audit
