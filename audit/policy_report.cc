#include "audit/policy_report.h"

#include <functional>
#include <set>

#include "admission/object_review.h"

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
  json properties{{"environment", v.environment},
                  {v.chart ? "chart" : "repository", v.artifact},
                  {"version", v.version},
                  {"count", std::to_string(v.count)},
                  {"evidence", v.evidence}};
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

// Results are added while the report stays below this, well under etcd's
// 1.5 MiB object limit; the rest is counted in one last result.
constexpr std::size_t kMaxReportBytes = 1 << 20;

// A report's results, added while they fit; the others are counted.
class BoundedResults {
 public:
  void add(json result) {
    std::size_t size = result.dump().size();
    if (bytes_ + size > kMaxReportBytes) {
      ++left_out_;
      return;
    }
    bytes_ += size;
    results_.push_back(std::move(result));
  }
  json finish(std::int64_t seconds) && {
    if (left_out_) {
      results_.push_back({{"policy", "releasegate"}, {"rule", "report-truncated"}, {"source", "releasegate"},
                          {"result", "skip"}, {"scored", false},
                          {"message", std::to_string(left_out_) + " more results are not shown: a report is kept "
                                      "under 1 MiB (the summary counts them all; releasegate audit lists them)"},
                          {"timestamp", {{"seconds", seconds}, {"nanos", 0}}}});
    }
    return std::move(results_);
  }

 private:
  json results_ = json::array();
  std::size_t bytes_ = 0;
  std::size_t left_out_ = 0;
};

std::int64_t seconds_of(const AuditResult& result) {
  return std::chrono::duration_cast<std::chrono::seconds>(result.finished.time_since_epoch()).count();
}

json namespace_report(const std::string& namespace_, const NamespaceResults& ns, std::int64_t seconds,
                      const ReportOptions& options) {
  BoundedResults results;
  for (const Result& r : ns.results) results.add(result_json(r, seconds));
  return {{"apiVersion", kApiVersion}, {"kind", "PolicyReport"}, {"metadata", metadata(namespace_, options)},
          {"summary", summary_json(ns.summary)}, {"results", std::move(results).finish(seconds)}};
}

// What is cluster-wide: results of cluster-scoped objects, kinds that could
// not be listed, and the inventory.
json cluster_report(const AuditResult& result, std::int64_t seconds, const ReportOptions& options) {
  Summary summary;
  BoundedResults results;
  auto add = [&](const Result& r) {
    summary.count(r.outcome);
    results.add(result_json(r, seconds));
  };
  if (auto cluster_scoped = result.namespaces.find(""); cluster_scoped != result.namespaces.end()) {
    for (const Result& r : cluster_scoped->second.results) add(r);
  }
  for (const Result& r : result.cluster_results) add(r);
  for (const RunningVersion& v : result.inventory) results.add(inventory_json(v, seconds));
  return {{"apiVersion", kApiVersion}, {"kind", "ClusterPolicyReport"}, {"metadata", metadata("", options)},
          {"summary", summary_json(summary)}, {"results", std::move(results).finish(seconds)}};
}

// What a report says as releasegate renders it: releasegate's labels, the
// summary and the results without their timestamps. The apiserver adds
// metadata and a new audit only new timestamps, so a stored report has the
// digest of its rendering unless someone changed it.
std::size_t content_digest(const json& report) {
  json content{{"summary", report.contains("summary") ? report["summary"] : json()},
               {"results", report.contains("results") ? report["results"] : json()}};
  if (content["results"].is_array()) {
    for (json& r : content["results"]) {
      if (r.is_object()) r.erase("timestamp");
    }
  }
  json::json_pointer labels("/metadata/labels");
  for (std::string_view key : {kManagedBy, std::string_view("releasegate.io/cluster")}) {
    json::json_pointer label = labels / std::string(key);
    content["labels"][std::string(key)] = report.contains(label) ? report.at(label) : json();
  }
  return std::hash<std::string>{}(content.dump());
}

}  // namespace

