// Hot reload through kubelet's ..data symlink swap, with the server
// answering over TLS throughout.
#include "runtime/rule_reloader.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/test_support.h"
#include "server/server.h"

namespace releasegate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// A directory laid out the way kubelet mounts a ConfigMap.
class MountedConfigMap {
 public:
  explicit MountedConfigMap(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  ~MountedConfigMap() { fs::remove_all(dir_); }

  // Writes a new version and swaps ..data to it atomically, as kubelet does.
  void update(const std::map<std::string, std::string>& files) {
    std::string version = "..2026_11_22_" + std::to_string(++versions_);
    fs::create_directories(dir_ / version);
    for (const auto& [name, content] : files) std::ofstream(dir_ / version / name) << content;
    fs::create_directory_symlink(version, dir_ / "..data_tmp");
    fs::rename(dir_ / "..data_tmp", dir_ / "..data");
    for (const auto& [name, content] : files) {
      if (!fs::is_symlink(dir_ / name)) fs::create_symlink("..data/" + name, dir_ / name);
    }
    if (!previous_.empty()) fs::remove_all(dir_ / previous_);
    previous_ = version;
  }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
  int versions_ = 0;
  std::string previous_;
};

std::string with_staging_tag(const std::string& tag) {
  std::string promotion = testing::kTestPromotion;
  return promotion.replace(promotion.find("staging: [\""), 11, "staging: [\"" + tag + "\", \"");
}

runtime::ReloadOptions fast_options(const fs::path& dir) {
  runtime::ReloadOptions options;
  options.directories = {dir.string()};
  options.debounce = 50ms;
  options.rescan = 60s;  // events alone must be enough
  return options;
}

using releasegate::testing::eventually;

class Reload : public ::testing::Test {
 protected:
  MountedConfigMap rules_dir{fs::temp_directory_path() / ("releasegate-reload-" + std::to_string(::getpid()))};
  runtime::RuleStore store;
  fs::path certs = rules_dir.path() / "certs";

  // A server on loopback that serves `store` and reports `reloader` in /readyz.
  std::unique_ptr<server::Server> start_server(const runtime::RuleReloader& reloader) {
    if (!testing::make_dev_certs(certs)) return nullptr;
    server::ServerOptions options;
    options.listen = {"127.0.0.1", 0};
    options.metrics_listen = {"127.0.0.1", 0};
    options.tls = {(certs / "tls.crt").string(), (certs / "tls.key").string(), {}};
    options.rules_feed = &reloader;
    auto server = std::make_unique<server::Server>(options, store);
    std::string error;
    if (!server->start(&error)) return nullptr;
    return server;
  }
};

TEST_F(Reload, SymlinkSwapPublishesANewGenerationAndAllowsTheNewlyPromotedTag) {
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}});
  runtime::RuleReloader reloader(fast_options(rules_dir.path()), store);
  ASSERT_TRUE(reloader.reload_now());
  EXPECT_EQ(store.current()->generation, 1u);
  reloader.start();
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", with_staging_tag("6.6.0")}});
  ASSERT_TRUE(eventually([&] { return store.current()->generation == 2; }));
  EXPECT_TRUE(store.current()->promotions.find("ghcr.io/acme/podinfo", 1).find_tag("6.6.0"));
  EXPECT_EQ(reloader.status().successes, 2u);
}

TEST_F(Reload, ABrokenEditKeepsTheLastGoodRuleSetAndCountsTheFailure) {
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}});
  runtime::RuleReloader reloader(fast_options(rules_dir.path()), store);
  ASSERT_TRUE(reloader.reload_now());
  auto good = store.current();
  reloader.start();
  std::string broken = testing::kTestPromotion;
  broken.replace(broken.find("prod:"), 5, "prdo:");
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", broken}});
  ASSERT_TRUE(eventually([&] { return reloader.status().failures == 1; }));
  EXPECT_EQ(store.current(), good);  // the very same snapshot
  runtime::ReloadStatus status = reloader.status();
  EXPECT_EQ(status.generation, 1u);
  ASSERT_EQ(status.last_errors.size(), 1u);
  EXPECT_NE(status.last_errors[0].message.find("unknown environment \"prdo\""), std::string::npos);
  // The re-scan of unchanged broken content does not count again.
  EXPECT_FALSE(reloader.reload_now());
  EXPECT_EQ(reloader.status().failures, 1u);
  // Fixing it publishes generation 2 and clears the error.
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", with_staging_tag("7.0.0")}});
  ASSERT_TRUE(eventually([&] { return reloader.status().generation == 2; }));
  EXPECT_TRUE(reloader.status().last_errors.empty());
}

