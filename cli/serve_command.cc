#include "cli/serve_command.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <unistd.h>

#include "runtime/api_rules.h"
#include "runtime/rule_reloader.h"
#include "audit/audit_loop.h"
#include "signing/key_file.h"
#include "cli/api_flags.h"
#include "cli/cluster_flags.h"
#include "cli/flags.h"
#include "kube/leader_election.h"
#include "policy/fleet.h"
#include "server/log.h"
#include "server/server.h"

namespace releasegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: releasegate serve --tls-cert FILE --tls-key FILE [--client-ca FILE]\n"
    "                         (--rules DIR [--rules DIR ...] | --rules-from-api [--rules-namespace NS ...])\n"
    "                         [--kubeconfig FILE] [--context NAME] [--audit-interval D (10m with --rules-from-api; 0: off)]\n"
    "                         [--evidence-observer on|off (on with --rules-from-api)]\n"
    "                         [--evidence-config-map NAME (default releasegate-evidence; \"\": not persisted)]\n"
    "                         [--evidence-signing-key FILE (the persisted evidence is signed with it)]\n"
    "                         [--leader-election-lease NAME (default releasegate; \"\": every replica audits)]\n"
    "                         [--leader-election-lease-duration D (15s)] [--leader-election-renew-deadline D (10s)]\n"
    "                         [--leader-election-retry-period D (2s)]\n"
    "                         [--listen HOST:PORT (default :8443)] [--metrics-listen HOST:PORT (default :9090)]\n"
    "                         [--workers N (default: cores, at least 2)] [--max-connections N (default 1024)]\n"
    "                         [--max-body-bytes N (default 8388608)] [--max-header-bytes N (default 16384)]\n"
    "                         [--handshake-timeout D (10s)] [--request-timeout D (10s)] [--idle-timeout D (120s)]\n"
    "                         [--write-timeout D (10s)] [--shutdown-grace D (20s)]\n"
    "                         [--decision-cache-size N (default 10000)] [--rules-edit-timeout D (8s)]\n"
    "                         [--policy-config-map NAME ... (default releasegate-policy)]\n"
    "                         [--cluster-name NAME] [--cluster-label KEY=VALUE ...] [--cluster-file FILE]\n"
    "                         [--cluster-hosts-none] [--log-level debug|info|warn|error]\n"
    "durations D: 500ms, 10s, 2m\n";

using server::log;
using server::LogLevel;

// Everything `serve` was told, checked before anything starts.
struct ServeConfig {
  server::ServerOptions server;
  std::vector<std::string> rules_directories;
  // The API, when the rules come from it or the audit runs.
  std::optional<kube::ClientConfig> api;
  std::string own_namespace;  // always exempt (cli/api_flags.h)
  std::vector<std::string> rules_namespaces;  // set: the rules come from the API
  std::chrono::milliseconds audit_interval{0};  // 0: no background audit
  bool observe_evidence = false;  // the evidence observer (evidence/observer.h) runs
  std::string evidence_config_map = "releasegate-evidence";
  std::string evidence_signing_key;  // a PEM file (a mounted Secret); empty: nothing persisted
  // With the API, the replicas elect one leader for the audit and evidence
  // persistence through this Lease in releasegate's namespace; "" : none.
  std::string leader_lease;
  std::string identity;  // this replica's, in the Lease: $POD_NAME, else the host name
  kube::LeaderElectionOptions election;  // its durations
  std::vector<std::string> policy_config_maps;  // empty: the default
  server::LogLevel log_level = server::LogLevel::Info;
};

struct DurationFlag {
  const char* name;
  std::chrono::milliseconds* into;
};

// Each given duration flag into its field; false with *error on a malformed
// value or one under `minimum`.
bool read_durations(const Flags& flags, std::initializer_list<DurationFlag> durations,
                    std::chrono::milliseconds minimum, std::string* error) {
  for (DurationFlag f : durations) {
    auto text = flags.get(f.name);
    if (!text) continue;
    auto d = parse_duration(*text);
    if (!d || *d < minimum) {
      *error = std::string("--") + f.name + " must be a duration such as 500ms, 10s or 2m" +
               (minimum.count() > 0 ? ", of " + std::to_string(minimum.count()) + "ms or more" : "") + ", not \"" +
               *text + "\"";
      return false;
    }
    *f.into = *d;
  }
  return true;
}

