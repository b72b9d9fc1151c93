// The releasegate server: the admission endpoints (/validate, /mutate) on a
// TLS listener, and the probes on a separate plain-HTTP listener with its own
// threads, so busy admission loops never fail liveness or readiness.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "audit/audit_loop.h"
#include "evidence/observer.h"
#include "kube/leader_election.h"
#include "runtime/rule_reloader.h"
#include "runtime/rules_feed.h"
#include "runtime/rule_store.h"
#include "admission/admission_handler.h"
#include "server/certificate_store.h"
#include "server/https_listener.h"

namespace releasegate::server {

using admission::AdmissionHandler;

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
  // Event-loop threads of the admission listener: one per core is enough,
  // since no thread ever waits on a client.
  std::size_t workers = std::max(2u, std::thread::hardware_concurrency());
  ListenerLimits limits;
  std::size_t decision_cache_size = admission::HandlerOptions{}.cache_size;
  // How long a rules ConfigMap edit may take to validate (below the rules
  // webhook's timeoutSeconds).
  std::chrono::milliseconds rules_edit_timeout = runtime::RulesEditValidator::Options{}.deadline;
  // How long stop() lets requests in flight finish before closing them.
  std::chrono::milliseconds shutdown_grace{20'000};
  // The cluster this releasegate guards: shown in /readyz and in every
  // decision log line.
  ClusterIdentity cluster;
  // How the rules reach the store (directories or the API), shown in
  // /readyz and /metrics; may be null (tests).
  const runtime::RulesFeed* rules_feed = nullptr;
  // The background audit, when it runs.
  const audit::AuditLoop* audit = nullptr;
  // The evidence observer, when it runs: admission reads its evidence.
  const evidence::Observer* evidence = nullptr;
  // The leader election, when several replicas share the audit and the
  // evidence ConfigMap: shown in /readyz and /metrics.
  const kube::LeaderElector* leader = nullptr;
  // How often the certificate files are re-read even without a file event.
  std::chrono::milliseconds certificate_rescan{30'000};
};

class Server {
 public:
  Server(ServerOptions options, const runtime::RuleStore& store);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds both listeners and serves on background threads. On failure says
  // what failed (certificate, address in use, ...).
  bool start(std::string* error);
  // Readiness turns false (the first step of a graceful shutdown); the
  // server still answers everything.
  void begin_shutdown();
  // Stops accepting, closes idle connections, lets requests in flight
  // finish (up to shutdown_grace), joins the threads.
  void stop();

  CertificateStatus certificate_status() const;
  int port() const;          // the TLS listener's bound port
  int metrics_port() const;  // the plain-HTTP listener's bound port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace releasegate::server
