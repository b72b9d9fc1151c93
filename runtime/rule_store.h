// Holds the rule set in force, and what it was compiled from. Readers take
// a snapshot (one atomic shared_ptr load) and keep it for the whole
// request, so a request sees the old or the new rules, never a mix;
// publishing never waits for readers.
#pragma once

#include <atomic>
#include <memory>

#include "core/rule_set.h"
#include "policy/compiler.h"

namespace releasegate::runtime {

class RuleStore {
 public:
  struct Snapshot {
    std::shared_ptr<const RuleSet> rules;
    // Null when the rule set was published without its sources (tests):
    // rules edits then cannot be validated and are refused.
    std::shared_ptr<const policy::CompiledFrom> from;
  };

  // Null until the first good rule set is published.
  std::shared_ptr<const RuleSet> current() const {
    auto snapshot = current_.load(std::memory_order_acquire);
    return snapshot ? snapshot->rules : nullptr;
  }
  std::shared_ptr<const Snapshot> snapshot() const { return current_.load(std::memory_order_acquire); }

  void publish(std::shared_ptr<const RuleSet> rules, std::shared_ptr<const policy::CompiledFrom> from = nullptr) {
    current_.store(std::make_shared<const Snapshot>(Snapshot{std::move(rules), std::move(from)}),
                   std::memory_order_release);
  }
  void publish(const policy::LoadResult& loaded) { publish(loaded.rules, loaded.from); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace releasegate::runtime
