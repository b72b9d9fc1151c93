#include "evidence/observer.h"

#include <exception>

#include "core/kinds.h"
#include "evidence/evidence_document.h"

namespace releasegate::evidence {

struct Observer::Watched {
  std::string kind;
  kube::Client client;
  kube::Reflector reflector;
  std::map<std::string, std::string> seen;  // key -> resourceVersion judged (reflector thread only)
  Watched(std::string kind_name, const kube::ClientConfig& config, kube::ReflectorOptions options,
          kube::Reflector::OnChange on_change)
      : kind(std::move(kind_name)), client(config), reflector(client, std::move(options), std::move(on_change)) {}
};

namespace {

std::string environment_of(const RuleSet& rules, const std::string& ns) {
  if (ns.empty() || rules.exempt_namespaces.matches(ns)) return {};
  auto env = rules.environment_for_namespace(ns);
  return env ? rules.environments[*env].name : std::string();
}

std::string resource_version(const nlohmann::json& object) {
  auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? it->value("resourceVersion", "") : std::string();
}

std::string id_of(const std::string& kind, const std::string& key) { return kind + " " + key; }

}  // namespace

Observer::Observer(const kube::ClientConfig& client, const runtime::RuleStore& rules, ObserverOptions options)
    : options_(std::move(options)), rules_(rules), client_(client), tracker_(options_.tracker) {
  current_.store(std::make_shared<const EvidenceSet>());
  for (const KindInfo& kind : kKinds) {
    if (!is_evidence_kind(kind.kind)) continue;
    kube::ReflectorOptions watch = options_.watch;
    watch.path = kube::resource_path(std::string(kind.group), std::string(listed_version(kind.group)),
                                     std::string(kind.resource));
    std::size_t index = watched_.size();
    watched_.push_back(std::make_unique<Watched>(
        std::string(kind.kind), client, std::move(watch),
        [this, index](const kube::ObjectMap& objects) { on_change(*watched_[index], objects); }));
  }
}

Observer::~Observer() { stop(); }

void Observer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Observer::stop() {
  {
    std::lock_guard lock(wait_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  client_.stop();
  for (auto& w : watched_) w->reflector.stop();
  if (thread_.joinable()) thread_.join();
}

void Observer::wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(wait_mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_; });
}

// Restore first (so that a StatefulSet's period continues), then watch;
// then tick until stopped. A restore that fails (the API down, RBAC) is
// retried at each tick: watching never waits on it.
void Observer::run() {
  bool restored = restore();
  for (auto& w : watched_) w->reflector.start();
  while (true) {
    wait(options_.tick);
    {
      std::lock_guard lock(wait_mutex_);
      if (stopping_) return;
    }
    try {
      UnixSeconds now = options_.clock();
      {
        std::lock_guard lock(mutex_);
        tracker_.tick(now);
        publish(now);
      }
      if (!restored) restored = restore();
      persist(now);
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      status_.last_error = std::string("evidence observer: ") + e.what();
    }
  }
}

bool Observer::restore() {
  if (options_.config_map.empty()) {
    std::lock_guard lock(mutex_);
    return status_.restored = true;
  }
  kube::Response response =
      client_.get(kube::resource_path("", "v1", "configmaps", options_.namespace_, options_.config_map));
  std::lock_guard lock(mutex_);
  if (response.status == 404) return status_.restored = true;
  if (!response.ok()) {
    status_.last_error = "reading ConfigMap " + options_.namespace_ + "/" + options_.config_map + ": " +
                         kube::error_of(response).describe();
    return false;
  }
  auto object = nlohmann::json::parse(response.body, nullptr, false);
  std::string text;
  if (object.is_object() && object.contains("data") && object["data"].is_object()) {
    text = object["data"].value(std::string(kEvidenceKey), "");
  }
  std::vector<policy::LoadError> errors;
  auto records = read_evidence(text, "ConfigMap " + options_.namespace_ + "/" + options_.config_map, errors);
  if (!errors.empty()) status_.last_error = "reading persisted evidence: " + errors.front().to_string();
  tracker_.restore(records);
  persisted_ = text;
  return status_.restored = true;
}

void Observer::persist(UnixSeconds now) {
  if (options_.config_map.empty()) return;
  std::string text;
  {
    std::lock_guard lock(mutex_);
    // Before every kind is listed, the snapshot lacks what is running.
    if (!status_.restored || !synced() || now - persisted_at_ < options_.persist_interval.count()) return;
    text = render_evidence(*current(), now);
    if (text == persisted_) return;
  }
  nlohmann::json object = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata",
       {{"name", options_.config_map},
        {"namespace", options_.namespace_},
        {"labels", {{"app.kubernetes.io/name", "releasegate"}, {"app.kubernetes.io/component", "evidence"}}}}},
      {"data", {{std::string(kEvidenceKey), text}}},
  };
  kube::Response response =
      client_.apply(kube::resource_path("", "v1", "configmaps", options_.namespace_, options_.config_map), object,
                    "releasegate");
  std::lock_guard lock(mutex_);
  if (!response.ok()) {
    ++status_.persist_errors;
    status_.last_error = "writing ConfigMap " + options_.namespace_ + "/" + options_.config_map + ": " +
                         kube::error_of(response).describe();
    return;
  }
  ++status_.persists;
  persisted_ = std::move(text);
  persisted_at_ = now;
}

