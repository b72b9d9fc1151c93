// Rules from ConfigMaps labelled releasegate.io/rules: "true", listed and
// watched through the API in each rules namespace (kube::Reflector). A
// change is compiled as soon as its watch event arrives, and published
// when valid (config_map_rules.h says what a broken ConfigMap does). The
// rules are complete, and the server ready, only once every namespace has
// been listed; after that a broken watch keeps the last good rules serving
// while it reconnects (WatchStatus::connected says so).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/reflector.h"
#include "runtime/config_map_rules.h"
#include "runtime/rule_store.h"
#include "runtime/rules_feed.h"

namespace releasegate::runtime {

struct ApiRulesOptions {
  std::vector<std::string> namespaces;  // where the rules ConfigMaps are
  policy::LoadOptions load;
  kube::ReflectorOptions watch;  // path and selector are set per namespace
  // Called after every compile that published a rule set or failed.
  std::function<void(const policy::LoadResult&, const ReloadStatus&)> on_attempt;
  // Called after every compile that held ConfigMaps back, with them.
  std::function<void(const std::vector<HeldConfigMap>&)> on_held;
};

// The label selecting rules ConfigMaps.
inline constexpr std::string_view kRulesSelector = "releasegate.io/rules=true";

// A ConfigMap object as the API gives it (data, binaryData keys); its
// text is moved out of `object`.
RulesConfigMap rules_config_map(nlohmann::json&& object);

class ApiRules final : public RulesFeed {
 public:
  ApiRules(const kube::ClientConfig& client, ApiRulesOptions options, RuleStore& store);
  ~ApiRules() override;
  ApiRules(const ApiRules&) = delete;
  ApiRules& operator=(const ApiRules&) = delete;

  void start();
  void stop();

  ReloadStatus status() const override;
  std::optional<WatchStatus> watch_status() const override;

 private:
  struct Namespace;
  void on_change();
  void compile_and_publish();

  ApiRulesOptions options_;
  RuleStore& store_;
  std::vector<std::unique_ptr<Namespace>> namespaces_;
  std::mutex compile_mutex_;  // one compile at a time, whichever namespace changed
  ConfigMapRules compiler_;   // guarded by compile_mutex_
  mutable std::mutex status_mutex_;
  ReloadStatus status_;
  std::vector<HeldConfigMap> held_;
};

}  // namespace releasegate::runtime
