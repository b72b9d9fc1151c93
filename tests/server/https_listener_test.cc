// The event-loop TLS listener on its own, with short limits: framing,
// pipelining, deadlines against slow and idle clients, connection limits
// and shutdown.
#include "server/https_listener.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "tests/support/test_support.h"
#include "tests/support/tls_client.h"
#include "server/tls_context.h"

namespace releasegate::server {
namespace {

using testing::TlsClient;
using namespace std::chrono_literals;

class Listener : public ::testing::Test {
 protected:
  static inline std::filesystem::path certs;
  static void SetUpTestSuite() {
    certs = std::filesystem::temp_directory_path() / ("releasegate-listener-test-" + std::to_string(::getpid()));
    ASSERT_TRUE(testing::make_dev_certs(certs));
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(certs); }

  void SetUp() override {
    std::string error;
    ctx_ = make_tls_context({(certs / "tls.crt").string(), (certs / "tls.key").string(), {}}, &error);
    ASSERT_TRUE(ctx_) << error;
  }

  void start(ListenerLimits limits) {
    listener_ = std::make_unique<HttpsListener>(
        context(), limits, [](const RequestHead&) { return std::optional<HttpReply>(); },
        [this](const RequestHead& head, std::string_view body, const HttpsListener::Deferral&) -> std::optional<HttpReply> {
          ++handled_;
          return HttpReply{200, "text/plain", head.path + " " + std::to_string(body.size()), {}, false};
        });
    std::string error;
    ASSERT_TRUE(listener_->bind("127.0.0.1", 0, &error)) << error;
    listener_->start(2);
  }

  static ListenerLimits short_limits() {
    ListenerLimits limits;
    limits.max_header_bytes = 1024;
    limits.max_body_bytes = 4096;
    limits.request_timeout = 300ms;
    limits.idle_timeout = 600ms;
    limits.max_connections = 4;
    return limits;
  }

  std::string ca() const { return (certs / "ca.crt").string(); }
  static std::string post(const std::string& path, const std::string& body) { return TlsClient::post(path, body); }

  std::shared_ptr<SSL_CTX> ctx_;
  HttpsListener::ContextProvider context() const {
    return [ctx = ctx_] { return ctx; };
  }
  std::unique_ptr<HttpsListener> listener_;
  std::atomic<int> handled_{0};
};

TEST_F(Listener, PipelinedRequestsAreAnsweredInOrder) {
  start(short_limits());
  TlsClient client(listener_->port(), ca());
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.send(post("/a", "12345") + post("/b", "") + post("/c", std::string(3000, 'x'))));
  for (std::string expected : {"/a 5", "/b 0", "/c 3000"}) {
    auto res = client.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, expected);
  }
}

TEST_F(Listener, BodyArrivingInPiecesIsAssembled) {
  start(short_limits());
  TlsClient client(listener_->port(), ca());
  std::string request = post("/pieces", std::string(2000, 'y'));
  for (std::size_t i = 0; i < request.size(); i += 500) {
    ASSERT_TRUE(client.send(request.substr(i, 500)));
    std::this_thread::sleep_for(10ms);
  }
  auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "/pieces 2000");
}

