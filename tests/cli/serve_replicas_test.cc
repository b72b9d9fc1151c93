// Three `serve --rules-from-api` replicas against one fake API server, as
// the shipped Deployment runs them: every replica is ready and decides; one
// is elected through the Lease and only it audits and writes reports. A
// leader stopped gracefully hands over at once; a leader killed is
// replaced once its lease has run out, and the new leader audits.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "tests/support/fake_api_server.h"
#include "tests/support/kubeconfig_file.h"
#include "tests/support/test_support.h"

namespace releasegate::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;

constexpr const char* kConfigMaps = "/api/v1/namespaces/releasegate-system/configmaps";
constexpr const char* kLeases = "/apis/coordination.k8s.io/v1/namespaces/releasegate-system/leases";

json rules_config_map(const std::string& name, const std::string& key, const std::string& text) {
  return {{"metadata", {{"name", name}, {"labels", {{"releasegate.io/rules", "true"}}}}}, {"data", {{key, text}}}};
}

struct Replica {
  std::string name;
  pid_t pid = -1;
  int metrics = 0;
};

class Replicas : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("releasegate-replicas-" + std::to_string(::getpid()));
  testing::FakeApiServer api;
  std::map<std::string, Replica> replicas;

  void SetUp() override {
    ASSERT_TRUE(api.ok()) << api.error();
    api.set_accepted_token("");  // each replica has its own token: requests tell who sent them
    ASSERT_TRUE(testing::make_dev_certs(dir / "certs"));
    api.put(kConfigMaps, rules_config_map("releasegate-policy", "policy.yaml", testing::kTestPolicy));
    api.put(kConfigMaps, rules_config_map("podinfo-promotion", "podinfo.yaml", testing::kTestPromotion));
    // Something to report: a prod Deployment running what was never promoted.
    api.put("/apis/apps/v1/namespaces/prod/deployments", testing::deployment("prod", "ghcr.io/acme/podinfo:9.9.9"));
    // As deploy/base/lease.yaml ships it.
    api.put(kLeases, {{"metadata", {{"name", "releasegate"}}}});
  }
  void TearDown() override {
    for (auto& [name, r] : replicas) stop(r, SIGKILL);
    fs::remove_all(dir);
  }

  void start(const std::string& name) {
    Replica r{name, -1, testing::free_port()};
    fs::path kubeconfig = dir / (name + ".kubeconfig");
    testing::write_kubeconfig(api, kubeconfig, "releasegate-system", "token-" + name);
    std::string listen = "127.0.0.1:" + std::to_string(testing::free_port());
    std::string metrics = "127.0.0.1:" + std::to_string(r.metrics);
    std::string cert = (dir / "certs/tls.crt").string(), key = (dir / "certs/tls.key").string();
    r.pid = fork();
    ASSERT_GE(r.pid, 0);
    if (r.pid == 0) {
      setenv("POD_NAME", name.c_str(), 1);
      execl(RELEASEGATE_BINARY, RELEASEGATE_BINARY, "serve", "--listen", listen.c_str(), "--metrics-listen",
            metrics.c_str(), "--tls-cert", cert.c_str(), "--tls-key", key.c_str(), "--rules-from-api",
            "--kubeconfig", kubeconfig.c_str(), "--evidence-observer", "off", "--log-level", "error",
            "--leader-election-lease-duration", "3s", "--leader-election-renew-deadline", "2s",
            "--leader-election-retry-period", "1s", static_cast<char*>(nullptr));
      _exit(127);
    }
    replicas[name] = r;
  }

  void stop(Replica& r, int signal) {
    if (r.pid <= 0) return;
    kill(r.pid, signal);
    int status = 0;
    EXPECT_TRUE(eventually([&] { return waitpid(r.pid, &status, WNOHANG) == r.pid; })) << r.name;
    r.pid = -1;
  }

  std::optional<json> readyz(const Replica& r) {
    if (r.pid <= 0) return std::nullopt;
    httplib::Client probes("127.0.0.1", r.metrics);
    auto res = probes.Get("/readyz");
    if (!res || res->status != 200) return std::nullopt;
    return json::parse(res->body, nullptr, false);
  }

  // The replicas that say they lead.
  std::vector<std::string> leaders() {
    std::vector<std::string> out;
    for (auto& [name, r] : replicas) {
      auto detail = readyz(r);
      if (detail && (*detail)["leaderElection"]["leading"] == true) out.push_back(name);
    }
    return out;
  }

  // Report writes (server-side applies of policy reports) by each replica;
  // with "GET", the reads of them each audit starts its publishing with
  // (a new leader finds the reports as it would write them, and writes none).
  std::map<std::string, int> report_writes(const std::string& method = "PATCH") {
    std::map<std::string, int> out;
    for (const testing::FakeRequest& request : api.requests()) {
      if (request.method != method || request.path.find("policyreports") == std::string::npos) continue;
      auto auth = request.headers.find("authorization");
      if (auth != request.headers.end()) ++out[auth->second.substr(std::string("Bearer token-").size())];
    }
    return out;
  }
};

TEST_F(Replicas, OneLeaderAuditsAndTheNextTakesOverWhenItStopsOrDies) {
  for (const char* name : {"a", "b", "c"}) start(name);
  ASSERT_TRUE(eventually([&] {
    for (auto& [name, r] : replicas) {
      if (!readyz(r)) return false;
    }
    return true;
  })) << "every replica is ready and serves admission, leader or not";
  ASSERT_TRUE(eventually([&] { return leaders().size() == 1; }));
  std::string first = leaders()[0];
  ASSERT_TRUE(eventually([&] { return report_writes()[first] > 0; })) << "the leader audits and writes reports";
  EXPECT_EQ(report_writes().size(), 1u) << "only the leader writes reports";
  EXPECT_EQ(api.object(kLeases, "releasegate")->at("spec").at("holderIdentity"), first);

  // A rolling update: SIGTERM releases the Lease; another replica leads and audits.
  stop(replicas[first], SIGTERM);
  ASSERT_TRUE(eventually([&] { return leaders().size() == 1; }));
  std::string second = leaders()[0];
  EXPECT_NE(second, first);
  ASSERT_TRUE(eventually([&] { return report_writes("GET")[second] > 0; })) << "the new leader audits at once";

  // Killed: nothing released; the last replica waits out the lease, then leads and audits.
  int writes_before = report_writes()[first];
  stop(replicas[second], SIGKILL);
  ASSERT_TRUE(eventually([&] { return leaders().size() == 1; }));
  std::string third = leaders()[0];
  EXPECT_NE(third, first);
  EXPECT_NE(third, second);
  ASSERT_TRUE(eventually([&] { return report_writes("GET")[third] > 0; }));
  EXPECT_EQ(report_writes()[first], writes_before) << "a stopped replica writes nothing";
  EXPECT_EQ(api.object(kLeases, "releasegate")->at("spec").at("leaseTransitions"), 3) << "taken three times: from nobody, after the release, after the lease ran out";
  httplib::Client probes("127.0.0.1", replicas[third].metrics);
  auto scraped = probes.Get("/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_NE(scraped->body.find("releasegate_leader_election_leading 1"), std::string::npos);
}

}  // namespace
}  // namespace releasegate::cli