TEST_F(Reload, PlainFilesEditedInPlaceAreReloaded) {
  fs::path dir = rules_dir.path() / "plain";
  fs::create_directories(dir);
  std::ofstream(dir / "policy.yaml") << testing::kTestPolicy;
  std::ofstream(dir / "promotion.yaml") << testing::kTestPromotion;
  runtime::RuleReloader reloader(fast_options(dir), store);
  ASSERT_TRUE(reloader.reload_now());
  reloader.start();
  std::ofstream(dir / "promotion.yaml") << with_staging_tag("6.7.0");
  ASSERT_TRUE(eventually([&] { return store.current()->generation == 2; }));
  EXPECT_TRUE(store.current()->promotions.find("ghcr.io/acme/podinfo", 1).find_tag("6.7.0"));
}

// Over TLS: a client keeps asking about 6.6.0 in staging while the rules
// are swapped under the server. Every request is answered; the answer
// changes from deny to allow; a broken edit changes nothing.
TEST_F(Reload, DecisionsChangeUnderLoadWithoutAFailedRequest) {
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}});
  runtime::RuleReloader reloader(fast_options(rules_dir.path()), store);
  ASSERT_TRUE(reloader.reload_now());
  reloader.start();
  auto server = start_server(reloader);
  ASSERT_TRUE(server);

  testing::ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.6.0");
  std::string body = testing::review(spec);
  std::atomic<bool> done{false};
  std::atomic<int> failed{0}, allowed{0}, denied{0};
  std::thread client([&] {
    httplib::SSLClient c("127.0.0.1", server->port());
    c.set_ca_cert_path((certs / "ca.crt").string().c_str());
    c.enable_server_certificate_verification(true);
    c.set_keep_alive(true);
    while (!done) {
      auto res = c.Post("/validate", body, "application/json");
      if (!res || res->status != 200) {
        ++failed;
        continue;
      }
      (json::parse(res->body)["response"]["allowed"] == true ? allowed : denied)++;
    }
  });
  ASSERT_TRUE(eventually([&] { return denied > 10; }));
  std::string broken = testing::kTestPromotion;
  broken.replace(broken.find("prod:"), 5, "prdo:");
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", broken}});
  ASSERT_TRUE(eventually([&] { return reloader.status().failures == 1; }));
  int allowed_before_fix = allowed;
  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", with_staging_tag("6.6.0")}});
  ASSERT_TRUE(eventually([&] { return allowed > 10; }));
  done = true;
  client.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(allowed_before_fix, 0);

  httplib::Client probes("127.0.0.1", server->metrics_port());
  auto ready = probes.Get("/readyz");
  ASSERT_TRUE(ready);
  json detail = json::parse(ready->body);
  EXPECT_EQ(detail["rules"]["generation"], 2);
  EXPECT_EQ(detail["rules"]["reloadFailures"], 1);
  reloader.stop();
  server->stop();
}

TEST_F(Reload, NotReadyUntilTheFirstGoodLoad) {
  std::string broken = testing::kTestPolicy;
  broken.replace(broken.find("mode: enforce"), 13, "mode: block");
  rules_dir.update({{"policy.yaml", broken}, {"promotion.yaml", testing::kTestPromotion}});
  runtime::RuleReloader reloader(fast_options(rules_dir.path()), store);
  EXPECT_FALSE(reloader.reload_now());
  reloader.start();
  auto server = start_server(reloader);
  ASSERT_TRUE(server);
  httplib::Client probes("127.0.0.1", server->metrics_port());
  auto not_ready = probes.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_NE(not_ready->body.find("mode must be enforce, warn or audit"), std::string::npos) << not_ready->body;

  httplib::SSLClient c("127.0.0.1", server->port());
  c.set_ca_cert_path((certs / "ca.crt").string().c_str());
  c.enable_server_certificate_verification(true);
  testing::ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  auto unavailable = c.Post("/validate", testing::review(spec), "application/json");
  ASSERT_TRUE(unavailable);
  EXPECT_EQ(unavailable->status, 503);

  rules_dir.update({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}});
  ASSERT_TRUE(eventually([&] {
    auto ready = probes.Get("/readyz");
    return ready && ready->status == 200;
  }));
  auto answered = c.Post("/validate", testing::review(spec), "application/json");
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 200);
  reloader.stop();
  server->stop();
}

}  // namespace
}  // namespace releasegate
