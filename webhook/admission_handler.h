// One admission request, from HTTP body to HTTP reply: parse, evaluate
// against the rule set in force, render. Knows nothing of sockets or TLS, so
// tests and benchmarks call it directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/decision.h"
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
  std::size_t patched_images = 0;           // /mutate only
  std::string error;                        // why the request failed, when it did
};

class AdmissionHandler {
 public:
  explicit AdmissionHandler(const rules::RuleStore& store) : store_(store) {}

  HandledReview handle(Endpoint endpoint, std::string_view body) const;

 private:
  const rules::RuleStore& store_;
};

}  // namespace releasegate::webhook
