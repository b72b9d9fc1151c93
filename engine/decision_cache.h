// A bounded cache of decisions. Flux re-applies (and server-side dry-runs)
// the same objects every reconcile interval, so identical requests are the
// common case; a hit skips the engine entirely.
//
// The key is the rule set in force plus a fingerprint of exactly what the
// engine reads: the whole typed AdmissionRequest (which the parser already
// filtered down to the rules' inputs) except the uid and dryRun, which do
// not change a decision. Keys are compared in full, never by hash alone, so
// two requests share an answer only when their inputs are equal.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/decision.h"
#include "core/request.h"
#include "core/rule_set.h"
#include "engine/evidence_requirement.h"

namespace releasegate::engine {

enum class CacheResult { Hit, Miss, Bypass };

// Every input of a decision (core/request.h, for_each_input) in one string,
// the cache's key. Fields are length-prefixed so that different requests
// never produce the same string.
std::string fingerprint(const AdmissionRequest& request);
std::string_view to_string(CacheResult result);  // "hit", "miss", "bypass"

class DecisionCache {
 public:
  // capacity: the most decisions kept (0 disables caching).
  explicit DecisionCache(std::size_t capacity);

  struct Lookup {
    Decision decision;
    CacheResult result = CacheResult::Miss;
  };

  // evaluate(*rules, request, observations), answered from the cache when
  // the same inputs were decided under the same rule set. Publishing a new
  // rule set (a reload) empties the cache on its first use. A decision that
  // read evidence (Decision::evidence_dependent) changes with time and is
  // never kept: Bypass. Thread-safe.
  Lookup evaluate(const std::shared_ptr<const RuleSet>& rules, const AdmissionRequest& request,
                  const Observations& observations = {});

  std::size_t size() const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    // The rule set the entries were decided under. A weak_ptr, not a raw
    // pointer or a generation number: a later rule set can never be
    // mistaken for it, even at the same address.
    std::weak_ptr<const RuleSet> rules;
    std::unordered_map<std::string, std::shared_ptr<const Decision>> decisions;
    // Oldest first: evicted first. Points at the keys in `decisions`, whose
    // nodes never move, so each key is stored once.
    std::deque<const std::string*> insertion_order;
  };
  static constexpr std::size_t kShards = 16;  // spreads lock contention across workers

  std::size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace releasegate::engine
