// One admission request, from HTTP body to HTTP reply: parse, evaluate
// against the rule set in force, render. Knows nothing of sockets or TLS, so
// tests and benchmarks call it directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/decision.h"
#include "rules/decision_cache.h"
#include "rules/rule_store.h"
#include "webhook/admission_review.h"
#include "webhook/verdict.h"

namespace releasegate::webhook {

enum class Endpoint { Validate, Mutate };

std::string_view to_string(Endpoint endpoint);  // "validate", "mutate"

struct HandledReview {
  int http_status = 200;
  std::string body;  // an AdmissionReview, or a Kubernetes Status on errors
  // For logs and metrics; empty when the body could not be parsed.
  std::optional<AdmissionReview> review;
  std::optional<rules::Decision> decision;  // /validate only
  std::optional<Outcome> outcome;           // /validate only
  std::optional<rules::CacheResult> cache;  // /validate only
  std::size_t patched_images = 0;           // /mutate only
  std::string error;                        // why the request failed, when it did
};

class AdmissionHandler {
 public:
  static constexpr std::size_t kDefaultCacheSize = 10'000;

  // cache_size: decisions kept (rules::DecisionCache); 0 turns caching off.
  explicit AdmissionHandler(const rules::RuleStore& store, std::size_t cache_size = kDefaultCacheSize)
      : store_(store), cache_(cache_size) {}

  // Thread-safe.
  HandledReview handle(Endpoint endpoint, std::string_view body);

 private:
  const rules::RuleStore& store_;
  rules::DecisionCache cache_;
};

}  // namespace releasegate::webhook
