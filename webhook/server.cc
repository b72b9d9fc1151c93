#include "webhook/server.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "rules/request.h"
#include "webhook/admission_handler.h"
#include "webhook/admission_response.h"
#include "webhook/log.h"

namespace releasegate::webhook {
namespace {

constexpr std::size_t kProbeWorkers = 4;

// A rejected request's body is never read, so the connection cannot be
// reused: ask httplib to close it after this reply. The Request is a
// non-const object inside httplib that is handed to handlers as const.
httplib::Server::HandlerResponse reject(const httplib::Request& req, httplib::Response& res, int code, std::string_view reason,
                                std::string_view message) {
  const_cast<httplib::Request&>(req).set_header("Connection", "close");
  res.status = code;
  res.set_content(render_status(code, reason, message), "application/json");
  return httplib::Server::HandlerResponse::Handled;
}

nlohmann::json decision_log_fields(Endpoint endpoint, const HandledReview& handled, double latency_us) {
  nlohmann::json fields{{"webhook", to_string(endpoint)}, {"status", handled.http_status},
                        {"latencyMicros", static_cast<std::int64_t>(latency_us)}};
  if (!handled.error.empty()) fields["error"] = handled.error;
  if (!handled.review) return fields;
  const rules::AdmissionRequest& r = handled.review->request;
  fields.update({{"uid", handled.review->uid},
                 {"user", r.username},
                 {"kind", r.kind.kind},
                 {"namespace", r.namespace_},
                 {"name", r.name},
                 {"operation", rules::to_string(r.operation)},
                 {"dryRun", r.dry_run}});
  if (handled.outcome) fields["decision"] = to_string(*handled.outcome);
  if (handled.decision) {
    fields["environment"] = handled.decision->environment;
    nlohmann::json violations = nlohmann::json::array();
    for (const rules::Violation& v : handled.decision->violations) {
      violations.push_back({{"rule", rules::to_string(v.rule)}, {"mode", rules::to_string(v.mode)}});
    }
    fields["violations"] = std::move(violations);
  }
  if (endpoint == Endpoint::Mutate) fields["patchedImages"] = handled.patched_images;
  return fields;
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
  const rules::RuleStore& store;
  AdmissionHandler handler;
  std::unique_ptr<httplib::SSLServer> admission;
  httplib::Server probes;
  std::thread admission_thread;
  std::thread probes_thread;
  int port = 0;
  int metrics_port = 0;

  Impl(ServerOptions o, const rules::RuleStore& s) : options(std::move(o)), store(s), handler(s) {}

  void configure_admission() {
    httplib::SSLServer& svr = *admission;
    std::size_t workers = options.workers;
    svr.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    // Without TCP_NODELAY, Nagle plus delayed ACK adds ~40 ms to every
    // keep-alive request.
    svr.set_tcp_nodelay(true);
    svr.set_keep_alive_max_count(static_cast<std::size_t>(options.keep_alive_max_requests));
    svr.set_keep_alive_timeout(options.keep_alive_seconds);
    svr.set_read_timeout(options.read_timeout_seconds, 0);
    svr.set_write_timeout(options.write_timeout_seconds, 0);
    svr.set_payload_max_length(options.max_body_bytes);

    // Runs before httplib reads the body. cpp-httplib 0.11.4 reads chunked
    // and length-less bodies without any size limit (CVE-2025-53629,
    // CVE-2025-46728), so only bodies with a bounded Content-Length get in.
    svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.path != "/validate" && req.path != "/mutate") {
        return reject(req, res, 404, "NotFound", "no such endpoint " + req.path + " (use /validate or /mutate)");
      }
      if (req.method != "POST") {
        res.set_header("Allow", "POST");
        return reject(req, res, 405, "MethodNotAllowed", req.path + " accepts POST only");
      }
      // The apiserver always sends JSON; httplib would also parse form
      // bodies (and reject those over 8 KiB), so nothing else gets in.
      if (std::string type = req.get_header_value("Content-Type"); !type.starts_with("application/json")) {
        return reject(req, res, 415, "UnsupportedMediaType", "Content-Type must be application/json");
      }
      if (req.has_header("Transfer-Encoding")) {
        return reject(req, res, 411, "LengthRequired", "chunked request bodies are not accepted; send Content-Length");
      }
      if (!req.has_header("Content-Length")) {
        return reject(req, res, 411, "LengthRequired", "Content-Length is required");
      }
      std::string length_text = req.get_header_value("Content-Length");
      if (length_text.empty() || length_text.size() > 19 ||
          length_text.find_first_not_of("0123456789") != std::string::npos) {
        return reject(req, res, 400, "BadRequest", "invalid Content-Length");
      }
      if (std::stoull(length_text) > options.max_body_bytes) {
        return reject(req, res, 413, "RequestEntityTooLarge",
                      "request body of " + length_text + " bytes exceeds the limit of " +
                          std::to_string(options.max_body_bytes) + " bytes");
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });

