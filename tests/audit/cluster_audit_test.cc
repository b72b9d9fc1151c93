// The audit through the API, against the fake API server: every governed
// kind listed page by page, reports server-side applied and stale ones
// deleted, the loop auditing after a rule change; and `releasegate audit`.
#include "audit/cluster_audit.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "audit/audit_loop.h"
#include "audit/policy_report.h"
#include "cli/audit_command.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/kubeconfig_file.h"
#include "tests/support/test_support.h"

namespace releasegate::audit {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kStagingDeployments = "/apis/apps/v1/namespaces/staging/deployments";
constexpr const char* kStagingReports = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/staging/policyreports";
constexpr const char* kProdReports = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/prod/policyreports";

json named(json object, const std::string& name) {
  object["metadata"]["name"] = name;
  return object;
}

class ClusterAuditTest : public ::testing::Test {
 protected:
  testing::FakeApiServer api;
  std::shared_ptr<const RuleSet> rules = testing::test_rules();

  void SetUp() override {
    ASSERT_TRUE(api.ok()) << api.error();
    // More objects than a page holds.
    for (int i = 0; i < 5; ++i) {
      api.put(kStagingDeployments, named(testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0"), "good-" + std::to_string(i)));
    }
    api.put(kStagingDeployments, named(testing::deployment("staging", "ghcr.io/acme/podinfo:6.4.0"), "old"));
  }
};

TEST_F(ClusterAuditTest, ListsEveryKindInPagesAndJudgesEachObject) {
  kube::Client client(api.client_config());
  ClusterAuditOptions options;
  options.page_size = 2;
  AuditResult result = audit_cluster(client, *rules, options);
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.objects, 6u);
  const NamespaceResults& staging = result.namespaces.at("staging");
  EXPECT_EQ(staging.summary.pass, 5u);
  EXPECT_EQ(staging.summary.fail, 1u);
  std::size_t deployment_pages = 0;
  for (const testing::FakeRequest& r : api.requests()) {
    if (r.path == "/apis/apps/v1/deployments") {
      ++deployment_pages;
      EXPECT_EQ(r.query.at("limit"), "2");
    }
  }
  EXPECT_EQ(deployment_pages, 3u) << "6 objects, 2 a page";
}

TEST_F(ClusterAuditTest, ReportsAreAppliedAndStaleOnesDeleted) {
  kube::Client client(api.client_config());
  api.put(kProdReports, {{"apiVersion", "wgpolicyk8s.io/v1alpha2"},
                         {"kind", "PolicyReport"},
                         {"metadata", {{"name", "releasegate"}, {"labels", {{"app.kubernetes.io/managed-by", "releasegate"}}}}}});
  AuditResult result = audit_cluster(client, *rules);
  PublishResult published = publish_reports(client, result, {"europe-1"});
  EXPECT_TRUE(published.errors.empty()) << published.errors.front();
  EXPECT_EQ(published.deleted, 1u) << "prod has nothing to report any more";
  EXPECT_FALSE(api.object(kProdReports, "releasegate"));
  auto report = api.object(kStagingReports, "releasegate");
  ASSERT_TRUE(report);
  EXPECT_EQ((*report)["summary"]["fail"], 1);
  EXPECT_EQ((*report)["results"].size(), 6u);
  bool applied = false;
  for (const testing::FakeRequest& r : api.requests()) {
    if (r.method != "PATCH" || r.path != std::string(kStagingReports) + "/releasegate") continue;
    applied = true;
    EXPECT_EQ(r.headers.at("content-type"), "application/apply-patch+yaml");
    EXPECT_EQ(r.query.at("fieldManager"), "releasegate");
    EXPECT_EQ(r.query.at("force"), "true");
  }
  EXPECT_TRUE(applied);
  EXPECT_TRUE(api.object("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports", "releasegate"));
}

// Two replicas audit the same cluster: a report whose results did not
// change is not written again (its timestamps alone would make each audit
// a write, and the replicas would overwrite each other's). The stored
// report is what is compared, so a fresh process writes nothing either.
TEST_F(ClusterAuditTest, AnUnchangedReportIsNotWrittenAgain) {
  kube::Client client(api.client_config());
  PublishResult first = publish_reports(client, audit_cluster(client, *rules));
  ASSERT_TRUE(first.errors.empty());
  EXPECT_EQ(first.applied, 2u) << "staging's and the cluster's";
  std::size_t writes = api.request_count();
  std::this_thread::sleep_for(1100ms);  // a new timestamp
  kube::Client other_replica(api.client_config());
  PublishResult again = publish_reports(other_replica, audit_cluster(other_replica, *rules));
  EXPECT_EQ(again.applied, 0u);
  EXPECT_EQ(again.unchanged, 2u);
  EXPECT_EQ(again.deleted, 0u) << "an unchanged report is not stale";
  EXPECT_TRUE(api.object(kStagingReports, "releasegate"));
  for (std::size_t i = writes; i < api.requests().size(); ++i) EXPECT_NE(api.requests()[i].method, "PATCH");

  ASSERT_TRUE(api.remove(kStagingDeployments, "old"));
  PublishResult changed = publish_reports(client, audit_cluster(client, *rules));
  EXPECT_EQ(changed.applied, 1u) << "staging's results changed";
  EXPECT_EQ((*api.object(kStagingReports, "releasegate"))["summary"]["fail"], 0);
}

// Whoever may patch policyreports in a namespace (Kyverno aggregates that
// right into admin) cannot clear releasegate's results for long: a report
// edited, relabelled or deleted is written again at the next audit.
TEST_F(ClusterAuditTest, AReportATenantEditedOrDeletedIsRepairedAtTheNextAudit) {
  kube::Client client(api.client_config());
  ASSERT_TRUE(publish_reports(client, audit_cluster(client, *rules)).errors.empty());
  nlohmann::json original = *api.object(kStagingReports, "releasegate");
  ASSERT_EQ(original["summary"]["fail"], 1);
  auto tamper = [&](auto&& edit) {
    nlohmann::json report = *api.object(kStagingReports, "releasegate");
    edit(report);
    api.put(kStagingReports, report);
  };
  auto outcomes = [](const nlohmann::json& report) {
    std::vector<std::string> out;
    for (const auto& r : report["results"]) out.push_back(r["result"]);
    return out;
  };
  auto repaired = [&] {
    PublishResult published = publish_reports(client, audit_cluster(client, *rules));
    auto report = api.object(kStagingReports, "releasegate");
    return published.errors.empty() && published.applied == 1 && report && (*report)["summary"]["fail"] == 1 &&
           outcomes(*report) == outcomes(original) &&
           (*report)["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "releasegate";
  };
  tamper([](nlohmann::json& r) {
    r["results"] = nlohmann::json::array();
    r["summary"]["fail"] = 0;
  });
  EXPECT_TRUE(repaired()) << "results cleared";
  tamper([](nlohmann::json& r) {
    for (auto& result : r["results"]) {
      if (result["result"] == "fail") result["result"] = "pass";
    }
  });
  EXPECT_TRUE(repaired()) << "a failure turned into a pass";
  tamper([](nlohmann::json& r) { r["metadata"]["labels"].erase("app.kubernetes.io/managed-by"); });
  EXPECT_TRUE(repaired()) << "unlabelled, so that releasegate's list misses it";
  ASSERT_TRUE(api.remove(kStagingReports, "releasegate"));
  EXPECT_TRUE(repaired()) << "deleted";
  api.remove("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports", "releasegate");
  PublishResult cluster = publish_reports(client, audit_cluster(client, *rules));
  EXPECT_EQ(cluster.applied, 1u) << "the cluster report deleted";
  EXPECT_TRUE(api.object("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports", "releasegate"));
}

TEST_F(ClusterAuditTest, AKindTheClusterRefusesMakesTheAuditIncompleteAndDeletesNothing) {
  api.set_handler([](const testing::FakeRequest& r) -> std::optional<testing::FakeReply> {
    if (r.path == "/api/v1/pods") return testing::FakeReply::status(403, "Forbidden", "pods is forbidden");
    return std::nullopt;
  });
  api.put(kProdReports, {{"apiVersion", "wgpolicyk8s.io/v1alpha2"},
                         {"kind", "PolicyReport"},
                         {"metadata", {{"name", "releasegate"}, {"labels", {{"app.kubernetes.io/managed-by", "releasegate"}}}}}});
  kube::Client client(api.client_config());
  AuditResult result = audit_cluster(client, *rules);
  EXPECT_FALSE(result.complete);
  PublishResult published = publish_reports(client, result);
  EXPECT_EQ(published.deleted, 0u);
  EXPECT_TRUE(api.object(kProdReports, "releasegate")) << "what it reports may be what could not be listed";
  EXPECT_FALSE(api.object(kStagingReports, "releasegate")) << "staging's report would look clean without its Pods";
  EXPECT_TRUE(api.object("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports", "releasegate")) << "it says why";
}

TEST_F(ClusterAuditTest, TheLoopAuditsOnceTheRulesAreInForce) {
  runtime::RuleStore store;
  AuditLoopOptions options;
  options.settle = 0ms;
  AuditLoop loop(api.client_config(), store, options);
  loop.start();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(loop.status().runs, 0u) << "no rules, nothing to judge by";
  store.publish(testing::test_load());
  EXPECT_TRUE(testing::eventually([&] { return loop.status().runs > 0; }));
  AuditStatus status = loop.status();
  ASSERT_EQ(status.runs, 1u);
  ASSERT_TRUE(status.last_complete);
  EXPECT_EQ(status.objects, 6u);
  EXPECT_EQ((status.counts[{"staging", "image-promotion", Outcome::Fail}]), 1u);
  EXPECT_TRUE(api.object(kStagingReports, "releasegate"));
  auto stopping = std::chrono::steady_clock::now();
  loop.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 30s) << "stop does not wait for the next interval";
}

class AuditCommandTest : public ClusterAuditTest {
 protected:
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("releasegate-audit-" + std::to_string(::getpid()));
  void SetUp() override {
    ClusterAuditTest::SetUp();
    std::filesystem::create_directories(dir / "rules");
    std::ofstream(dir / "rules/policy.yaml") << testing::kTestPolicy;
    std::ofstream(dir / "rules/promotion.yaml") << testing::kTestPromotion;
    testing::write_kubeconfig(api, dir / "kubeconfig");
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  int run(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {"--kubeconfig", (dir / "kubeconfig").string()});
    std::ostringstream o, e;
    int code = cli::run_audit(args, o, e);
    *out = o.str() + e.str();
    return code;
  }
};

TEST_F(AuditCommandTest, FailsWhenAnythingFailsAndPrintsTheInventory) {
  std::string out;
  EXPECT_EQ(run({"--rules", (dir / "rules").string(), "--inventory"}, &out), 1) << out;
  EXPECT_NE(out.find("Deployment staging/old"), std::string::npos) << out;
  EXPECT_EQ(out.find("staging/good-0"), std::string::npos) << "passes are counted, not listed";
  EXPECT_FALSE(api.object(kStagingReports, "releasegate")) << "nothing written without --publish";

  ASSERT_TRUE(api.remove(kStagingDeployments, "old"));
  EXPECT_EQ(run({"--rules", (dir / "rules").string(), "--output", "json"}, &out), 0) << out;
  json parsed = json::parse(out);
  EXPECT_EQ(parsed["objects"], 5);
}

TEST_F(AuditCommandTest, RulesFromTheClustersConfigMaps) {
  json labels{{"releasegate.io/rules", "true"}};
  api.put("/api/v1/namespaces/releasegate-system/configmaps",
          {{"metadata", {{"name", "releasegate-policy"}, {"labels", labels}}}, {"data", {{"policy.yaml", testing::kTestPolicy}}}});
  api.put("/api/v1/namespaces/releasegate-system/configmaps",
          {{"metadata", {{"name", "podinfo"}, {"labels", labels}}}, {"data", {{"podinfo.yaml", testing::kTestPromotion}}}});
  std::string out;
  EXPECT_EQ(run({"--publish"}, &out), 1) << out;
  EXPECT_TRUE(api.object(kStagingReports, "releasegate")) << "--publish writes the reports";
}

TEST_F(AuditCommandTest, InvalidRulesAuditNothing) {
  std::ofstream(dir / "rules/broken.yaml") << "kind: Promotion\nspec: [\n";
  std::string out;
  EXPECT_EQ(run({"--rules", (dir / "rules").string()}, &out), 2) << out;
}

}  // namespace
}  // namespace releasegate::audit
