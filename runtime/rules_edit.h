// Rules ConfigMaps validated at admission: a CREATE or UPDATE of a
// ConfigMap labelled releasegate.io/rules: "true" is linked with the rule
// set in force (its documents replacing those of the same kind and name;
// policy::compile_edit), so a broken rules edit is denied before it is
// stored and never reaches the pods that mount it.
//
// Only the edit is compiled, but linking takes time in proportion to the
// records in force (~40 ms at 100,000, bench/README.md), so it never runs
// on a listener thread: RulesEditValidator runs it on a worker of its own,
// with a bounded queue and a deadline below the webhook's timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/decision.h"
#include "core/request.h"
#include "runtime/rule_store.h"

namespace releasegate::runtime {

bool is_rules_config_map_edit(const AdmissionRequest& request);

// Governed, with one rules-edit violation listing every error (file is
// "ConfigMap <ns>/<name> key <key>") when the edit would not compile.
Decision validate_rules_edit(const RuleStore::Snapshot& current, const AdmissionRequest& request);

class RulesEditValidator {
 public:
  struct Options {
    // Below the rules webhook's timeoutSeconds (10 in deploy/), so that the
    // apiserver gets a clear refusal rather than a timeout.
    std::chrono::milliseconds deadline{8'000};
    std::size_t max_pending = 4;  // edits queued or being validated
  };
  using Done = std::function<void(Decision)>;

  RulesEditValidator(const RuleStore& store, Options options);
  ~RulesEditValidator();  // answers what is pending with a refusal, joins
  RulesEditValidator(const RulesEditValidator&) = delete;
  RulesEditValidator& operator=(const RulesEditValidator&) = delete;

  // `done` is called exactly once: with the decision, or with a refusal
  // when the deadline passes first, the server is shutting down, or too
  // many edits are pending (then at once, on the caller's thread).
  void submit(AdmissionRequest request, Done done);

 private:
  struct Job;
  void work();
  void watch();
  Decision refusal(const std::string& why) const;

  const RuleStore& store_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Job>> queue_;        // waiting for the worker
  std::vector<std::shared_ptr<Job>> unanswered_;  // queued or running, watched for their deadline
  bool stopping_ = false;
  std::thread worker_;
  std::thread watchdog_;
};

}  // namespace releasegate::runtime
