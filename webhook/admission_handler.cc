#include "webhook/admission_handler.h"

#include "rules/digest_pins.h"
#include "rules/engine.h"
#include "webhook/admission_response.h"

namespace releasegate::webhook {

std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::Validate: return "validate";
    case Endpoint::Mutate: return "mutate";
  }
  return "unknown";
}

HandledReview AdmissionHandler::handle(Endpoint endpoint, std::string_view body) {
  HandledReview handled;
  // Taken once: the whole request is decided by one rule set.
  std::shared_ptr<const rules::RuleSet> rules = store_.current();
  if (!rules) {
    // Never answer "allowed" without rules: the apiserver's failurePolicy
    // decides what an unavailable webhook means.
    handled.http_status = 503;
    handled.error = "no rule set loaded yet";
    handled.body = render_status(503, "ServiceUnavailable", "releasegate has no valid rule set loaded yet");
    return handled;
  }
  ReviewParseResult parsed = parse_admission_review(body);
  if (!parsed.review) {
    handled.http_status = 400;
    handled.error = parsed.error;
    handled.body = render_status(400, "BadRequest", parsed.error);
    return handled;
  }
  const AdmissionReview& review = *parsed.review;
  switch (endpoint) {
    case Endpoint::Validate: {
      rules::DecisionCache::Lookup lookup = cache_.evaluate(rules, review.request);
      rules::Decision& decision = lookup.decision;
      handled.cache = lookup.result;
      Outcome outcome = decide(decision);
      handled.body = render_validation(review, decision, outcome);
      handled.decision = std::move(decision);
      handled.outcome = outcome;
      break;
    }
    case Endpoint::Mutate: {
      std::vector<rules::ImagePin> pins = rules::digest_pins(*rules, review.request);
      handled.body = render_mutation(review, pins);
      handled.patched_images = pins.size();
      break;
    }
  }
  handled.review = std::move(parsed.review);
  return handled;
}

}  // namespace releasegate::webhook