// The numeric and duration flags into `options`; false with *error on a
// malformed value.
bool read_limits(const Flags& flags, server::ServerOptions& options, std::string* error) {
  auto fail = [error](std::string message) {
    *error = std::move(message);
    return false;
  };
  struct CountFlag {
    const char* name;
    std::size_t* into;
  };
  for (CountFlag f : {CountFlag{"workers", &options.workers}, CountFlag{"max-connections", &options.limits.max_connections},
                      CountFlag{"max-body-bytes", &options.limits.max_body_bytes},
                      CountFlag{"max-header-bytes", &options.limits.max_header_bytes}}) {
    if (auto text = flags.get(f.name)) {
      auto n = parse_positive(*text);
      if (!n) return fail(std::string("--") + f.name + " must be a positive number, not \"" + *text + "\"");
      *f.into = *n;
    }
  }
  if (auto text = flags.get("decision-cache-size")) {
    auto n = *text == "0" ? std::optional<std::size_t>(0) : parse_positive(*text);
    if (!n) return fail("--decision-cache-size must be a number (0 turns the cache off), not \"" + *text + "\"");
    options.decision_cache_size = *n;
  }
  return read_durations(flags,
                        {{"handshake-timeout", &options.limits.handshake_timeout},
                         {"request-timeout", &options.limits.request_timeout},
                         {"idle-timeout", &options.limits.idle_timeout},
                         {"write-timeout", &options.limits.write_timeout},
                         {"shutdown-grace", &options.shutdown_grace},
                         {"rules-edit-timeout", &options.rules_edit_timeout}},
                        std::chrono::milliseconds(0), error);
}

// This replica's name in the leader election Lease: the Pod name the
// Deployment passes in $POD_NAME (the downward API), else the host name
// (which a Pod's is too).
std::string replica_identity() {
  if (const char* pod = std::getenv("POD_NAME"); pod && *pod) return pod;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0]) return host;
  return "releasegate";
}

// The API flags: where the API is (only when it is used) and how often the
// cluster is audited.
bool read_api_flags(const Flags& flags, ServeConfig& config, std::string* error) {
  bool from_api = flags.has("rules-from-api");
  if (!from_api && flags.has("rules-namespace")) {
    *error = "--rules-namespace needs --rules-from-api";
    return false;
  }
  if (from_api) config.audit_interval = std::chrono::minutes(10);
  if (auto text = flags.get("audit-interval")) {
    auto d = *text == "0" ? std::optional<std::chrono::milliseconds>(0) : parse_duration(*text);
    if (!d) {
      *error = "--audit-interval must be a duration such as 10m (0 turns the audit off), not \"" + *text + "\"";
      return false;
    }
    config.audit_interval = *d;
  }
  config.observe_evidence = from_api;
  if (auto observer = flags.get("evidence-observer")) {
    if (*observer != "on" && *observer != "off") {
      *error = "--evidence-observer must be on or off, not \"" + *observer + "\"";
      return false;
    }
    config.observe_evidence = *observer == "on";
  }
  if (auto name = flags.get("evidence-config-map")) config.evidence_config_map = *name;
  config.evidence_signing_key = flags.get("evidence-signing-key").value_or("");
  config.leader_lease = flags.get("leader-election-lease").value_or("releasegate");
  // A second at least: a Lease holds its duration in whole seconds.
  if (!read_durations(flags,
                      {{"leader-election-lease-duration", &config.election.lease_duration},
                       {"leader-election-renew-deadline", &config.election.renew_deadline},
                       {"leader-election-retry-period", &config.election.retry_period}},
                      std::chrono::seconds(1), error)) {
    return false;
  }
  if (config.election.renew_deadline >= config.election.lease_duration ||
      config.election.retry_period >= config.election.renew_deadline) {
    *error = "leader election: the retry period must be shorter than the renew deadline, and that shorter than the "
             "lease duration (client-go's rule: a leader must stop before another may start)";
    return false;
  }
  if (!from_api && config.audit_interval.count() == 0 && !config.observe_evidence) {
    config.own_namespace = own_namespace(flags, nullptr);
    return true;
  }
  config.api = api_config_from_flags(flags, error);
  if (!config.api) return false;
  config.own_namespace = own_namespace(flags, &*config.api);
  if (from_api) config.rules_namespaces = rules_namespaces(flags, config.own_namespace);
  config.identity = replica_identity();
  return true;
}