TEST_F(Listener, SlowClientIsCutOffAtTheRequestDeadline) {
  start(short_limits());
  TlsClient client(listener_->port(), ca());
  std::string request = post("/slow", "{}");
  // One byte every 50 ms: each read succeeds, and the whole request would
  // take many times the 300 ms deadline; cut off, it never completes.
  std::size_t sent = 0;
  for (char c : request) {
    if (!client.send(std::string(1, c))) break;
    ++sent;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_LT(sent, request.size()) << "the server read the whole request instead of cutting it off";
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(Listener, IdleConnectionIsClosedAfterTheIdleTimeout) {
  start(short_limits());
  TlsClient client(listener_->port(), ca());
  ASSERT_TRUE(client.connected());
  auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_server());
  auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_GE(waited, 500ms);
}

TEST_F(Listener, OversizedHeadIs431) {
  start(short_limits());
  TlsClient client(listener_->port(), ca());
  ASSERT_TRUE(client.send("POST /x HTTP/1.1\r\nX-Big: " + std::string(2000, 'h') + "\r\nContent-Length: 0\r\n\r\n"));
  auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(Listener, MalformedHeadsAndFramingAreRefused) {
  start(short_limits());
  struct Case {
    std::string request;
    int status;
  };
  for (const Case& c : {Case{"GARBAGE\r\n\r\n", 400}, Case{"POST /x HTTP/2.0\r\nContent-Length: 0\r\n\r\n", 400},
                        Case{"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
                        Case{"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
                        Case{"POST /x HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413},
                        Case{"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
                        Case{"POST /x HTTP/1.1\r\nHost: a\r\n\r\n", 411}}) {
    TlsClient client(listener_->port(), ca());
    ASSERT_TRUE(client.send(c.request));
    auto res = client.read_response();
    ASSERT_TRUE(res) << c.request;
    EXPECT_EQ(res->status, c.status) << c.request;
    EXPECT_TRUE(client.closed_by_server()) << c.request;
  }
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(Listener, ConnectionsOverTheLimitAreClosed) {
  start(short_limits());
  std::vector<std::unique_ptr<TlsClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<TlsClient>(listener_->port(), ca()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  TlsClient extra(listener_->port(), ca());
  EXPECT_FALSE(extra.connected());
  // The established ones still work.
  ASSERT_TRUE(clients[0]->send(post("/ok", "1")));
  auto res = clients[0]->read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "/ok 1");
}

TEST_F(Listener, StopClosesIdleConnectionsAndReturns) {
  ListenerLimits limits = short_limits();
  limits.idle_timeout = 60s;
  start(limits);
  TlsClient idle(listener_->port(), ca());
  ASSERT_TRUE(idle.connected());
  auto began = std::chrono::steady_clock::now();
  listener_->stop(60s);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 30s) << "idle connections do not wait for the grace";
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_EQ(listener_->open_connections(), 0u);
}

}  // namespace
}  // namespace releasegate::server

namespace releasegate::server {
namespace {

TEST_F(Listener, AHandlerFaultIsA500AndTheLoopKeepsServing) {
  listener_ = std::make_unique<HttpsListener>(
      context(), short_limits(), [](const RequestHead&) { return std::optional<HttpReply>(); },
      [](const RequestHead& head, std::string_view, const HttpsListener::Deferral&) -> std::optional<HttpReply> {
        if (head.path == "/boom") throw std::runtime_error("boom");
        return HttpReply{200, "text/plain", "fine", {}, false};
      });
  std::string error;
  ASSERT_TRUE(listener_->bind("127.0.0.1", 0, &error)) << error;
  listener_->start(1);
  TlsClient failing(listener_->port(), ca());
  ASSERT_TRUE(failing.send(post("/boom", "")));
  auto res = failing.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  TlsClient fine(listener_->port(), ca());
  ASSERT_TRUE(fine.send(post("/ok", "")));
  auto ok = fine.read_response();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, "fine");
}

// A handler that defers (work that must leave the event loop) holds up
// neither the loop nor other connections; its reply arrives on the same
// connection, followed by the requests pipelined behind it.
TEST_F(Listener, ADeferredReplyBlocksNeitherTheLoopNorOtherConnections) {
  std::promise<Responder> deferred;
  listener_ = std::make_unique<HttpsListener>(
      context(), short_limits(), [](const RequestHead&) { return std::optional<HttpReply>(); },
      [&](const RequestHead& head, std::string_view, const HttpsListener::Deferral& deferral) -> std::optional<HttpReply> {
        if (head.path != "/slow") return HttpReply{200, "text/plain", "fast " + head.path, {}, false};
        deferred.set_value(deferral.defer());
        return std::nullopt;
      });
  std::string error;
  ASSERT_TRUE(listener_->bind("127.0.0.1", 0, &error)) << error;
  listener_->start(1);  // one loop: a blocked loop would hold up the other client
  TlsClient slow(listener_->port(), ca());
  ASSERT_TRUE(slow.send(post("/slow", "") + post("/after", "")));
  Responder respond = deferred.get_future().get();
  // The slow request is still unanswered; another connection is served.
  TlsClient other(listener_->port(), ca());
  ASSERT_TRUE(other.send(post("/other", "")));
  auto fast = other.read_response();
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->body, "fast /other");
  std::thread worker([respond] { respond(HttpReply{200, "text/plain", "slow", {}, false}); });
  worker.join();
  auto answered = slow.read_response();
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->body, "slow");
  auto after = slow.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "fast /after");
}

// A reply deferred past the listener's life is dropped, not written to a
// connection that no longer exists.
TEST_F(Listener, AReplyAfterStopIsDropped) {
  std::promise<Responder> deferred;
  listener_ = std::make_unique<HttpsListener>(
      context(), short_limits(), [](const RequestHead&) { return std::optional<HttpReply>(); },
      [&](const RequestHead&, std::string_view, const HttpsListener::Deferral& deferral) -> std::optional<HttpReply> {
        deferred.set_value(deferral.defer());
        return std::nullopt;
      });
  std::string error;
  ASSERT_TRUE(listener_->bind("127.0.0.1", 0, &error)) << error;
  listener_->start(1);
  TlsClient client(listener_->port(), ca());
  ASSERT_TRUE(client.send(post("/x", "")));
  Responder late = deferred.get_future().get();  // the request is waiting for its reply
  listener_->stop(0ms);
  listener_.reset();
  late(HttpReply{200, "text/plain", "too late", {}, false});  // must not crash (ASan)
}

}  // namespace
}  // namespace releasegate::server
