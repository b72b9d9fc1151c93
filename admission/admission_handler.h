// One admission request, from HTTP body to HTTP reply: parse, evaluate
// against the rule set in force, render. Knows nothing of sockets or TLS, so
// tests and benchmarks call it directly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/decision.h"
#include "engine/decision_cache.h"
#include "runtime/rule_store.h"
#include "runtime/rules_edit.h"
#include "admission/admission_review.h"
#include "admission/verdict.h"

namespace releasegate::admission {

enum class Endpoint { Validate, Mutate };

std::string_view to_string(Endpoint endpoint);  // "validate", "mutate"

struct HandledReview {
  int http_status = 200;
  std::string body;  // an AdmissionReview, or a Kubernetes Status on errors
  // For logs and metrics; empty when the body could not be parsed.
  std::optional<AdmissionReview> review;
  std::optional<Decision> decision;          // /validate only
  std::optional<Outcome> outcome;            // /validate only
  std::optional<engine::CacheResult> cache;  // /validate only
  std::size_t patched_images = 0;            // /mutate only
  std::string error;                         // why the request failed, when it did
};

struct HandlerOptions {
  std::size_t cache_size = 10'000;  // decisions kept (engine::DecisionCache); 0 turns caching off
  runtime::RulesEditValidator::Options rules_edits;
  // The evidence observed in this cluster (evidence::Observer::current),
  // when an observer runs; and the clock evidence is judged by.
  std::function<std::shared_ptr<const EvidenceSource>()> observed_evidence = {};
  std::function<UnixSeconds()> clock = wall_clock;
};

class AdmissionHandler {
 public:
  using Later = std::function<void(HandledReview)>;

  explicit AdmissionHandler(const runtime::RuleStore& store, HandlerOptions options = {});

  // The reply now; or nullopt when the work left for a worker (a rules
  // edit, compiled off the caller's thread): `later` then receives the
  // reply exactly once, from another thread. Thread-safe.
  std::optional<HandledReview> handle(Endpoint endpoint, std::string_view body, Later later);

  // The reply, waiting for deferred work (tests, benchmarks, `check`).
  HandledReview handle(Endpoint endpoint, std::string_view body);

 private:
  const runtime::RuleStore& store_;
  engine::DecisionCache cache_;
  runtime::RulesEditValidator rules_edits_;
  std::function<std::shared_ptr<const EvidenceSource>()> observed_evidence_;
  std::function<UnixSeconds()> clock_;
};

}  // namespace releasegate::admission