// The flags as a ServeConfig, or the usage error to print.
std::optional<ServeConfig> parse_serve_flags(const std::vector<std::string>& args, std::string* error) {
  Flags flags(with_api_flags(with_cluster_flags(
                  {"listen", "metrics-listen", "tls-cert", "tls-key", "client-ca", "rules", "workers",
                   "max-connections", "max-body-bytes", "max-header-bytes", "handshake-timeout", "request-timeout",
                   "idle-timeout", "write-timeout", "shutdown-grace", "log-level", "decision-cache-size",
                   "rules-edit-timeout", "policy-config-map", "audit-interval", "evidence-observer",
                   "evidence-config-map", "evidence-signing-key", "leader-election-lease", "leader-election-lease-duration",
                   "leader-election-renew-deadline", "leader-election-retry-period"})),
              with_cluster_switches({"rules-from-api"}));
  if (!flags.parse(args, error)) return std::nullopt;
  auto usage_error = [error](std::string message) -> std::optional<ServeConfig> {
    *error = std::move(message);
    return std::nullopt;
  };
  ServeConfig config;
  server::ServerOptions& options = config.server;
  for (const char* required : {"tls-cert", "tls-key"}) {
    if (!flags.has(required)) return usage_error(std::string("--") + required + " is required");
  }
  if (flags.has("rules") == flags.has("rules-from-api")) {
    return usage_error("give --rules DIR (rules from directories) or --rules-from-api (from ConfigMaps), one of them");
  }
  options.tls = {*flags.get("tls-cert"), *flags.get("tls-key"), flags.get("client-ca").value_or("")};
  if (auto listen = flags.get("listen")) {
    auto address = server::parse_listen_address(*listen);
    if (!address) return usage_error("--listen: expected HOST:PORT or :PORT, got \"" + *listen + "\"");
    options.listen = *address;
  }
  if (auto listen = flags.get("metrics-listen")) {
    auto address = server::parse_listen_address(*listen);
    if (!address) return usage_error("--metrics-listen: expected HOST:PORT or :PORT, got \"" + *listen + "\"");
    options.metrics_listen = *address;
  }
  if (!read_limits(flags, options, error)) return std::nullopt;
  if (auto level = flags.get("log-level")) {
    auto parsed = server::log_level_from_string(*level);
    if (!parsed) return usage_error("--log-level must be debug, info, warn or error");
    config.log_level = *parsed;
  }
  config.rules_directories = flags.all("rules");
  config.policy_config_maps = flags.all("policy-config-map");
  if (!read_api_flags(flags, config, error)) return std::nullopt;
  auto cluster = cluster_from_flags(flags, error);
  if (!cluster) return std::nullopt;
  options.cluster = std::move(*cluster);
  return config;
}

// One log line per rules load, and one per error of a failed one.
void log_reload(const policy::LoadResult& result, const runtime::ReloadStatus& status) {
  for (const policy::LoadError& w : result.warnings) {
    log(LogLevel::Warn, "rules warning",
        {{"file", w.file}, {"line", w.line}, {"column", w.column}, {"context", w.context}, {"warning", w.message}});
  }
  if (result.rules) {
    if (auto why = policy::unhosted_cluster(*result.rules, result.from->options.cluster)) {
      log(LogLevel::Error, "not ready: this cluster would leave a fleet's environments ungoverned",
          {{"cluster", result.from->options.cluster.describe()}, {"error", *why}});
    }
  }
  if (result.rules) {
    log(LogLevel::Info, "rules loaded",
        {{"generation", status.generation}, {"environments", result.rules->environments.size()},
         {"promotedRepositories", result.rules->promotions.size()}});
    return;
  }
  for (const policy::LoadError& e : result.errors) {
    log(LogLevel::Error, "invalid rules",
        {{"file", e.file}, {"line", e.line}, {"column", e.column}, {"context", e.context}, {"error", e.message}});
  }
  log(LogLevel::Error, status.generation ? "rules reload failed; keeping the last good rule set"
                                         : "no valid rule set yet; not ready",
      {{"errors", result.errors.size()}, {"generation", status.generation}, {"reloadFailures", status.failures}});
}

