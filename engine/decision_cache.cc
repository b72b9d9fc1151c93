#include "engine/decision_cache.h"

#include <functional>
#include <type_traits>

#include "engine/engine.h"

namespace releasegate::engine {

std::string_view to_string(CacheResult result) {
  switch (result) {
    case CacheResult::Hit: return "hit";
    case CacheResult::Miss: return "miss";
    case CacheResult::Bypass: return "bypass";
  }
  return "bypass";
}

namespace {

// Appends each field length-prefixed, so that ("ab", "c") and ("a", "bc")
// differ.
class FingerprintWriter {
 public:
  explicit FingerprintWriter(std::string& out) : out_(out) {}
  void count(std::size_t n) { out_.append(reinterpret_cast<const char*>(&n), sizeof n); }
  void operator()(std::string_view field) {
    count(field.size());
    out_.append(field);
  }
  void operator()(const StringMap& map) {
    count(map.entries().size());
    for (const auto& [k, v] : map.entries()) (*this)(k), (*this)(v);
  }
  template <typename Scalar>
    requires std::is_enum_v<Scalar> || std::is_integral_v<Scalar>
  void operator()(Scalar value) {
    count(static_cast<std::size_t>(value));
  }

 private:
  std::string& out_;
};

}  // namespace

std::string fingerprint(const AdmissionRequest& request) {
  std::string out;
  out.reserve(512);
  FingerprintWriter writer(out);
  for_each_input(request, writer);
  return out;
}

DecisionCache::DecisionCache(std::size_t capacity) : shard_capacity_((capacity + kShards - 1) / kShards) {}

namespace {

bool same_rule_set(const std::weak_ptr<const RuleSet>& a, const std::shared_ptr<const RuleSet>& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}

}  // namespace

DecisionCache::Lookup DecisionCache::evaluate(const std::shared_ptr<const RuleSet>& rules,
                                              const AdmissionRequest& request, const Observations& observations) {
  if (shard_capacity_ == 0) {
    return {engine::evaluate(*rules, request, observations), CacheResult::Bypass};
  }
  std::string key = fingerprint(request);
  Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
  {
    std::lock_guard lock(shard.mutex);
    if (same_rule_set(shard.rules, rules)) {
      if (auto it = shard.decisions.find(key); it != shard.decisions.end()) {
        std::shared_ptr<const Decision> cached = it->second;
        return {*cached, CacheResult::Hit};
      }
    }
  }
  // Evaluated outside the lock: a concurrent miss on the same key costs one
  // extra evaluation, never a wait.
  auto decision = std::make_shared<const Decision>(engine::evaluate(*rules, request, observations));
  if (decision->evidence_dependent) return {*decision, CacheResult::Bypass};
  std::lock_guard lock(shard.mutex);
  if (!same_rule_set(shard.rules, rules)) {
    // A request still in flight under the previous rule set after a reload
    // must not wipe entries of the newer one.
    auto kept = shard.rules.lock();
    if (kept && kept->generation > rules->generation) return {*decision, CacheResult::Miss};
    shard.decisions.clear();
    shard.insertion_order.clear();
    shard.rules = rules;
  }
  if (auto [it, inserted] = shard.decisions.emplace(std::move(key), decision); inserted) {
    shard.insertion_order.push_back(&it->first);
    if (shard.insertion_order.size() > shard_capacity_) {
      shard.decisions.erase(shard.decisions.find(*shard.insertion_order.front()));
      shard.insertion_order.pop_front();
    }
  }
  return {*decision, CacheResult::Miss};
}

std::size_t DecisionCache::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.decisions.size();
  }
  return total;
}

}  // namespace releasegate::engine
