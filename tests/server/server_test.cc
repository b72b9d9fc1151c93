// The server over real TLS on loopback: the AdmissionReview contract, the
// request limits, the probes. Certificates come from certs/dev-certs.sh.
#include "server/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "policy/compiler.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_client.h"

namespace releasegate::server {
namespace {

using nlohmann::json;
using testing::ReviewSpec;
using testing::TlsClient;

constexpr std::size_t kTestMaxBody = 256 * 1024;

class ServerTest : public ::testing::Test {
 protected:
  static inline std::filesystem::path certs;
  static inline runtime::RuleStore* store = nullptr;
  static inline Server* server = nullptr;

  static void SetUpTestSuite() {
    certs = std::filesystem::temp_directory_path() / ("releasegate-server-test-" + std::to_string(::getpid()));
    ASSERT_TRUE(testing::make_dev_certs(certs));
    store = new runtime::RuleStore();
    store->publish(testing::test_load());
    ServerOptions options;
    options.listen = {"127.0.0.1", 0};
    options.metrics_listen = {"127.0.0.1", 0};
    options.tls = {(certs / "tls.crt").string(), (certs / "tls.key").string(), {}};
    options.limits.max_body_bytes = kTestMaxBody;
    options.workers = 8;
    options.cluster = {"eu-1", {{"region", "europe"}}};
    server = new Server(options, *store);
    std::string error;
    ASSERT_TRUE(server->start(&error)) << error;
  }

  static void TearDownTestSuite() {
    delete server;
    delete store;
    std::filesystem::remove_all(certs);
  }

  static std::string ca() { return (certs / "ca.crt").string(); }

  static std::unique_ptr<httplib::SSLClient> client() {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", server->port());
    c->set_ca_cert_path(ca().c_str());
    c->enable_server_certificate_verification(true);
    c->set_keep_alive(true);
    return c;
  }

