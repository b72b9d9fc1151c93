// The background audit's judging, inventory and reports (audit/), over the
// test rules and real objects from the corpus.
#include "audit/audit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "audit/policy_report.h"
#include "cli/manifest.h"
#include "tests/support/test_support.h"

namespace releasegate::audit {
namespace {

using nlohmann::json;
using testing::deployment;
using testing::kDigest651;

const KindInfo& kind_named(std::string_view kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == kind) return k;
  }
  throw std::runtime_error("no kind " + std::string(kind));
}

// An object's text as a list gives it: built-in items carry no kind or
// apiVersion.
std::string listed(json object) {
  object.erase("kind");
  object.erase("apiVersion");
  object["metadata"]["uid"] = "uid-" + object["metadata"].value("name", std::string());
  return object.dump();
}

json owner_reference(const std::string& kind, const std::string& name) {
  return json::array({{{"apiVersion", kind == "CronJob" || kind == "Job" ? "batch/v1" : "apps/v1"},
                       {"kind", kind},
                       {"name", name},
                       {"uid", "uid-" + name},
                       {"controller", true}}});
}

json owned_pod(const std::string& ns, const std::string& image) {
  json pod = testing::pod(ns, image);
  pod["metadata"]["ownerReferences"] = owner_reference("ReplicaSet", "podinfo-7d9f8b6c5");
  return pod;
}

// The ReplicaSet owned_pod's Pods belong to, delivered with its Deployment.
json replica_set(const std::string& ns, const std::string& image) {
  json rs = deployment(ns, image);
  rs["metadata"]["name"] = "podinfo-7d9f8b6c5";
  rs["metadata"]["ownerReferences"] = owner_reference("Deployment", "podinfo");
  return rs;
}

class AuditTest : public ::testing::Test {
 protected:
  std::shared_ptr<const RuleSet> rules = testing::test_rules();
};

TEST(ListedVersionTest, EveryGovernedGroupHasOne) {
  for (const KindInfo& kind : kKinds) EXPECT_FALSE(listed_version(kind.group).empty()) << kind.kind;
}

TEST_F(AuditTest, PromotedAndDeliveredPasses) {
  Audit audit(*rules);
  audit.add(kind_named("Deployment"), listed(deployment("staging", "ghcr.io/acme/podinfo:6.5.0")));
  AuditResult result = audit.finish();
  EXPECT_EQ(result.objects, 1u);
  const NamespaceResults& staging = result.namespaces.at("staging");
  ASSERT_EQ(staging.results.size(), 1u);
  EXPECT_EQ(staging.results[0].outcome, Outcome::Pass);
  EXPECT_EQ(staging.results[0].environment, "staging");
  EXPECT_EQ(staging.results[0].object.api_version, "apps/v1") << "filled in from the kinds table";
  EXPECT_EQ(staging.results[0].object.uid, "uid-podinfo");
}

TEST_F(AuditTest, AnImageNoLongerPromotedFails) {
  Audit audit(*rules);
  audit.add(kind_named("Deployment"), listed(deployment("staging", "ghcr.io/acme/podinfo:6.4.0")));
  AuditResult result = audit.finish();
  const NamespaceResults& staging = result.namespaces.at("staging");
  ASSERT_EQ(staging.results.size(), 1u);
  EXPECT_EQ(staging.results[0].outcome, Outcome::Fail);
  EXPECT_EQ(staging.results[0].rule, "image-promotion");
  EXPECT_EQ(staging.summary.fail, 1u);
  EXPECT_EQ((result.counts[{"staging", "image-promotion", Outcome::Fail}]), 1u);
}

