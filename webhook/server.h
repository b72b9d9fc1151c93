// The releasegate server: the admission endpoints (/validate, /mutate) on a
// TLS listener, and the probes on a separate plain-HTTP listener with its own
// threads, so a saturated admission pool never fails liveness or readiness.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "rules/rule_store.h"
#include "webhook/tls_context.h"

namespace releasegate::webhook {

struct ListenAddress {
  std::string host;  // "0.0.0.0" when written as ":port"
  int port = 0;      // 0: any free port (tests)
};

// Parses "host:port", ":port" or "[v6]:port".
std::optional<ListenAddress> parse_listen_address(std::string_view text);

struct ServerOptions {
  ListenAddress listen{"0.0.0.0", 8443};
  ListenAddress metrics_listen{"0.0.0.0", 9090};
  TlsFiles tls;
  // Each connection holds a worker for its lifetime; the apiserver keeps a
  // few per replica.
  std::size_t workers = 64;
  // object + oldObject of the largest object etcd stores (1.5 MiB each),
  // as JSON, with room to spare.
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  // Above the apiserver's idle-connection timeout (90 s), so it is the
  // client that closes idle connections, never a request in flight.
  int keep_alive_seconds = 120;
  int keep_alive_max_requests = 100000;
  int read_timeout_seconds = 10;
  int write_timeout_seconds = 10;
};

class Server {
 public:
  Server(ServerOptions options, const rules::RuleStore& store);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds both listeners and serves on background threads. On failure says
  // what failed (certificate, address in use, ...).
  bool start(std::string* error);
  // Stops accepting, lets in-flight requests finish, joins the threads.
  void stop();

  int port() const;          // the TLS listener's bound port
  int metrics_port() const;  // the plain-HTTP listener's bound port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace releasegate::webhook