  static std::string allowed_review(const std::string& uid = "uid-1") {
    ReviewSpec spec;
    spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
    return testing::review(spec, uid);
  }
  static std::string denied_review() {
    ReviewSpec spec;
    spec.namespace_ = "prod";
    spec.operation = "UPDATE";
    spec.user = "jane@acme.com";
    spec.object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.6.0");
    spec.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
    return testing::review(spec, "uid-deny");
  }
};

// A fleet policy, and a server whose identity selects none of its
// cluster-selecting environments (no --cluster-file mounted, a label typo):
// not ready, with the metric, so that the webhook refuses (failurePolicy
// Fail) rather than letting those namespaces through. Ready once told the
// cluster is outside the fleet.
TEST(ServerFleetIdentity, AClusterHostingNoEnvironmentIsNotReadyUnlessDeclaredOutside) {
  auto example = testing::source_dir() / "deploy/examples/fleet/locations/rules";
  auto certs = std::filesystem::temp_directory_path() / ("releasegate-fleet-identity-" + std::to_string(::getpid()));
  ASSERT_TRUE(testing::make_dev_certs(certs));
  for (ClusterIdentity cluster : {ClusterIdentity{"eu-1", {{"region", "EU"}}}, ClusterIdentity{},
                                  ClusterIdentity{"lab-1", {}, true}}) {
    policy::LoadOptions load;
    load.cluster = cluster;
    runtime::RuleStore store;
    policy::LoadResult loaded = policy::load_rules({example.string()}, load);
    ASSERT_TRUE(loaded.rules);
    store.publish(loaded);
    ServerOptions options;
    options.listen = {"127.0.0.1", 0};
    options.metrics_listen = {"127.0.0.1", 0};
    options.tls = {(certs / "tls.crt").string(), (certs / "tls.key").string(), {}};
    options.cluster = cluster;
    Server server(options, store);
    std::string error;
    ASSERT_TRUE(server.start(&error)) << error;
    httplib::Client probes("127.0.0.1", server.metrics_port());
    auto ready = probes.Get("/readyz");
    ASSERT_TRUE(ready);
    json detail = json::parse(ready->body);
    auto metrics = probes.Get("/metrics");
    ASSERT_TRUE(metrics);
    bool gauge_set = metrics->body.find("\nreleasegate_cluster_hosts_no_environment 1") != std::string::npos;
    if (cluster.hosts_none) {
      EXPECT_EQ(ready->status, 200) << ready->body;
      EXPECT_FALSE(detail.contains("clusterError"));
      EXPECT_FALSE(gauge_set);
      EXPECT_NE(metrics->body.find("\nreleasegate_cluster_hosts_no_environment 0"), std::string::npos);
    } else {
      EXPECT_EQ(ready->status, 503) << cluster.describe() << ": " << ready->body;
      EXPECT_EQ(detail["ready"], false);
      EXPECT_EQ(detail["rulesLoaded"], true);
      EXPECT_TRUE(detail["clusterError"].is_string());
      EXPECT_TRUE(gauge_set) << metrics->body;
    }
    server.stop();
  }
  std::filesystem::remove_all(certs);
}

TEST_F(ServerTest, ValidateAnswersAdmissionReviewOverTls) {
  auto res = client()->Post("/validate", allowed_review("uid-allow"), "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  json body = json::parse(res->body);
  EXPECT_EQ(body["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(body["kind"], "AdmissionReview");
  EXPECT_EQ(body["response"]["uid"], "uid-allow");
  EXPECT_EQ(body["response"]["allowed"], true);
}

TEST_F(ServerTest, DenialIsHttp200WithStatus403InTheReview) {
  auto res = client()->Post("/validate", denied_review(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json body = json::parse(res->body);
  EXPECT_EQ(body["response"]["uid"], "uid-deny");
  EXPECT_EQ(body["response"]["allowed"], false);
  EXPECT_EQ(body["response"]["status"]["code"], 403);
  EXPECT_NE(body["response"]["status"]["message"].get<std::string>().find("[provenance]"), std::string::npos);
  EXPECT_FALSE(body["response"].contains("patch"));
}

TEST_F(ServerTest, AcceptsTheApiserversTimeoutQueryString) {
  auto res = client()->Post("/validate?timeout=10s", allowed_review(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["response"]["allowed"], true);
}

TEST_F(ServerTest, MutateReturnsABase64JsonPatch) {
  ReviewSpec spec;
  spec.group = "";
  spec.kind = "Pod";
  spec.namespace_ = "prod";
  spec.user = "system:serviceaccount:kube-system:replicaset-controller";
  spec.object = testing::pod("prod", "ghcr.io/acme/podinfo:6.5.0");
  auto res = client()->Post("/mutate", testing::review(spec, "uid-m"), "application/json");
  ASSERT_TRUE(res);
  json body = json::parse(res->body);
  EXPECT_EQ(body["response"]["uid"], "uid-m");
  EXPECT_EQ(body["response"]["allowed"], true);
  EXPECT_EQ(body["response"]["patchType"], "JSONPatch");
  EXPECT_FALSE(body["response"]["patch"].get<std::string>().empty());
}

TEST_F(ServerTest, BadBodiesGet400WithAJsonStatus) {
  auto c = client();
  for (const std::string& body :
       {std::string("{not json"), std::string(R"({"apiVersion":"v1","kind":"Pod"})"),
        std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
        std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}})")}) {
    auto res = c->Post("/validate", body, "application/json");
    ASSERT_TRUE(res) << body;
    EXPECT_EQ(res->status, 400) << body;
    json status = json::parse(res->body);
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["code"], 400);
  }
  // The server keeps serving after bad input.
  auto ok = c->Post("/validate", allowed_review(), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerTest, WrongMethodPathAndMediaType) {
  auto c = client();
  auto get = c->Get("/validate");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(get->get_header_value("Allow"), "POST");
  auto missing = c->Post("/admit", allowed_review(), "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto form = c->Post("/validate", allowed_review(), "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415);
}

TEST_F(ServerTest, OversizedBodyIs413AndTheConnectionIsClosed) {
  TlsClient raw(server->port(), ca());
  ASSERT_TRUE(raw.connected()) << raw.error();
  // Only the headers are sent: the server must answer before reading a body.
  ASSERT_TRUE(raw.send("POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(kTestMaxBody + 1) + "\r\n\r\n"));
  auto res = raw.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(json::parse(res->body)["code"], 413);
  // The unread body makes the connection unusable: it is closed.
  EXPECT_EQ(res->headers["connection"], "close");
  EXPECT_TRUE(raw.closed_by_server());
}

TEST_F(ServerTest, ChunkedAndLengthlessBodiesAreRefusedBeforeReading) {
  {
    TlsClient raw(server->port(), ca());
    ASSERT_TRUE(raw.send("POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
    auto res = raw.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 411);
    EXPECT_TRUE(raw.closed_by_server());
  }
  {
    TlsClient raw(server->port(), ca());
    ASSERT_TRUE(raw.send("POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n{}"));
    auto res = raw.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 411);
  }
}

TEST_F(ServerTest, ManyRequestsShareOneKeepAliveConnection) {
  TlsClient raw(server->port(), ca());
  ASSERT_TRUE(raw.connected()) << raw.error();
  for (int i = 0; i < 50; ++i) {
    std::string uid = "keepalive-" + std::to_string(i);
    ASSERT_TRUE(raw.send(TlsClient::post("/validate", allowed_review(uid))));
    auto res = raw.read_response();
    ASSERT_TRUE(res) << "request " << i;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(json::parse(res->body)["response"]["uid"], uid);
    EXPECT_NE(res->headers["connection"], "close") << "request " << i;
  }
}

TEST_F(ServerTest, RefusesTls11) {
  TlsClient old(server->port(), ca(), TLS1_1_VERSION);
  EXPECT_FALSE(old.connected());
  TlsClient modern(server->port(), ca(), TLS1_2_VERSION);
  EXPECT_TRUE(modern.connected()) << modern.error();
}

TEST_F(ServerTest, ConcurrentClientsAllGetTheirOwnAnswers) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      for (int i = 0; i < 20; ++i) {
        std::string uid = "c" + std::to_string(t) + "-" + std::to_string(i);
        auto res = c->Post("/validate", i % 2 ? allowed_review(uid) : denied_review(), "application/json");
        if (!res || res->status != 200) continue;
        json body = json::parse(res->body);
        bool expected = i % 2 ? body["response"]["uid"] == uid && body["response"]["allowed"] == true
                              : body["response"]["allowed"] == false;
        if (expected) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6 * 20);
}

TEST_F(ServerTest, ProbesAnswerOnThePlainHttpListener) {
  httplib::Client probes("127.0.0.1", server->metrics_port());
  auto health = probes.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = probes.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  json detail = json::parse(ready->body);
  EXPECT_EQ(detail["ready"], true);
  EXPECT_EQ(detail["rulesLoaded"], true);
  // The cluster it guards, as it was told.
  EXPECT_EQ(detail["cluster"], json({{"name", "eu-1"}, {"labels", {{"region", "europe"}}}}));
  EXPECT_EQ(detail["environments"], json({"dev", "staging", "prod"}));  // the test policy selects no clusters
}

// A second instance must fail to start, never share a port with the first
// (with SO_REUSEPORT the kernel split probes and scrapes between them).
TEST_F(ServerTest, ASecondInstanceCannotTakeEitherPort) {
  ServerOptions options;
  options.tls = {(certs / "tls.crt").string(), (certs / "tls.key").string(), {}};
  options.listen = {"127.0.0.1", 0};
  options.metrics_listen = {"127.0.0.1", server->metrics_port()};
  Server same_probes(options, *store);
  std::string error;
  EXPECT_FALSE(same_probes.start(&error));
  EXPECT_NE(error.find("metrics listener"), std::string::npos) << error;
  options.listen = {"127.0.0.1", server->port()};
  options.metrics_listen = {"127.0.0.1", 0};
  Server same_admission(options, *store);
  EXPECT_FALSE(same_admission.start(&error));
  EXPECT_NE(error.find("admission listener"), std::string::npos) << error;
}

TEST(ServerStart, MismatchedKeyIsAClearError) {
  std::filesystem::path a = std::filesystem::temp_directory_path() / ("releasegate-a-" + std::to_string(::getpid()));
  std::filesystem::path b = std::filesystem::temp_directory_path() / ("releasegate-b-" + std::to_string(::getpid()));
  for (const auto& dir : {a, b}) {
    ASSERT_TRUE(testing::make_dev_certs(dir));
  }
  runtime::RuleStore store;
  store.publish(testing::test_load());
  ServerOptions options;
  options.listen = {"127.0.0.1", 0};
  options.metrics_listen = {"127.0.0.1", 0};
  options.tls = {(a / "tls.crt").string(), (b / "tls.key").string(), {}};
  Server mismatched(options, store);
  std::string error;
  EXPECT_FALSE(mismatched.start(&error));
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;

  options.tls = {(a / "missing.crt").string(), (a / "tls.key").string(), {}};
  Server missing(options, store);
  EXPECT_FALSE(missing.start(&error));
  EXPECT_NE(error.find("missing.crt"), std::string::npos) << error;
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

}  // namespace
}  // namespace releasegate::server
