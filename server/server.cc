#include "server/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "runtime/directory_watcher.h"
#include "core/request.h"
#include "policy/fleet.h"
#include "admission/admission_handler.h"
#include "admission/admission_response.h"
#include "server/certificate_store.h"
#include "server/decision_log.h"
#include "server/https_listener.h"
#include "server/log.h"
#include "server/metrics.h"

namespace releasegate::server {

using admission::AdmissionHandler;
using admission::Endpoint;
using admission::HandledReview;
using admission::render_status;
namespace {

constexpr std::size_t kProbeWorkers = 4;

// What /readyz says of the rules: the generation in force, and the last
// failed reload with its errors, so an admin sees why an edit did not apply.
nlohmann::json reload_detail(const runtime::ReloadStatus& status) {
  nlohmann::json detail{{"generation", status.generation},
                        {"reloads", status.successes},
                        {"reloadFailures", status.failures}};
  if (status.last_success) detail["lastReload"] = format_time(*status.last_success);
  if (status.last_failure) detail["lastFailure"] = format_time(*status.last_failure);
  if (!status.last_errors.empty()) {
    nlohmann::json errors = nlohmann::json::array();
    for (std::size_t i = 0; i < status.last_errors.size() && i < 20; ++i) errors.push_back(status.last_errors[i].to_string());
    detail["lastErrors"] = std::move(errors);
  }
  return detail;
}

// The API watch of the rules: whether it is connected, and which
// ConfigMaps are held at their last good content, with their errors.
nlohmann::json watch_detail(const runtime::WatchStatus& watch) {
  nlohmann::json held = nlohmann::json::array();
  for (const runtime::HeldConfigMap& h : watch.held) {
    nlohmann::json errors = nlohmann::json::array();
    for (std::size_t i = 0; i < h.errors.size() && i < 5; ++i) errors.push_back(h.errors[i].to_string());
    held.push_back({{"configMap", h.config_map}, {"errors", std::move(errors)}});
  }
  std::uint64_t relists = 0;
  for (const kube::ReflectorStatus& r : watch.reflectors) relists += r.relists();
  nlohmann::json detail{{"namespaces", watch.namespaces}, {"synced", watch.synced}, {"connected", watch.connected},
                        {"relists", relists}, {"heldConfigMaps", std::move(held)}};
  if (watch.last_error) detail["lastError"] = *watch.last_error;
  return detail;
}

nlohmann::json evidence_detail(const evidence::ObserverStatus& status) {
  nlohmann::json detail{{"idle", status.idle},         {"restored", status.restored},
                        {"synced", status.synced},     {"connected", status.connected},
                        {"objects", status.objects},   {"records", status.records}, {"proven", status.proven},
                        {"degraded", status.degraded}, {"persists", status.persists},
                        {"notServed", status.not_served}};
  if (status.last_error) detail["lastError"] = *status.last_error;
  return detail;
}

// The handler reads the observer's evidence, when one runs.
admission::HandlerOptions handler_options(const ServerOptions& options) {
  admission::HandlerOptions handler{options.decision_cache_size, {options.rules_edit_timeout}};
  if (const evidence::Observer* observer = options.evidence) {
    handler.observed_evidence = [observer] { return observer->current(); };
  }
  return handler;
}

nlohmann::json leader_detail(const kube::LeaderElector& elector) {
  kube::LeaderStatus status = elector.status();
  nlohmann::json detail{{"identity", elector.options().identity}, {"leading", status.leading},
                        {"holder", status.holder}, {"lease", elector.options().namespace_ + "/" + elector.options().name}};
  if (status.last_renew) detail["lastRenew"] = format_time(*status.last_renew);
  if (status.last_error) detail["lastError"] = *status.last_error;
  return detail;
}

nlohmann::json audit_detail(const audit::AuditStatus& audit) {
  nlohmann::json detail{{"runs", audit.runs}, {"incompleteRuns", audit.incomplete}};
  if (audit.last_run) detail["lastRun"] = format_time(*audit.last_run);
  if (audit.last_complete) detail["lastComplete"] = format_time(*audit.last_complete), detail["objects"] = audit.objects;
  if (!audit.last_errors.empty()) {
    nlohmann::json errors = nlohmann::json::array();
    for (std::size_t i = 0; i < audit.last_errors.size() && i < 20; ++i) errors.push_back(audit.last_errors[i]);
    detail["lastErrors"] = std::move(errors);
  }
  return detail;
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  int port = std::stoi(std::string(port_text));
  if (port > 65535) return std::nullopt;
  return ListenAddress{host, port};
}

struct Server::Impl {
  ServerOptions options;
  const runtime::RuleStore& store;
  AdmissionHandler handler;
  CertificateStore certificates;
  Metrics metrics;
  std::atomic<bool> shutting_down{false};
  std::unique_ptr<runtime::DirectoryWatcher> certificate_watcher;
  std::unique_ptr<HttpsListener> admission;
  httplib::Server probes;
  std::thread probes_thread;
  int metrics_port = 0;