    auto route = [this](Endpoint endpoint) {
      return [this, endpoint](const httplib::Request& req, httplib::Response& res) {
        auto start = std::chrono::steady_clock::now();
        HandledReview handled = handler.handle(endpoint, req.body);
        res.status = handled.http_status;
        res.set_content(std::move(handled.body), "application/json");
        double latency_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        log(handled.http_status == 200 ? LogLevel::Info : LogLevel::Warn,
            handled.http_status == 200 ? "decision" : "rejected request",
            decision_log_fields(endpoint, handled, latency_us));
      };
    };
    svr.Post("/validate", route(Endpoint::Validate));
    svr.Post("/mutate", route(Endpoint::Mutate));
  }

  void configure_probes() {
    probes.new_task_queue = [] { return new httplib::ThreadPool(kProbeWorkers); };
    probes.set_read_timeout(5, 0);
    probes.set_write_timeout(5, 0);
    probes.set_keep_alive_timeout(30);
    probes.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}", "application/json");
    });
    probes.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      bool rules_loaded = store.current() != nullptr;
      bool serving = admission && admission->is_running();
      nlohmann::json detail{{"ready", rules_loaded && serving}, {"rulesLoaded", rules_loaded}, {"serving", serving}};
      res.status = rules_loaded && serving ? 200 : 503;
      res.set_content(detail.dump(), "application/json");
    });
  }
};

Server::Server(ServerOptions options, const rules::RuleStore& store)
    : impl_(std::make_unique<Impl>(std::move(options), store)) {}

Server::~Server() { stop(); }

bool Server::start(std::string* error) {
  Impl& s = *impl_;
  std::string tls_error;
  s.admission = std::make_unique<httplib::SSLServer>(
      [&](SSL_CTX& ctx) { return configure_tls(ctx, s.options.tls, &tls_error); });
  if (!s.admission->is_valid()) {
    *error = tls_error.empty() ? "tls: cannot create the TLS context" : tls_error;
    return false;
  }
  s.configure_admission();
  s.configure_probes();

  auto bind = [](httplib::Server& svr, const ListenAddress& address, int* bound, std::string_view what,
                 std::string* why) {
    *bound = address.port == 0 ? svr.bind_to_any_port(address.host.c_str())
                               : (svr.bind_to_port(address.host.c_str(), address.port) ? address.port : -1);
    if (*bound <= 0) {
      *why = std::string(what) + ": cannot listen on " + address.host + ":" + std::to_string(address.port) +
             " (address in use or not available)";
      return false;
    }
    return true;
  };
  if (!bind(*s.admission, s.options.listen, &s.port, "admission listener", error) ||
      !bind(s.probes, s.options.metrics_listen, &s.metrics_port, "metrics listener", error)) {
    s.admission.reset();
    return false;
  }
  s.admission_thread = std::thread([&s] { s.admission->listen_after_bind(); });
  s.probes_thread = std::thread([&s] { s.probes.listen_after_bind(); });
  // httplib sets is_running() only once its accept loop runs; stop() before
  // that would leave the loop running forever.
  while (!s.admission->is_running() || !s.probes.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void Server::stop() {
  Impl& s = *impl_;
  if (s.admission) s.admission->stop();
  s.probes.stop();
  if (s.admission_thread.joinable()) s.admission_thread.join();
  if (s.probes_thread.joinable()) s.probes_thread.join();
}

int Server::port() const { return impl_->port; }
int Server::metrics_port() const { return impl_->metrics_port; }

}  // namespace releasegate::webhook