std::vector<json> policy_reports(const AuditResult& result, const ReportOptions& options) {
  std::int64_t seconds = seconds_of(result);
  std::vector<json> reports;
  for (const auto& [namespace_, ns] : result.namespaces) {
    if (!namespace_.empty()) reports.push_back(namespace_report(namespace_, ns, seconds, options));
  }
  reports.push_back(cluster_report(result, seconds, options));
  return reports;
}

namespace {

// The digest of each of releasegate's reports as stored now, by path: read
// back at every publish, so that a report a tenant edited or deleted (a
// namespace's admin may patch policyreports) is written again at once.
struct StoredReports {
  std::map<std::string, std::size_t> digests;
  std::set<std::string> namespaces;  // of the namespaced reports listed
  bool listed = false;               // the namespaced reports could be listed
};

// Pages of a few reports: each may be up to a mebibyte.
constexpr std::size_t kReportsPerPage = 20;

StoredReports read_stored(kube::Client& client, PublishResult& published) {
  StoredReports stored;
  kube::ListOptions managed;
  managed.label_selector = std::string(kManagedBy) + "=releasegate";
  managed.limit = kReportsPerPage;
  kube::ListResult listed = client.list(kube::resource_path("wgpolicyk8s.io", "v1alpha2", "policyreports"), managed,
                                        [&](json&& report) {
                                          if (admission::metadata_field(report, "name") != kReportName) return;
                                          std::string ns = admission::metadata_field(report, "namespace");
                                          stored.namespaces.insert(ns);
                                          stored.digests[report_path(ns)] = content_digest(report);
                                        });
  stored.listed = listed.ok;
  if (!listed.ok) published.errors.push_back("listing releasegate's policy reports: " + listed.error.describe());
  kube::Response cluster = client.get(report_path(""));
  if (cluster.ok()) {
    stored.digests[report_path("")] = content_digest(json::parse(cluster.body, nullptr, false));
  }
  return stored;
}

// Applies one report unless the stored one says the same; false on an error.
bool publish_one(kube::Client& client, const json& report, const StoredReports& stored, PublishResult& published) {
  std::string namespace_ = admission::metadata_field(report, "namespace");
  std::string path = report_path(namespace_);
  auto found = stored.digests.find(path);
  if (found != stored.digests.end() && found->second == content_digest(report)) {
    ++published.unchanged;
    return true;
  }
  kube::Response applied = client.apply(path, report, std::string(kFieldManager));
  if (!applied.ok()) {
    published.errors.push_back(report.value("kind", std::string()) + " " +
                               (namespace_.empty() ? "" : namespace_ + "/") + std::string(kReportName) + ": " +
                               kube::error_of(applied).describe());
    return false;
  }
  ++published.applied;
  return true;
}

// Deletes releasegate's namespace reports that `written` does not name.
void delete_stale(kube::Client& client, const std::set<std::string>& written, const StoredReports& stored,
                  PublishResult& published) {
  for (const std::string& ns : stored.namespaces) {
    if (written.contains(ns)) continue;
    kube::Response deleted = client.request("DELETE", report_path(ns));
    if (deleted.ok() || deleted.status == 404) {
      ++published.deleted;
    } else {
      published.errors.push_back("PolicyReport " + ns + "/" + std::string(kReportName) + ": " +
                                 kube::error_of(deleted).describe());
    }
  }
}

}  // namespace

PublishResult publish_reports(kube::Client& client, const AuditResult& result, const ReportOptions& options) {
  PublishResult published;
  std::int64_t seconds = seconds_of(result);
  StoredReports stored = read_stored(client, published);
  // An incomplete audit writes only the cluster report, which says what
  // could not be listed: a namespace's report without, say, its Pods would
  // look clean.
  if (result.complete) {
    std::set<std::string> written;
    for (const auto& [namespace_, ns] : result.namespaces) {
      if (namespace_.empty()) continue;
      written.insert(namespace_);
      publish_one(client, namespace_report(namespace_, ns, seconds, options), stored, published);
    }
    if (published.errors.empty() && stored.listed) delete_stale(client, written, stored, published);
  }
  publish_one(client, cluster_report(result, seconds, options), stored, published);
  return published;
}

}  // namespace releasegate::audit