  Impl(ServerOptions o, const runtime::RuleStore& s)
      : options(std::move(o)),
        store(s),
        handler(s, handler_options(options)),
        certificates(options.tls) {}

  void reload_certificates() {
    std::uint64_t before = certificates.status().reloads;
    std::string error;
    if (!certificates.reload(&error)) {
      log(LogLevel::Error, "certificate reload failed; keeping the current certificate", {{"error", error}});
      return;
    }
    CertificateStatus status = certificates.status();
    if (status.reloads == before) return;  // unchanged files
    nlohmann::json fields{{"serial", status.serial}};
    if (status.not_after) fields["notAfter"] = format_time(*status.not_after);
    log(LogLevel::Info, "certificate loaded", fields);
  }

  // The directories holding the certificate, key and client CA: a Secret
  // volume's ..data swap shows up there.
  std::vector<std::string> certificate_directories() const {
    std::set<std::string> dirs;
    for (const std::string& file : {options.tls.certificate_chain, options.tls.private_key, options.tls.client_ca}) {
      if (file.empty()) continue;
      std::string dir = std::filesystem::path(file).parent_path().string();
      dirs.insert(dir.empty() ? "." : dir);
    }
    return {dirs.begin(), dirs.end()};
  }

  // Refuses, before the body is read, what is not an admission request.
  static std::optional<HttpReply> check_head(const RequestHead& head) {
    auto refuse = [](int code, std::string_view reason, const std::string& message) {
      return HttpReply{code, "application/json", render_status(code, reason, message), {}, true};
    };
    if (head.path != "/validate" && head.path != "/mutate") {
      return refuse(404, "NotFound", "no such endpoint " + head.path + " (use /validate or /mutate)");
    }
    if (head.method != "POST") {
      HttpReply reply = refuse(405, "MethodNotAllowed", head.path + " accepts POST only");
      reply.headers.emplace_back("Allow", "POST");
      return reply;
    }
    auto type = head.header("content-type");
    if (!type || !type->starts_with("application/json")) {
      return refuse(415, "UnsupportedMediaType", "Content-Type must be application/json");
    }
    return std::nullopt;
  }

  std::optional<HttpReply> handle(const RequestHead& head, std::string_view body,
                                  const HttpsListener::Deferral& deferral) {
    Endpoint endpoint = head.path == "/mutate" ? Endpoint::Mutate : Endpoint::Validate;
    // One observation per request, recorded when it is destroyed: here, or
    // with a deferred reply when that is delivered.
    auto observation = std::make_shared<Metrics::Observation>(metrics, endpoint);
    auto start = std::chrono::steady_clock::now();
    auto finish = [this, endpoint, start](Metrics::Observation& observed, HandledReview& handled) {
      observed.set_result(handled);
      double latency_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      log_with(handled.http_status == 200 ? LogLevel::Info : LogLevel::Warn,
               handled.http_status == 200 ? "decision" : "rejected request", [&](JsonWriter& line) {
                 write_decision_fields(line, endpoint, handled, latency_us, options.cluster.name);
               });
      return HttpReply{handled.http_status, "application/json", std::move(handled.body), {}, false};
    };
    std::optional<HandledReview> handled = handler.handle(
        endpoint, body,
        [finish, observation, respond = deferral.defer()](HandledReview later) mutable {
          respond(finish(*observation, later));
        });
    if (!handled) return std::nullopt;
    return finish(*observation, *handled);
  }

