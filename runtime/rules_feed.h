// How rules reach the RuleStore, as /readyz and /metrics show it: from
// watched directories (RuleReloader) or from ConfigMaps watched through the
// API (ApiRules).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kube/reflector.h"
#include "policy/compiler.h"
#include "runtime/config_map_rules.h"

namespace releasegate::runtime {

struct ReloadStatus {
  std::uint64_t generation = 0;  // of the rule set in force; 0 before the first good load
  std::optional<std::chrono::system_clock::time_point> last_success;
  std::optional<std::chrono::system_clock::time_point> last_failure;
  std::vector<policy::LoadError> last_errors;  // of the latest attempt, when it failed
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
};

// The API watch of rules ConfigMaps.
struct WatchStatus {
  std::vector<std::string> namespaces;
  bool synced = false;     // every namespace was listed: the rules are complete
  bool connected = false;  // every namespace's watch is open
  std::optional<std::string> last_error;  // of a namespace's list or watch
  std::vector<kube::ReflectorStatus> reflectors;  // one per namespace
  std::vector<HeldConfigMap> held;  // ConfigMaps whose latest content is not in force
};

class RulesFeed {
 public:
  virtual ~RulesFeed() = default;
  virtual ReloadStatus status() const = 0;
  // Set when the rules come through the API.
  virtual std::optional<WatchStatus> watch_status() const { return std::nullopt; }
};

}  // namespace releasegate::runtime
