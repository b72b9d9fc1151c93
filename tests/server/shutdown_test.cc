// Graceful shutdown and handshake floods, over TLS on loopback; and the
// real binary's exit on SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/rule_store.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_client.h"
#include "server/server.h"

namespace releasegate::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TlsClient;

// Long, so that "without waiting for the grace" is told apart from a slow
// machine by a wide margin.
constexpr std::chrono::seconds kGrace{30};

class Shutdown : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("releasegate-shutdown-" + std::to_string(::getpid()));
  runtime::RuleStore store;
  std::unique_ptr<Server> server;

  void SetUp() override {
    ASSERT_TRUE(testing::make_dev_certs(dir / "certs"));
    store.publish(testing::test_load());
    ServerOptions options;
    options.listen = {"127.0.0.1", 0};
    options.metrics_listen = {"127.0.0.1", 0};
    options.tls = {(dir / "certs/tls.crt").string(), (dir / "certs/tls.key").string(), {}};
    options.shutdown_grace = kGrace;
    server = std::make_unique<Server>(options, store);
    std::string error;
    ASSERT_TRUE(server->start(&error)) << error;
  }
  void TearDown() override {
    server.reset();
    fs::remove_all(dir);
  }
  std::string ca() const { return (dir / "certs/ca.crt").string(); }
  static std::string request() {
    testing::ReviewSpec spec;
    spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
    return TlsClient::post("/validate", testing::review(spec));
  }
};

TEST_F(Shutdown, NotReadyThenIdleClosedAndRequestsInFlightAnswered) {
  httplib::Client probes("127.0.0.1", server->metrics_port());
  TlsClient idle(server->port(), ca());
  TlsClient in_flight(server->port(), ca());
  ASSERT_TRUE(idle.connected() && in_flight.connected());
  std::string whole = request();
  // On loopback the first half is in the server's socket once sent: read
  // or not, it makes the connection busy, not idle.
  ASSERT_TRUE(in_flight.send(whole.substr(0, whole.size() / 2)));

  server->begin_shutdown();
  auto ready = probes.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);

  auto began = std::chrono::steady_clock::now();
  std::thread stopping([&] { server->stop(); });
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - began, kGrace / 2) << "idle connections close without waiting for the grace";
  ASSERT_TRUE(in_flight.send(whole.substr(whole.size() / 2)));
  auto res = in_flight.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->headers["connection"], "close");
  stopping.join();
  EXPECT_LT(std::chrono::steady_clock::now() - began, kGrace / 2) << "stopped once the last request was answered";
  TlsClient after(server->port(), ca());
  EXPECT_FALSE(after.connected());
}

TEST_F(Shutdown, AHandshakeFloodDoesNotStarveEstablishedConnectionsOrProbes) {
  TlsClient established(server->port(), ca());
  ASSERT_TRUE(established.connected());
  std::atomic<bool> flooding{true};
  std::atomic<int> handshakes{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 6; ++t) {
    flood.emplace_back([&] {
      while (flooding) {
        TlsClient c(server->port(), ca());
        if (c.connected()) ++handshakes;
      }
    });
  }
  httplib::Client probes("127.0.0.1", server->metrics_port());
  int answered = 0, probes_ok = 0;
  for (int i = 0; i < 30; ++i) {
    if (established.send(request())) {
      auto res = established.read_response();
      if (res && res->status == 200) ++answered;
    }
    auto health = probes.Get("/healthz");
    if (health && health->status == 200) ++probes_ok;
  }
  flooding = false;
  for (auto& t : flood) t.join();
  EXPECT_EQ(answered, 30);
  EXPECT_EQ(probes_ok, 30);
  EXPECT_GT(handshakes.load(), 30);
}

TEST(ServeCommand, SigtermExitsZeroAfterDraining) {
  fs::path dir = fs::temp_directory_path() / ("releasegate-sigterm-" + std::to_string(::getpid()));
  ASSERT_TRUE(testing::make_dev_certs(dir / "certs"));
  fs::create_directories(dir / "rules");
  std::ofstream(dir / "rules/policy.yaml") << testing::kTestPolicy;
  std::ofstream(dir / "rules/promotion.yaml") << testing::kTestPromotion;
  int port = testing::free_port(), metrics = testing::free_port();
  pid_t child = fork();
  if (child == 0) {
    freopen("/dev/null", "w", stdout);
    std::string listen = "127.0.0.1:" + std::to_string(port), metrics_listen = "127.0.0.1:" + std::to_string(metrics);
    std::string cert = (dir / "certs/tls.crt").string(), key = (dir / "certs/tls.key").string();
    std::string rules = (dir / "rules").string();
    execl(RELEASEGATE_BINARY, RELEASEGATE_BINARY, "serve", "--listen", listen.c_str(), "--metrics-listen",
          metrics_listen.c_str(), "--tls-cert", cert.c_str(), "--tls-key", key.c_str(), "--rules", rules.c_str(),
          "--shutdown-grace", "3s", static_cast<char*>(nullptr));
    _exit(127);
  }
  httplib::Client probes("127.0.0.1", metrics);
  EXPECT_TRUE(testing::eventually([&] {
    auto res = probes.Get("/readyz");
    return res && res->status == 200;
  }));
  kill(child, SIGTERM);
  int status = 0;
  pid_t done = 0;
  EXPECT_TRUE(testing::eventually([&] { return (done = waitpid(child, &status, WNOHANG)) != 0; }))
      << "releasegate did not exit after SIGTERM";
  if (done == 0) kill(child, SIGKILL);
  ASSERT_EQ(done, child);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace releasegate::server