void Observer::on_change(Watched& watched, const kube::ObjectMap& objects) {
  try {
    UnixSeconds now = options_.clock();
    std::lock_guard lock(mutex_);
    for (auto it = watched.seen.begin(); it != watched.seen.end();) {
      if (objects.contains(it->first)) {
        ++it;
        continue;
      }
      std::string id = id_of(watched.kind, it->first);
      tracker_.remove(id, now);
      observed_.erase(id);
      it = watched.seen.erase(it);
    }
    for (const auto& [key, object] : objects) {
      std::string version = resource_version(object);
      auto [seen, added] = watched.seen.try_emplace(key, version);
      if (!added && seen->second == version && !version.empty()) continue;
      seen->second = version;
      std::string id = id_of(watched.kind, key);
      auto observed = observe(watched.kind, object);
      if (!observed) {
        tracker_.remove(id, now);
        observed_.erase(id);
        continue;
      }
      judge(id, *observed, now);
      observed_[id] = std::move(*observed);
    }
    publish(now);
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    status_.last_error = std::string("evidence observer: ") + e.what();
  }
}

void Observer::judge(const std::string& id, const ObservedObject& object, UnixSeconds now) {
  auto rules = rules_.current();
  tracker_.update(id, object, rules ? environment_of(*rules, object.runs_in) : std::string(), now);
}

void Observer::publish(UnixSeconds now) {
  // New rules may put a namespace in another environment: judge all again.
  auto rules = rules_.current();
  if (rules && (judged_rules_.owner_before(rules) || rules.owner_before(judged_rules_))) {
    judged_rules_ = rules;
    for (const auto& [id, object] : observed_) judge(id, object, now);
  }
  auto set = std::make_shared<const EvidenceSet>(tracker_.snapshot(now));
  status_.objects = tracker_.objects();
  status_.records = set->size();
  status_.proven.clear();
  status_.degraded.clear();
  for (const EvidenceRecord& r : set->records()) {
    if (r.degraded_at != 0) {
      ++status_.degraded[r.environment];
    } else {
      ++status_.proven[r.environment];
    }
  }
  current_.store(std::move(set), std::memory_order_release);
}

bool Observer::synced() const {
  for (const auto& w : watched_) {
    if (!w->reflector.status().synced) return false;
  }
  return true;
}

ObserverStatus Observer::status() const {
  std::lock_guard lock(mutex_);
  ObserverStatus status = status_;
  status.synced = synced();
  status.connected = true;
  for (const auto& w : watched_) {
    kube::ReflectorStatus r = w->reflector.status();
    status.connected = status.connected && r.watching;
    if (r.last_error && !status.last_error) status.last_error = w->kind + "s: " + r.last_error->describe();
  }
  return status;
}

}  // namespace releasegate::evidence