// A ConfigMap held at its last good content: named, with its errors, at
// every compile that finds it still broken.
void log_held(const std::vector<runtime::HeldConfigMap>& held) {
  for (const runtime::HeldConfigMap& h : held) {
    for (const policy::LoadError& e : h.errors) {
      log(LogLevel::Error, "rules ConfigMap invalid; its last good content stays in force",
          {{"configMap", h.config_map}, {"file", e.file}, {"line", e.line}, {"column", e.column}, {"error", e.message}});
    }
  }
}

// A watch that failed or a relist, with why: rate-limited by the reflector.
kube::ReflectorOptions logged_watch() {
  kube::ReflectorOptions watch;
  watch.on_notice = [](const kube::ReflectorNotice& notice) {
    nlohmann::json fields = {{"collection", notice.collection}, {"reason", notice.reason},
                             {"resourceVersion", notice.resource_version}};
    if (notice.suppressed > 0) fields["suppressedSinceLast"] = notice.suppressed;
    bool routine = notice.what == kube::ReflectorNotice::What::Relist ||
                   notice.what == kube::ReflectorNotice::What::NotServed;
    log(routine ? LogLevel::Info : LogLevel::Warn, std::string("API ") + std::string(kube::to_string(notice.what)),
        std::move(fields));
  };
  return watch;
}

// Where the rules come from: directories (read once now, so a broken set
// at start only leaves the server not ready) or ConfigMaps through the API
// (ready once every namespace is listed).
struct RulesFeeds {
  std::unique_ptr<runtime::RuleReloader> reloader;
  std::unique_ptr<runtime::ApiRules> api;

  RulesFeeds(const ServeConfig& config, runtime::RuleStore& store) {
    policy::LoadOptions load;
    load.own_namespace = config.own_namespace;
    if (!config.policy_config_maps.empty()) load.policy_config_maps = config.policy_config_maps;
    load.evidence_config_map = config.evidence_config_map;
    load.cluster = config.server.cluster;
    if (!config.rules_namespaces.empty()) {
      runtime::ApiRulesOptions options{config.rules_namespaces, load, logged_watch(), log_reload, log_held};
      api = std::make_unique<runtime::ApiRules>(*config.api, std::move(options), store);
      return;
    }
    runtime::ReloadOptions reload;
    reload.directories = config.rules_directories;
    reload.load = load;
    reload.on_attempt = log_reload;
    reloader = std::make_unique<runtime::RuleReloader>(reload, store);
    reloader->reload_now();
  }
  const runtime::RulesFeed* feed() const {
    return api ? static_cast<const runtime::RulesFeed*>(api.get()) : reloader.get();
  }
  void start() { api ? api->start() : reloader->start(); }
  void stop() { api ? api->stop() : reloader->stop(); }
};

// What runs beside the server on its own threads, through the API: the
// evidence observer and the background audit (each when configured).
struct BackgroundWork {
  std::unique_ptr<kube::LeaderElector> leader;
  std::unique_ptr<evidence::Observer> observer;
  std::unique_ptr<audit::AuditLoop> audit;