  void configure_probes() {
    // httplib's default sets SO_REUSEPORT, which lets a second process bind
    // the same port and take half the probes and scrapes: never share it.
    probes.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    probes.new_task_queue = [] { return new httplib::ThreadPool(kProbeWorkers); };
    probes.set_read_timeout(5, 0);
    probes.set_write_timeout(5, 0);
    probes.set_keep_alive_timeout(30);
    probes.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}", "application/json");
    });
    probes.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::optional<runtime::ReloadStatus> rules;
      std::optional<runtime::WatchStatus> watch;
      std::optional<audit::AuditStatus> audited;
      std::optional<evidence::ObserverStatus> observed;
      std::optional<kube::LeaderStatus> leader;
      if (options.rules_feed) rules = options.rules_feed->status(), watch = options.rules_feed->watch_status();
      if (options.audit) audited = options.audit->status();
      if (options.evidence) observed = options.evidence->status();
      if (options.leader) leader = options.leader->status();
      auto in_force = store.current();
      bool unhosted = in_force && policy::unhosted_cluster(*in_force, options.cluster);
      res.set_content(metrics.scrape({rules ? &*rules : nullptr, watch ? &*watch : nullptr,
                                      audited ? &*audited : nullptr, observed ? &*observed : nullptr,
                                      leader ? &*leader : nullptr, certificates.status(), unhosted}),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
    probes.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      nlohmann::json detail = readiness();
      res.status = detail["ready"] == true ? 200 : 503;
      res.set_content(detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
    });
  }

  // What /readyz says: ready, and each component's state.
  nlohmann::json readiness() const {
    auto rules = store.current();
    bool rules_loaded = rules != nullptr;
    bool serving = admission && admission->running() && !shutting_down;
    // Not ready rather than allowing a fleet's namespaces unchecked: with
    // the webhook's failurePolicy Fail, its requests are then refused.
    std::optional<std::string> unhosted = rules ? policy::unhosted_cluster(*rules, options.cluster) : std::nullopt;
    nlohmann::json detail{
        {"ready", rules_loaded && serving && !unhosted}, {"rulesLoaded", rules_loaded}, {"serving", serving}};
    if (unhosted) detail["clusterError"] = *unhosted;
    if (shutting_down) detail["shuttingDown"] = true;
    if (options.rules_feed) {
      detail["rules"] = reload_detail(options.rules_feed->status());
      if (auto watch = options.rules_feed->watch_status()) detail["rulesWatch"] = watch_detail(*watch);
    }
    if (options.audit) detail["audit"] = audit_detail(options.audit->status());
    if (options.evidence) detail["evidence"] = evidence_detail(options.evidence->status());
    if (options.leader) detail["leaderElection"] = leader_detail(*options.leader);
    if (options.cluster.configured()) {
      detail["cluster"] = {{"name", options.cluster.name}, {"labels", options.cluster.labels}};
    }
    // The environments this cluster hosts: a fleet's operator sees at once
    // whether its name and labels select what they should.
    if (rules) {
      nlohmann::json hosted = nlohmann::json::array();
      for (const Environment& env : rules->environments) {
        if (env.hosted) hosted.push_back(env.name);
      }
      detail["environments"] = std::move(hosted);
    }
    return detail;
  }
};

Server::Server(ServerOptions options, const runtime::RuleStore& store)
    : impl_(std::make_unique<Impl>(std::move(options), store)) {}

Server::~Server() { stop(); }

bool Server::start(std::string* error) {
  Impl& s = *impl_;
  if (!s.certificates.reload(error)) return false;
  s.admission = std::make_unique<HttpsListener>(
      [&s] { return s.certificates.current(); }, s.options.limits, &Impl::check_head,
      [&s](const RequestHead& head, std::string_view body, const HttpsListener::Deferral& deferral) {
        return s.handle(head, body, deferral);
      },
      [&s](int status) { s.metrics.record_refusal(status); });
  if (!s.admission->bind(s.options.listen.host, s.options.listen.port, error)) {
    *error = "admission listener: " + *error;
    s.admission.reset();
    return false;
  }
  s.configure_probes();
  const ListenAddress& m = s.options.metrics_listen;
  s.metrics_port = m.port == 0 ? s.probes.bind_to_any_port(m.host.c_str())
                               : (s.probes.bind_to_port(m.host.c_str(), m.port) ? m.port : -1);
  if (s.metrics_port <= 0) {
    *error = "metrics listener: cannot listen on " + m.host + ":" + std::to_string(m.port) +
             " (address in use or not available)";
    s.admission.reset();
    return false;
  }
  s.admission->start(s.options.workers);
  s.certificate_watcher = std::make_unique<runtime::DirectoryWatcher>(
      runtime::DirectoryWatcher::Options{s.certificate_directories(), std::chrono::milliseconds(200),
                                       s.options.certificate_rescan},
      [&s] { s.reload_certificates(); });
  s.certificate_watcher->start();
  s.probes_thread = std::thread([&s] { s.probes.listen_after_bind(); });
  // httplib sets is_running() only once its accept loop runs; stop() before
  // that would leave the loop running forever.
  while (!s.probes.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void Server::stop() {
  Impl& s = *impl_;
  if (s.certificate_watcher) s.certificate_watcher->stop();
  s.shutting_down = true;
  if (s.admission) s.admission->stop(s.options.shutdown_grace);
  s.probes.stop();
  if (s.probes_thread.joinable()) s.probes_thread.join();
}

void Server::begin_shutdown() { impl_->shutting_down = true; }

CertificateStatus Server::certificate_status() const { return impl_->certificates.status(); }

int Server::port() const { return impl_->admission ? impl_->admission->port() : 0; }
int Server::metrics_port() const { return impl_->metrics_port; }

}  // namespace releasegate::server
