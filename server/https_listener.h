// The admission listener: HTTP/1.1 over TLS on a few epoll event loops,
// non-blocking throughout. Each connection is a small state machine
// (handshake, head, body, write), so a slow or idle client costs a buffer,
// not a thread; every phase has a deadline; and a whole request is parsed
// from one buffer and answered with one write.
//
// Why not cpp-httplib's server here: 0.11.4 holds a thread per connection,
// reads request heads one byte per TLS read, cannot bound a request's total
// time, and reads chunked or length-less bodies without a size limit
// (CVE-2025-53629, CVE-2025-46728). The probe listener, with no untrusted
// bodies, still uses it.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/http_request.h"

namespace releasegate::server {

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this reply
};

struct ListenerLimits {
  std::size_t max_connections = 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  // From a request's first byte to its last: a client sending one byte a
  // second cannot hold a connection past this.
  std::chrono::milliseconds request_timeout{10'000};
  // Above the apiserver's 90 s idle timeout, so the client closes idle
  // connections, never a request in flight.
  std::chrono::milliseconds idle_timeout{120'000};
  std::chrono::milliseconds write_timeout{10'000};
};

// Delivers a reply its handler deferred: called once, from any thread. A
// reply whose connection (or listener) is gone by then is dropped.
using Responder = std::function<void(HttpReply)>;

class HttpsListener {
 public:
  class Loop;
  // Given to a handler that cannot answer at once (work that must leave the
  // event loop): defer() returns the Responder for this request, and the
  // handler then returns nullopt.
  class Deferral {
   public:
    Responder defer() const;

   private:
    friend class Loop;
    Deferral(Loop& loop, std::uint64_t request) : loop_(loop), request_(request) {}
    Loop& loop_;
    std::uint64_t request_;
  };

  // Called once a head has arrived, before the body is read: a reply
  // refuses the request (and closes the connection); nullopt reads on.
  using HeadCheck = std::function<std::optional<HttpReply>(const RequestHead&)>;
  // The reply, or nullopt after deferral.defer(): the connection then waits
  // (reading nothing more) until the Responder is called.
  using Handler = std::function<std::optional<HttpReply>(const RequestHead&, std::string_view body, const Deferral&)>;

  // The TLS context for each new connection: asked once per accept, so a
  // rotated certificate applies to new handshakes only.
  using ContextProvider = std::function<std::shared_ptr<SSL_CTX>()>;

  // Told of every request refused before reaching the handler (its status).
  using RefusalObserver = std::function<void(int status)>;

  HttpsListener(ContextProvider context, ListenerLimits limits, HeadCheck check, Handler handler,
                RefusalObserver refused = {});
  ~HttpsListener();
  HttpsListener(const HttpsListener&) = delete;
  HttpsListener& operator=(const HttpsListener&) = delete;

  // Binds and listens; port 0 picks a free port.
  bool bind(const std::string& host, int port, std::string* error);
  int port() const { return port_; }

  void start(std::size_t threads);
  // Stops accepting, closes idle connections, lets requests in flight be
  // answered (with Connection: close), then closes whatever remains after
  // `grace`. Joins the loop threads.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  bool running() const { return running_.load(); }
  std::size_t open_connections() const { return connections_.load(); }

 private:
  friend class Loop;

  ContextProvider context_;
  ListenerLimits limits_;
  HeadCheck check_;
  Handler handler_;
  RefusalObserver refused_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::chrono::steady_clock::time_point stop_deadline_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
};

}  // namespace releasegate::server