TEST_F(AuditTest, AnObjectWithoutMarksFailsProvenance) {
  Audit audit(*rules);
  audit.add(kind_named("Deployment"), listed(deployment("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650, false)));
  AuditResult result = audit.finish();
  const NamespaceResults& prod = result.namespaces.at("prod");
  ASSERT_EQ(prod.results.size(), 1u);
  EXPECT_EQ(prod.results[0].rule, "provenance");
  EXPECT_NE(prod.results[0].message.find("flux-system/apps"), std::string::npos) << "names what is approved";
}

TEST_F(AuditTest, ABreakGlassAnnotationLeftBehindFails) {
  json object = deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  object["metadata"]["annotations"]["releasegate.io/break-glass"] = "INC-42 hotfix";
  Audit audit(*rules);
  audit.add(kind_named("Deployment"), listed(object));
  AuditResult result = audit.finish();
  const NamespaceResults& staging = result.namespaces.at("staging");
  ASSERT_EQ(staging.results.size(), 1u);
  EXPECT_EQ(staging.results[0].rule, "provenance");
}

TEST_F(AuditTest, OwnedObjectsAreJudgedThroughTheirOwner) {
  Audit audit(*rules);
  audit.add(kind_named("Deployment"), listed(deployment("staging", "ghcr.io/acme/podinfo:6.5.0")));
  // An old ReplicaSet of the Deployment runs nothing: not judged.
  json old_replica_set = replica_set("staging", "ghcr.io/acme/podinfo:6.0.0");
  old_replica_set["metadata"]["name"] = "podinfo-5c8d7f9b4";
  audit.add(kind_named("ReplicaSet"), listed(old_replica_set));
  audit.add(kind_named("ReplicaSet"), listed(replica_set("staging", "ghcr.io/acme/podinfo:6.5.0")));
  // Its Pods carry no GitOps marks: their images are judged, their
  // provenance is the Deployment's. One pinned by the mutating webhook,
  // one with a sidecar another webhook injected.
  audit.add(kind_named("Pod"), listed(owned_pod("staging", "ghcr.io/acme/podinfo:6.5.0")));
  json pinned = owned_pod("staging", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest651);
  pinned["metadata"]["name"] = "podinfo-7d9f8b6c5-pinned";
  pinned["spec"]["containers"].push_back({{"name", "proxy"}, {"image", "ghcr.io/acme/podinfo:6.5.0"}});
  audit.add(kind_named("Pod"), listed(pinned));
  AuditResult result = audit.finish();
  EXPECT_EQ(result.objects, 3u) << "the Deployment and two Pods";
  const NamespaceResults& staging = result.namespaces.at("staging");
  ASSERT_EQ(staging.results.size(), 3u);
  for (const Result& r : staging.results) EXPECT_EQ(r.outcome, Outcome::Pass) << r.object.name << ": " << r.message;
}

// A Pod that slipped in (a webhook outage, failurePolicy: Ignore) with an
// ownerReference to a healthy ReplicaSet (uids are readable) is excused
// nothing unless it runs that ReplicaSet's template: even a promoted image
// in the template's container, if it is not the template's, or an
// ephemeral container, makes it judged whole.
TEST_F(AuditTest, AnOwnedPodNotRunningItsOwnersTemplateIsJudgedWhole) {
  Audit audit(*rules);
  std::string image_650 = "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650;
  audit.add(kind_named("Deployment"), listed(deployment("prod", image_650)));
  audit.add(kind_named("ReplicaSet"), listed(replica_set("prod", image_650)));
  json other_image = owned_pod("prod", "ghcr.io/acme/podinfo:6.5.0");  // a tag: not the template's digest
  other_image["metadata"]["name"] = "slipped-in";
  audit.add(kind_named("Pod"), listed(other_image));
  json renamed = owned_pod("prod", image_650);
  renamed["metadata"]["name"] = "renamed-container";
  renamed["spec"]["containers"][0]["name"] = "shell";
  audit.add(kind_named("Pod"), listed(renamed));
  json debugged = owned_pod("prod", image_650);
  debugged["metadata"]["name"] = "debugged";
  debugged["spec"]["ephemeralContainers"] = {{{"name", "debugger"}, {"image", image_650}}};
  audit.add(kind_named("Pod"), listed(debugged));
  json faithful = owned_pod("prod", image_650);
  faithful["metadata"]["name"] = "faithful";
  audit.add(kind_named("Pod"), listed(faithful));
  AuditResult result = audit.finish();
  std::map<std::string, std::set<std::string>> rules_by_pod;
  for (const Result& r : result.namespaces.at("prod").results) {
    if (r.object.kind == "Pod") rules_by_pod[r.object.name].insert(r.rule);
  }
  for (const char* pod : {"slipped-in", "renamed-container", "debugged"}) {
    EXPECT_TRUE(rules_by_pod[pod].contains("provenance")) << pod;
  }
  EXPECT_EQ(rules_by_pod["faithful"], std::set<std::string>{"releasegate"}) << "a pass";
}

// An ownerReference to an owner the audit did not list as a workload (a
// ConfigMap, or a ReplicaSet that does not exist) excuses nothing.
TEST_F(AuditTest, AForgedOwnerIsNoExcuse) {
  Audit audit(*rules);
  json deployment_owned_by_config_map = deployment("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650, false);
  deployment_owned_by_config_map["metadata"]["name"] = "other";
  deployment_owned_by_config_map["metadata"]["ownerReferences"] = owner_reference("ConfigMap", "anything");
  audit.add(kind_named("Deployment"), listed(deployment_owned_by_config_map));
  json orphan_replica_set = replica_set("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  orphan_replica_set["metadata"]["labels"] = json::object();  // no marks
  audit.add(kind_named("ReplicaSet"), listed(orphan_replica_set));  // its Deployment was never listed
  audit.add(kind_named("Pod"), listed(owned_pod("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650)));
  AuditResult result = audit.finish();
  EXPECT_EQ(result.objects, 3u);
  std::size_t provenance = 0;
  for (const Result& r : result.namespaces.at("prod").results) provenance += r.rule == "provenance";
  EXPECT_EQ(provenance, 2u) << "the Deployment and the ReplicaSet; the Pod's owner was listed";
}

TEST(AuditOrderTest, OwnersAreListedBeforeWhatTheyOwn) {
  std::vector<std::string> order;
  for (const KindInfo* kind : audit_order()) order.emplace_back(kind->kind);
  auto at = [&](const char* kind) { return std::find(order.begin(), order.end(), kind) - order.begin(); };
  EXPECT_LT(at("Deployment"), at("ReplicaSet"));
  EXPECT_LT(at("CronJob"), at("Job"));
  for (const char* owner : {"ReplicaSet", "StatefulSet", "DaemonSet", "Job"}) EXPECT_LT(at(owner), at("Pod"));
  EXPECT_EQ(std::find(order.begin(), order.end(), "ConfigMap"), order.end()) << "rules ConfigMaps are not audited";
}

TEST_F(AuditTest, ExemptAndUngovernedNamespacesAreNotReported) {
  Audit audit(*rules);
  audit.add(kind_named("Deployment"), listed(deployment("sandbox", "ghcr.io/acme/podinfo:0.0.1", false)));
  AuditResult result = audit.finish();
  EXPECT_EQ(result.objects, 0u);
  EXPECT_TRUE(result.namespaces.empty());
}

TEST_F(AuditTest, AFullReportKeepsFailuresBeforePasses) {
  Audit audit(*rules, {.max_results_per_namespace = 2});
  json good = deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  for (int i = 0; i < 3; ++i) {
    json d = good;
    d["metadata"]["name"] = "good-" + std::to_string(i);
    audit.add(kind_named("Deployment"), listed(d));
  }
  audit.add(kind_named("Deployment"), listed(deployment("staging", "ghcr.io/acme/podinfo:6.4.0")));
  AuditResult result = audit.finish();
  const NamespaceResults& staging = result.namespaces.at("staging");
  ASSERT_EQ(staging.results.size(), 2u);
  EXPECT_EQ(staging.left_out, 2u);
  EXPECT_EQ(staging.summary.pass, 3u);
  EXPECT_EQ(staging.summary.fail, 1u);
  EXPECT_TRUE(staging.results[0].outcome == Outcome::Fail || staging.results[1].outcome == Outcome::Fail);
}

TEST_F(AuditTest, KindsThatCannotBeListed) {
  Audit audit(*rules);
  audit.list_failed(kind_named("Application"), "404 page not found", false);
  AuditResult skipped = audit.finish();
  EXPECT_TRUE(skipped.complete) << "a CRD that is not installed is nothing to audit";
  ASSERT_EQ(skipped.cluster_results.size(), 1u);
  EXPECT_EQ(skipped.cluster_results[0].outcome, Outcome::Skip);
  Audit refused(*rules);
  refused.list_failed(kind_named("Pod"), "403 Forbidden", true);
  AuditResult result = refused.finish();
  EXPECT_FALSE(result.complete);
  EXPECT_EQ(result.cluster_results[0].outcome, Outcome::Error);
}

TEST_F(AuditTest, AnItemThatIsNotAnObjectIsAnErrorInTheClusterReport) {
  Audit audit(*rules);
  audit.add(kind_named("Deployment"), "[1, 2]");
  audit.add(kind_named("Deployment"), R"({"metadata": {"name": "cut", "namespace": "staging"})");
  audit.add(kind_named("Deployment"), listed(deployment("staging", "ghcr.io/acme/podinfo:6.5.0")));
  AuditResult result = audit.finish();
  EXPECT_EQ(result.objects, 3u);
  ASSERT_EQ(result.namespaces.at("").results.size(), 2u);
  for (const Result& r : result.namespaces.at("").results) {
    EXPECT_EQ(r.outcome, Outcome::Error);
    EXPECT_EQ(r.object.kind, "Deployment");
    EXPECT_EQ(r.object.api_version, "apps/v1");
  }
  EXPECT_EQ(result.namespaces.at("staging").summary.pass, 1u) << "the next item is judged as ever";
}

TEST_F(AuditTest, TheInventoryCountsASpecsContainersBeforeTheirStatusesExist) {
  json pending = owned_pod("staging", "ghcr.io/acme/podinfo:6.5.1");
  pending["status"] = {{"phase", "Pending"}};
  Audit audit(*rules);
  audit.add(kind_named("Pod"), listed(pending));
  AuditResult result = audit.finish();
  ASSERT_EQ(result.inventory.size(), 1u);
  EXPECT_EQ(result.inventory[0].version, "6.5.1");
  EXPECT_EQ(result.inventory[0].digest, "");
}

TEST_F(AuditTest, TheInventorySaysWhatRunsWithItsDigest) {
  json pod = owned_pod("staging", "ghcr.io/acme/podinfo:6.5.1");
  pod["status"] = {{"phase", "Running"},
                   {"containerStatuses",
                    {{{"name", "podinfod"}, {"image", "ghcr.io/acme/podinfo:6.5.1"},
                      {"imageID", "ghcr.io/acme/podinfo@" + kDigest651}}}}};
  json finished = owned_pod("staging", "ghcr.io/acme/podinfo:6.5.0");
  finished["status"] = {{"phase", "Succeeded"}};
  Audit audit(*rules);
  audit.add(kind_named("Pod"), listed(pod));
  audit.add(kind_named("Pod"), listed(pod));
  audit.add(kind_named("Pod"), listed(finished));
  AuditResult result = audit.finish();
  ASSERT_EQ(result.inventory.size(), 1u) << "a finished Pod runs nothing";
  const RunningVersion& v = result.inventory[0];
  EXPECT_EQ(v.environment, "staging");
  EXPECT_EQ(v.artifact, "ghcr.io/acme/podinfo");
  EXPECT_EQ(v.version, "6.5.1");
  EXPECT_EQ(v.digest, kDigest651);
  EXPECT_EQ(v.count, 2u);
  EXPECT_EQ(v.evidence, "none");
}

TEST_F(AuditTest, TheInventoryShowsEachVersionsEvidence) {
  json pod = owned_pod("staging", "ghcr.io/acme/podinfo:6.5.1");
  pod["status"] = {{"phase", "Running"}};
  EvidenceSet observed;
  observed.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "staging", "eu-1", 1796220120, 1796220120,
                true, 0, "Deployment staging/podinfo", "observed in this cluster"});
  json release = {{"apiVersion", "helm.toolkit.fluxcd.io/v2"},
                  {"kind", "HelmRelease"},
                  {"metadata", {{"name", "podinfo"}, {"namespace", "staging"}}},
                  {"spec", {{"chart", {{"spec", {{"chart", "podinfo"}, {"sourceRef", {{"kind", "HelmRepository"},
                                                                                      {"name", "podinfo"},
                                                                                      {"namespace", "flux-system"}}}}}}}}},
                  {"status", {{"history", {{{"chartName", "podinfo"}, {"chartVersion", "6.5.1"}}}}}}};
  observed.add({EvidenceOf::Chart, "HelmRepository/flux-system/podinfo podinfo", "6.5.1", "", "staging", "eu-1", 0, 0,
                false, 1796222520, "HelmRelease staging/podinfo", "observed in this cluster"});
  AuditOptions options;
  options.observed_evidence = &observed;
  Audit audit(*rules, options);
  audit.add(kind_named("Pod"), listed(pod));
  audit.add(kind_named("HelmRelease"), release.dump());
  AuditResult result = audit.finish();
  ASSERT_EQ(result.inventory.size(), 2u);
  EXPECT_EQ(result.inventory[0].evidence, "healthy since 2026-12-02T14:02:00Z, observed in this cluster");
  EXPECT_EQ(result.inventory[1].chart_key, "HelmRepository/flux-system/podinfo podinfo");
  EXPECT_EQ(result.inventory[1].evidence, "degraded at 2026-12-02T14:42:00Z");
  json report = audit::policy_reports(result, {});  // the cluster report holds the inventory
  EXPECT_NE(report.dump().find("\"evidence\":\"healthy since 2026-12-02T14:02:00Z"), std::string::npos) << report.dump();
}

// The reports use only fields the PolicyReport CRD declares (the apiserver
// answers an undeclared one with a 500) and values its enums allow.
TEST_F(AuditTest, ReportsMatchThePolicyReportSchema) {
  auto crds = testing::source_dir().parent_path() / "shared" / "kube" / "crds" / "policy-reports";
  if (!std::filesystem::exists(crds)) GTEST_SKIP() << "no ../shared/kube/crds beside the checkout: test skipped";
  cli::ManifestReadResult read = cli::read_manifests((crds / "wgpolicyk8s.io_policyreports.yaml").string());
  ASSERT_TRUE(read.error.empty()) << read.error;
  const json& schema = read.manifests.at(0).object["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  ASSERT_EQ(read.manifests.at(0).object["spec"]["versions"][0]["name"], "v1alpha2");
  const json& result_schema = schema["properties"]["results"]["items"];

  Audit audit(*rules);
  audit.add(kind_named("Deployment"), listed(deployment("staging", "ghcr.io/acme/podinfo:6.4.0")));
  audit.add(kind_named("ReplicaSet"), listed(replica_set("staging", "ghcr.io/acme/podinfo:6.5.0")));
  audit.add(kind_named("Pod"), listed(owned_pod("staging", "ghcr.io/acme/podinfo:6.5.0")));
  audit.list_failed(kind_named("Application"), "404 page not found", false);
  std::vector<json> reports = policy_reports(audit.finish(), {"europe-1"});
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0]["kind"], "PolicyReport");
  EXPECT_EQ(reports[0]["metadata"]["namespace"], "staging");
  EXPECT_EQ(reports[0]["metadata"]["labels"]["releasegate.io/cluster"], "europe-1");
  EXPECT_EQ(reports[0]["summary"]["fail"], 1);
  EXPECT_EQ(reports[0]["summary"]["pass"], 1);
  EXPECT_EQ(reports[1]["kind"], "ClusterPolicyReport");
  for (const json& report : reports) {
    for (const auto& [field, value] : report.items()) EXPECT_TRUE(schema["properties"].contains(field)) << field;
    for (const json& r : report["results"]) {
      for (const auto& [field, value] : r.items()) EXPECT_TRUE(result_schema["properties"].contains(field)) << field;
      const json& allowed = result_schema["properties"]["result"]["enum"];
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), r["result"]), allowed.end()) << r.dump();
      json properties = r.value("properties", json::object());
      for (const auto& [key, value] : properties.items()) {
        EXPECT_TRUE(value.is_string()) << "properties are a map of strings: " << key;
      }
    }
  }
}

// However many results, a report stays well below etcd's 1.5 MiB object
// limit, says how many it leaves out, and its summary counts them all.
TEST(PolicyReportTest, AReportIsKeptUnderAMebibyte) {
  AuditResult result;
  NamespaceResults& prod = result.namespaces["prod"];
  for (int i = 0; i < 3000; ++i) {
    Result r{{"apps/v1", "Deployment", "prod", "service-" + std::to_string(i), "uid"}, "prod", "image-promotion",
             Outcome::Fail, std::string(900, 'x')};
    prod.summary.count(r.outcome);
    prod.results.push_back(std::move(r));
  }
  for (int i = 0; i < 5000; ++i) result.inventory.push_back({"prod", "ghcr.io/acme/service-" + std::to_string(i), "1.0.0", std::string(71, 'a'), false, 1});
  for (const json& report : policy_reports(result)) {
    EXPECT_LT(report.dump().size(), (1u << 20) + 4096) << report["kind"];
    ASSERT_FALSE(report["results"].empty());
    EXPECT_EQ(report["results"].back()["rule"], "report-truncated") << report["kind"];
  }
  EXPECT_EQ(policy_reports(result)[0]["summary"]["fail"], 3000);
}

// Every governed object of the corpus is judged without error, as it
// would stand in a governed namespace.
TEST_F(AuditTest, CorpusObjectsAreJudged) {
  REQUIRE_CORPUS(corpus);
  std::size_t judged = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(corpus)) {
    if (entry.path().extension() != ".yaml") continue;
    cli::ManifestReadResult read = cli::read_manifests(entry.path().string());
    for (cli::Manifest& m : read.manifests) {
      if (!m.object.is_object() || !m.object["metadata"].is_object()) continue;
      std::string api_version = m.object.value("apiVersion", std::string());
      std::string group = api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
      const KindInfo* kind = find_kind(group, m.object.value("kind", std::string()));
      if (!kind || !is_governed(kind->kind_class)) continue;
      m.object["metadata"]["namespace"] = "staging";
      m.object["metadata"].erase("ownerReferences");
      Audit audit(*rules);
      audit.add(*kind, m.object.dump());
      AuditResult result = audit.finish();
      ASSERT_EQ(result.objects, 1u) << m.file << ":" << m.line;
      for (const Result& r : result.namespaces.at("staging").results) {
        EXPECT_NE(r.outcome, Outcome::Error) << m.file << ":" << m.line << " " << r.message;
      }
      ++judged;
    }
  }
  EXPECT_GT(judged, 20u);
}

}  // namespace
}  // namespace releasegate::audit
