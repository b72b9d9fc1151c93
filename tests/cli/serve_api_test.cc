// End to end: the real binary, `serve --rules-from-api`, against the fake
// API server. Rules ConfigMaps added, changed, broken and deleted through
// the API change decisions as runtime/config_map_rules.h documents; the API
// down at start leaves the server not ready until it comes back, and down
// later leaves the last good rules serving.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "tests/support/fake_api_server.h"
#include "tests/support/kubeconfig_file.h"
#include "tests/support/test_support.h"

namespace releasegate::cli {
namespace {

namespace fs = std::filesystem;
using testing::eventually;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kConfigMaps = "/api/v1/namespaces/releasegate-system/configmaps";

json rules_config_map(const std::string& name, const std::string& key, const std::string& text) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "releasegate-system"}, {"labels", {{"releasegate.io/rules", "true"}}}}},
          {"data", {{key, text}}}};
}

class ServeFromApi : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("releasegate-serve-api-" + std::to_string(::getpid()));
  testing::FakeApiServer api;
  pid_t child = -1;
  int port = 0, metrics = 0;

  void SetUp() override {
    ASSERT_TRUE(api.ok()) << api.error();
    ASSERT_TRUE(testing::make_dev_certs(dir / "certs"));
    testing::write_kubeconfig(api, dir / "kubeconfig");
  }
  void TearDown() override {
    if (child > 0) {
      kill(child, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(child, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(50ms);
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
    fs::remove_all(dir);
  }

  void start() {
    port = testing::free_port();
    metrics = testing::free_port();
    std::string listen = "127.0.0.1:" + std::to_string(port), metrics_listen = "127.0.0.1:" + std::to_string(metrics);
    std::string cert = (dir / "certs/tls.crt").string(), key = (dir / "certs/tls.key").string();
    std::string kubeconfig = (dir / "kubeconfig").string();
    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      execl(RELEASEGATE_BINARY, RELEASEGATE_BINARY, "serve", "--listen", listen.c_str(), "--metrics-listen",
            metrics_listen.c_str(), "--tls-cert", cert.c_str(), "--tls-key", key.c_str(), "--rules-from-api",
            "--kubeconfig", kubeconfig.c_str(), "--audit-interval", "0", "--log-level", "error",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  std::optional<json> readyz(int* status = nullptr) {
    httplib::Client probes("127.0.0.1", metrics);
    auto res = probes.Get("/readyz");
    if (!res) return std::nullopt;
    if (status) *status = res->status;
    return json::parse(res->body, nullptr, false);
  }


  // Whether the webhook allows a staging Deployment of podinfo at `tag`.
  std::optional<bool> allows(const std::string& tag) {
    httplib::SSLClient client("127.0.0.1", port);
    client.set_ca_cert_path((dir / "certs/ca.crt").string().c_str());
    client.enable_server_certificate_verification(true);
    testing::ReviewSpec spec;
    spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:" + tag);
    auto res = client.Post("/validate", testing::review(spec), "application/json");
    if (!res || res->status != 200) return std::nullopt;
    return json::parse(res->body)["response"]["allowed"].get<bool>();
  }
};

std::string promotion_with(const std::string& extra_staging_version) {
  std::string text = testing::kTestPromotion;
  std::string marker = "staging: [\"6.5.0\", ";
  return text.replace(text.find(marker), marker.size(), marker + "\"" + extra_staging_version + "\", ");
}

TEST_F(ServeFromApi, ConfigMapsAddedChangedBrokenAndDeletedChangeDecisions) {
  api.put(kConfigMaps, rules_config_map("releasegate-policy", "policy.yaml", testing::kTestPolicy));
  api.put(kConfigMaps, rules_config_map("podinfo-promotion", "podinfo.yaml", testing::kTestPromotion));
  start();
  ASSERT_TRUE(eventually([&] {
    int status = 0;
    return readyz(&status) && status == 200;
  })) << "ready once the first list is compiled";
  EXPECT_EQ(allows("6.5.0"), true);
  EXPECT_EQ(allows("7.0.0"), false);

  // Changed: 7.0.0 promoted to staging in the ConfigMap, no restart.
  api.put(kConfigMaps, rules_config_map("podinfo-promotion", "podinfo.yaml", promotion_with("7.0.0")));
  EXPECT_TRUE(eventually([&] { return allows("7.0.0") == true; }));

  // Broken: the last good content stays in force, and /readyz names it.
  api.put(kConfigMaps, rules_config_map("podinfo-promotion", "podinfo.yaml", "kind: Promotion\nspec: [\n"));
  ASSERT_TRUE(eventually([&] {
    auto detail = readyz();
    return detail && !(*detail)["rulesWatch"]["heldConfigMaps"].empty();
  }));
  json detail = *readyz();
  EXPECT_EQ(detail["rulesWatch"]["heldConfigMaps"][0]["configMap"], "releasegate-system/podinfo-promotion");
  EXPECT_EQ(detail["ready"], true);
  EXPECT_EQ(allows("7.0.0"), true);

  // A new team ConfigMap applies beside the broken one.
  std::string team = "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: checkout\nspec:\n"
                     "  images:\n    - repository: ghcr.io/acme/checkout\n      environments:\n        staging: [\"1.0.0\"]\n";
  api.put(kConfigMaps, rules_config_map("checkout", "checkout.yaml", team));
  std::uint64_t generation = detail["rules"]["generation"];
  EXPECT_TRUE(eventually([&] {
    auto now = readyz();
    return now && (*now)["rules"]["generation"].get<std::uint64_t>() > generation;
  }));

  // Deleted: podinfo has no promotion record any more.
  ASSERT_TRUE(api.remove(kConfigMaps, "podinfo-promotion"));
  EXPECT_TRUE(eventually([&] { return allows("6.5.0") == false; }));
  EXPECT_TRUE((*readyz())["rulesWatch"]["heldConfigMaps"].empty());
}

TEST_F(ServeFromApi, NotReadyWhileTheApiIsDownAtStartThenLastGoodRulesWhenItGoesDown) {
  api.put(kConfigMaps, rules_config_map("releasegate-policy", "policy.yaml", testing::kTestPolicy));
  api.put(kConfigMaps, rules_config_map("podinfo-promotion", "podinfo.yaml", testing::kTestPromotion));
  api.set_down(true);
  start();
  ASSERT_TRUE(eventually([&] { return readyz().has_value(); }));
  std::this_thread::sleep_for(500ms);
  int status = 0;
  json detail = *readyz(&status);
  EXPECT_EQ(status, 503);
  EXPECT_EQ(detail["rulesLoaded"], false);
  EXPECT_EQ(detail["rulesWatch"]["synced"], false);

  api.set_down(false);
  ASSERT_TRUE(eventually([&] { return readyz(&status) && status == 200; })) << "retried until the API answers";
  EXPECT_EQ(allows("6.5.0"), true);

  api.set_down(true);
  api.close_watches();
  ASSERT_TRUE(eventually([&] {
    auto now = readyz(&status);
    return now && (*now)["rulesWatch"]["connected"] == false;
  }));
  EXPECT_EQ(status, 200) << "the last good rules keep serving";
  EXPECT_EQ(allows("6.5.0"), true);
  httplib::Client probes("127.0.0.1", metrics);
  auto scraped = probes.Get("/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_NE(scraped->body.find("releasegate_rules_watch_connected 0"), std::string::npos);

  api.set_down(false);
  EXPECT_TRUE(eventually([&] {
    auto now = readyz();
    return now && (*now)["rulesWatch"]["connected"] == true;
  })) << "reconnects";
}

// The issue's restart loop, end to end: after a control-plane restart a
// rules ConfigMap deleted takes effect within seconds (it took minutes,
// until etcd compacted the version the watch kept relisting at), with one
// relist counted for the collection.
TEST_F(ServeFromApi, AfterAControlPlaneRestartRuleChangesApply) {
  api.put(kConfigMaps, rules_config_map("releasegate-policy", "policy.yaml", testing::kTestPolicy));
  api.put(kConfigMaps, rules_config_map("podinfo-promotion", "podinfo.yaml", testing::kTestPromotion));
  start();
  ASSERT_TRUE(eventually([&] {
    int status = 0;
    return readyz(&status) && status == 200 && api.open_watches() == 1;
  }));
  EXPECT_EQ(allows("6.5.0"), true);
  api.restart();
  ASSERT_TRUE(api.remove(kConfigMaps, "podinfo-promotion"));
  EXPECT_TRUE(eventually([&] { return allows("6.5.0") == false; })) << "the deletion applies";
  ASSERT_TRUE(eventually([&] {
    auto now = readyz();
    return now && (*now)["rulesWatch"]["connected"] == true;
  }));
  httplib::Client probes("127.0.0.1", metrics);
  auto scraped = probes.Get("/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_NE(scraped->body.find(R"(releasegate_watch_relists_total{collection="/api/v1/namespaces/releasegate-system/configmaps"} 1)"),
            std::string::npos)
      << scraped->body;
}

}  // namespace
}  // namespace releasegate::cli
