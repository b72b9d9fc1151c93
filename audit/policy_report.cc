#include "audit/policy_report.h"

#include <set>

namespace releasegate::audit {
namespace {

using nlohmann::json;

constexpr std::string_view kApiVersion = "wgpolicyk8s.io/v1alpha2";
constexpr std::string_view kManagedBy = "app.kubernetes.io/managed-by";

json summary_json(const Summary& s) {
  return {{"pass", s.pass}, {"fail", s.fail}, {"warn", s.warn}, {"error", s.error}, {"skip", s.skip}};
}

json result_json(const Result& r, std::int64_t seconds) {
  json out{{"policy", "releasegate"},   {"rule", r.rule},        {"source", "releasegate"},
           {"result", to_string(r.outcome)}, {"scored", true},   {"message", r.message},
           {"timestamp", {{"seconds", seconds}, {"nanos", 0}}}};
  if (r.outcome == Outcome::Fail || r.outcome == Outcome::Error) out["severity"] = "high";
  if (r.outcome == Outcome::Warn) out["severity"] = "medium";
  if (!r.environment.empty()) out["properties"] = {{"environment", r.environment}};
  if (!r.object.name.empty()) {
    json resource{{"apiVersion", r.object.api_version}, {"kind", r.object.kind}, {"name", r.object.name}};
    if (!r.object.namespace_.empty()) resource["namespace"] = r.object.namespace_;
    if (!r.object.uid.empty()) resource["uid"] = r.object.uid;
    out["resources"] = json::array({std::move(resource)});
  } else if (!r.object.kind.empty()) {
    out["properties"]["kind"] = r.object.api_version + " " + r.object.kind;
  }
  return out;
}

json inventory_json(const RunningVersion& v, std::int64_t seconds) {
  std::string what = v.chart ? "chart " + v.artifact : v.artifact;
  std::string version = v.version.empty() ? "(no tag)" : v.version;
  std::string message = v.environment + " runs " + what + " " + version + (v.digest.empty() ? "" : "@" + v.digest) +
                        " (" + std::to_string(v.count) + (v.chart ? " HelmRelease" : " Pod") + (v.count == 1 ? ")" : "s)");
  json properties{{"environment", v.environment}, {v.chart ? "chart" : "repository", v.artifact},
                  {"version", v.version},          {"count", std::to_string(v.count)}};
  if (!v.digest.empty()) properties["digest"] = v.digest;
  return {{"policy", "releasegate"}, {"rule", "inventory"}, {"source", "releasegate"}, {"result", "pass"},
          {"scored", false},         {"message", message},  {"timestamp", {{"seconds", seconds}, {"nanos", 0}}},
          {"properties", std::move(properties)}};
}

json metadata(const std::string& namespace_, const ReportOptions& options) {
  json labels{{kManagedBy, "releasegate"}};
  if (!options.cluster.empty()) labels["releasegate.io/cluster"] = options.cluster;
  json out{{"name", kReportName}, {"labels", std::move(labels)}};
  if (!namespace_.empty()) out["namespace"] = namespace_;
  return out;
}

std::string report_path(const std::string& namespace_) {
  return namespace_.empty() ? kube::resource_path("wgpolicyk8s.io", "v1alpha2", "clusterpolicyreports", "",
                                                  std::string(kReportName))
                            : kube::resource_path("wgpolicyk8s.io", "v1alpha2", "policyreports", namespace_,
                                                  std::string(kReportName));
}

}  // namespace

std::vector<json> policy_reports(const AuditResult& result, const ReportOptions& options) {
  std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(result.finished.time_since_epoch()).count();
  std::vector<json> reports;
  Summary cluster_summary;
  json cluster_results = json::array();
  auto add_cluster = [&](const Result& r) {
    cluster_summary.count(r.outcome);
    cluster_results.push_back(result_json(r, seconds));
  };
  for (const auto& [namespace_, ns] : result.namespaces) {
    if (namespace_.empty()) {  // cluster-scoped objects
      for (const Result& r : ns.results) add_cluster(r);
      continue;
    }
    json results = json::array();
    for (const Result& r : ns.results) results.push_back(result_json(r, seconds));
    reports.push_back({{"apiVersion", kApiVersion}, {"kind", "PolicyReport"}, {"metadata", metadata(namespace_, options)},
                       {"summary", summary_json(ns.summary)}, {"results", std::move(results)}});
  }
  for (const Result& r : result.cluster_results) add_cluster(r);
  for (const RunningVersion& v : result.inventory) cluster_results.push_back(inventory_json(v, seconds));
  reports.push_back({{"apiVersion", kApiVersion}, {"kind", "ClusterPolicyReport"}, {"metadata", metadata("", options)},
                     {"summary", summary_json(cluster_summary)}, {"results", std::move(cluster_results)}});
  return reports;
}

PublishResult publish_reports(kube::Client& client, const AuditResult& result, const ReportOptions& options) {
  PublishResult published;
  std::set<std::string> written;
  for (const json& report : policy_reports(result, options)) {
    std::string namespace_ = report["metadata"].value("namespace", std::string());
    kube::Response applied = client.apply(report_path(namespace_), report, std::string(kFieldManager));
    if (!applied.ok()) {
      published.errors.push_back(report.value("kind", std::string()) + " " +
                                 (namespace_.empty() ? "" : namespace_ + "/") + std::string(kReportName) + ": " +
                                 kube::error_of(applied).describe());
      continue;
    }
    ++published.applied;
    if (!namespace_.empty()) written.insert(namespace_);
  }
  if (!result.complete || !published.errors.empty()) return published;
  kube::ListOptions managed;
  managed.label_selector = std::string(kManagedBy) + "=releasegate";
  std::vector<std::string> stale;
  kube::ListResult listed = client.list(kube::resource_path("wgpolicyk8s.io", "v1alpha2", "policyreports"), managed,
                                        [&](json&& report) {
                                          std::string ns = report["metadata"].value("namespace", std::string());
                                          std::string name = report["metadata"].value("name", std::string());
                                          if (name == kReportName && !written.contains(ns)) stale.push_back(ns);
                                        });
  if (!listed.ok) {
    published.errors.push_back("listing releasegate's policy reports: " + listed.error.describe());
    return published;
  }
  for (const std::string& ns : stale) {
    kube::Response deleted = client.request("DELETE", report_path(ns));
    if (deleted.ok() || deleted.status == 404) {
      ++published.deleted;
    } else {
      published.errors.push_back("PolicyReport " + ns + "/" + std::string(kReportName) + ": " +
                                 kube::error_of(deleted).describe());
    }
  }
  return published;
}

}  // namespace releasegate::audit