  BackgroundWork(const ServeConfig& config, const runtime::RuleStore& store, server::ServerOptions& options) {
    std::function<bool()> leading;
    bool shared_work = config.observe_evidence || config.audit_interval.count() > 0;
    if (shared_work && !config.leader_lease.empty()) {
      kube::LeaderElectionOptions election = config.election;
      election.namespace_ = config.own_namespace;
      election.name = config.leader_lease;
      election.identity = config.identity;
      election.on_change = [identity = config.identity](bool now_leading) {
        log(LogLevel::Info, now_leading ? "started leading: this replica audits and persists evidence"
                                        : "stopped leading: another replica audits and persists evidence",
            {{"identity", identity}});
      };
      leader = std::make_unique<kube::LeaderElector>(*config.api, election);
      leading = [l = leader.get()] { return l->leading(); };
      options.leader = leader.get();
    }
    if (config.observe_evidence) {
      evidence::ObserverOptions observer_options;
      observer_options.tracker.cluster = options.cluster.name.empty() ? "this-cluster" : options.cluster.name;
      observer_options.namespace_ = config.own_namespace;
      observer_options.config_map = config.evidence_config_map;
      observer_options.watch = logged_watch();
      observer_options.leading = leading;
      if (!config.evidence_signing_key.empty()) {
        observer_options.signing_key = std::make_shared<signing::SigningKeyFile>(config.evidence_signing_key);
      }
      observer = std::make_unique<evidence::Observer>(*config.api, store, observer_options);
      options.evidence = observer.get();
    }
    if (config.audit_interval.count() > 0) {
      audit::AuditLoopOptions audit_options;
      audit_options.interval = config.audit_interval;
      audit_options.reports.cluster = options.cluster.name;
      audit_options.leading = leading;
      if (observer) {
        audit_options.observed_evidence = [o = observer.get()] { return o->current(); };
        // The kinds the observer watches are listed once, by its reflectors.
        audit_options.audit.shared_list = [o = observer.get()](const std::string& path,
                                                               const kube::Reflector::ItemText& each) {
          return o->list_now(path, each);
        };
      }
      audit = std::make_unique<audit::AuditLoop>(*config.api, store, audit_options);
      options.audit = audit.get();
    }
  }
  void start() {
    if (leader) leader->start();
    if (audit) audit->start();
    if (observer) observer->start();
  }
  // The Lease is released last, after the work it guards has stopped, so
  // that the next leader starts at once.
  void stop() {
    if (observer) observer->stop();
    if (audit) audit->stop();
    if (leader) leader->stop();
  }
};

// Loads and watches the rules, serves until SIGTERM or SIGINT.
int serve(ServeConfig config) {
  server::set_log_level(config.log_level);
  for (const std::string& ns : config.rules_namespaces) {
    if (ns == config.own_namespace) continue;
    log(LogLevel::Warn, "rules ConfigMaps outside releasegate's namespace are validated at admission only if the "
                        "rules.releasegate.io webhook entry selects their namespace (deploy/README.md)",
        {{"namespace", ns}});
  }
  server::ServerOptions& options = config.server;
  runtime::RuleStore store;
  RulesFeeds rules(config, store);
  options.rules_feed = rules.feed();
  BackgroundWork background(config, store, options);
  // Block the shutdown signals before any thread starts, so that every
  // thread inherits the mask and only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  server::Server server(options, store);
  std::string error;
  if (!server.start(&error)) {
    log(LogLevel::Error, "cannot start", {{"error", error}});
    server::flush_logs();
    return 1;
  }
  rules.start();
  background.start();
  log(LogLevel::Info, "serving",
      {{"admission", options.listen.host + ":" + std::to_string(server.port())},
       {"metrics", options.metrics_listen.host + ":" + std::to_string(server.metrics_port())},
       {"rules", config.rules_namespaces.empty() ? "directories" : "api"},
       {"api", config.api ? config.api->describe() : "none"}});
  int received = 0;
  sigwait(&signals, &received);
  // Not ready first (the pod leaves the Service's endpoints), then stop
  // accepting, close idle connections and answer what is in flight.
  server.begin_shutdown();
  log(LogLevel::Info, "shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"},
                                        {"graceMillis", options.shutdown_grace.count()}});
  background.stop();
  rules.stop();
  server.stop();
  log(LogLevel::Info, "stopped");
  server::flush_logs();
  return 0;
}

}  // namespace

int run_serve(const std::vector<std::string>& args) {
  std::string error;
  std::optional<ServeConfig> config = parse_serve_flags(args, &error);
  if (!config) {
    std::cerr << "releasegate serve: " << error << "\n" << kUsage;
    return 2;
  }
  return serve(std::move(*config));
}

}  // namespace releasegate::cli
