// Holds the rule set in force. Readers take a snapshot (one atomic
// shared_ptr load) and keep it for the whole request, so a request sees the
// old or the new rules, never a mix; publishing never waits for readers.
#pragma once

#include <atomic>
#include <memory>

#include "rules/rule_set.h"

namespace releasegate::rules {

class RuleStore {
 public:
  // Null until the first good rule set is published.
  std::shared_ptr<const RuleSet> current() const { return current_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const RuleSet> rules) { current_.store(std::move(rules), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const RuleSet>> current_;
};

}  // namespace releasegate::rules
