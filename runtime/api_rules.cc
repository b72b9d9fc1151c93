#include "runtime/api_rules.h"

#include "core/allocator.h"

namespace releasegate::runtime {

struct ApiRules::Namespace {
  std::string name;
  kube::Client client;
  std::unique_ptr<kube::Reflector> reflector;
  // The namespace's ConfigMaps as delivered: the one copy of their text
  // (the reflector keeps none, the content in force shares it); guarded
  // by compile_mutex_.
  RulesConfigMaps config_maps;
  bool listed = false;

  Namespace(std::string ns, const kube::ClientConfig& config) : name(std::move(ns)), client(config) {}
};

RulesConfigMap rules_config_map(nlohmann::json&& object) {
  RulesConfigMap out;
  if (!object.is_object()) return out;
  auto text = [](const nlohmann::json& in, const char* field) {
    auto it = in.find(field);
    return it != in.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto metadata = object.find("metadata"); metadata != object.end() && metadata->is_object()) {
    out.namespace_ = text(*metadata, "namespace");
    out.name = text(*metadata, "name");
    out.created = text(*metadata, "creationTimestamp");
  }
  if (auto data = object.find("data"); data != object.end() && data->is_object()) {
    for (auto& [key, value] : data->items()) {
      if (value.is_string()) out.data[key] = std::move(value.get_ref<std::string&>());  // moved, not copied
    }
  }
  if (auto binary = object.find("binaryData"); binary != object.end() && binary->is_object()) {
    for (const auto& [key, value] : binary->items()) out.binary_keys.push_back(key);
  }
  return out;
}

ApiRules::ApiRules(const kube::ClientConfig& client, ApiRulesOptions options, RuleStore& store)
    : options_(std::move(options)), store_(store) {
  for (std::size_t i = 0; i < options_.namespaces.size(); ++i) {
    auto ns = std::make_unique<Namespace>(options_.namespaces[i], client);
    kube::ReflectorOptions watch = options_.watch;
    watch.path = kube::resource_path("", "v1", "configmaps", ns->name);
    watch.list.label_selector = std::string(kRulesSelector);
    kube::ReflectorHandlers handlers;
    handlers.upsert = [this, i](const std::string& key, nlohmann::json&& object) {
      std::lock_guard compiling(compile_mutex_);
      namespaces_[i]->config_maps[key] = rules_config_map(std::move(object));
    };
    handlers.remove = [this, i](const std::string& key) {
      std::lock_guard compiling(compile_mutex_);
      namespaces_[i]->config_maps.erase(key);
    };
    handlers.synced = [this, i] {
      {
        std::lock_guard compiling(compile_mutex_);
        namespaces_[i]->listed = true;
      }
      on_change();
    };
    handlers.event = [this] { on_change(); };
    ns->reflector = std::make_unique<kube::Reflector>(ns->client, std::move(watch), std::move(handlers));
    namespaces_.push_back(std::move(ns));
  }
}

ApiRules::~ApiRules() { stop(); }

void ApiRules::start() {
  for (auto& ns : namespaces_) ns->reflector->start();
}

void ApiRules::stop() {
  for (auto& ns : namespaces_) ns->reflector->stop();
}

void ApiRules::on_change() {
  // On a reflector's thread: nothing may escape it (bad_alloc with a huge
  // ConfigMap, say), and the rules in force stay as they are.
  try {
    compile_and_publish();
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(status_mutex_);
    status_.last_failure = std::chrono::system_clock::now();
    status_.last_errors = {{"rules ConfigMaps", "", 0, 0, std::string("not compiled: ") + e.what()}};
    ++status_.failures;
  }
}

void ApiRules::compile_and_publish() {
  std::lock_guard<std::mutex> compiling(compile_mutex_);
  // Until every namespace is listed the rules would be incomplete: a
  // Promotion missing is a wrong denial, a policy missing no rules at all.
  RulesConfigMaps all;
  for (const auto& ns : namespaces_) {
    if (!ns->listed) return;
    all.insert(ns->config_maps.begin(), ns->config_maps.end());  // the text is shared, not copied
  }
  policy::LoadOptions load = options_.load;
  load.generation = status().generation + 1;
  ConfigMapCompile compiled = compiler_.compile(std::move(all), load);
  ReloadStatus snapshot;
  {
    std::lock_guard<std::mutex> lock(status_mutex_);
    if (compiled.result.rules && !compiled.in_force_changed) {
      // The same rules: a new generation would empty the decision cache
      // and start an audit for nothing.
    } else if (compiled.result.rules) {
      store_.publish(compiled.result);
      status_.generation = compiled.result.rules->generation;
      status_.last_success = std::chrono::system_clock::now();
      status_.last_errors.clear();
      ++status_.successes;
    } else {
      status_.last_failure = std::chrono::system_clock::now();
      status_.last_errors = compiled.result.errors;
      ++status_.failures;
    }
    held_ = compiled.held;
    snapshot = status_;
  }
  if (options_.on_held && !compiled.held.empty()) options_.on_held(compiled.held);
  bool published_or_failed = !compiled.result.rules || compiled.in_force_changed;
  if (options_.on_attempt && published_or_failed) options_.on_attempt(compiled.result, snapshot);
  compiled = {};
  return_free_memory();  // as the reloader: parsing leaves memory free that RSS need not keep
}

ReloadStatus ApiRules::status() const {
  std::lock_guard<std::mutex> lock(status_mutex_);
  return status_;
}

std::optional<WatchStatus> ApiRules::watch_status() const {
  WatchStatus out;
  out.synced = true;
  out.connected = true;
  for (const auto& ns : namespaces_) {
    kube::ReflectorStatus s = ns->reflector->status();
    out.namespaces.push_back(ns->name);
    out.synced = out.synced && s.synced;
    out.connected = out.connected && s.watching;
    if (s.last_error) out.last_error = ns->name + ": " + s.last_error->describe();
    out.reflectors.push_back(std::move(s));
  }
  std::lock_guard<std::mutex> lock(status_mutex_);
  out.held = held_;
  return out;
}

}  // namespace releasegate::runtime
