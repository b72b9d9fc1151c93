#include "admission/admission_handler.h"

#include <condition_variable>
#include <mutex>

#include "admission/admission_response.h"
#include "engine/digest_pins.h"

namespace releasegate::admission {
namespace {

void set_validation(HandledReview& handled, Decision decision) {
  Outcome outcome = decide(decision);
  handled.body = render_validation(*handled.review, decision, outcome);
  handled.decision = std::move(decision);
  handled.outcome = outcome;
}

}  // namespace

std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::Validate: return "validate";
    case Endpoint::Mutate: return "mutate";
  }
  return "unknown";
}

AdmissionHandler::AdmissionHandler(const runtime::RuleStore& store, HandlerOptions options)
    : store_(store),
      cache_(options.cache_size),
      rules_edits_(store, options.rules_edits),
      observed_evidence_(std::move(options.observed_evidence)),
      clock_(std::move(options.clock)) {}

std::optional<HandledReview> AdmissionHandler::handle(Endpoint endpoint, std::string_view body, Later later) {
  HandledReview handled;
  // Taken once: the whole request is decided by one rule set.
  std::shared_ptr<const RuleSet> rules = store_.current();
  if (!rules) {
    // Never answer "allowed" without rules: the apiserver's failurePolicy
    // decides what an unavailable webhook means.
    handled.http_status = 503;
    handled.error = "no rule set loaded yet";
    handled.body = render_status(503, "ServiceUnavailable", "releasegate has no valid rule set loaded yet");
    return handled;
  }
  ReviewParseResult parsed = parse_admission_review(body, endpoint == Endpoint::Validate ? Diff::Compute : Diff::Skip);
  if (!parsed.review) {
    handled.http_status = 400;
    handled.error = parsed.error;
    handled.body = render_status(400, "BadRequest", parsed.error);
    return handled;
  }
  handled.review = std::move(parsed.review);
  const AdmissionRequest& request = handled.review->request;
  if (endpoint == Endpoint::Mutate) {
    std::vector<engine::ImagePin> pins = engine::digest_pins(*rules, request);
    handled.body = render_mutation(*handled.review, pins);
    handled.patched_images = pins.size();
    return handled;
  }
  if (runtime::is_rules_config_map_edit(request)) {
    // Compiling rules takes time in proportion to their size: never here.
    handled.cache = engine::CacheResult::Bypass;
    AdmissionRequest copy = request;
    rules_edits_.submit(std::move(copy), [handled = std::move(handled), later = std::move(later)](Decision d) mutable {
      set_validation(handled, std::move(d));
      later(std::move(handled));
    });
    return std::nullopt;
  }
  // Held for the decision's life: the observer may publish a new set meanwhile.
  std::shared_ptr<const EvidenceSource> observed = observed_evidence_ ? observed_evidence_() : nullptr;
  engine::DecisionCache::Lookup lookup = cache_.evaluate(rules, request, {observed.get(), clock_()});
  handled.cache = lookup.result;
  set_validation(handled, std::move(lookup.decision));
  return handled;
}

HandledReview AdmissionHandler::handle(Endpoint endpoint, std::string_view body) {
  struct Waiter {
    std::mutex mutex;
    std::condition_variable arrived;
    std::optional<HandledReview> reply;
  } waiter;
  std::optional<HandledReview> now = handle(endpoint, body, [&waiter](HandledReview handled) {
    std::lock_guard lock(waiter.mutex);
    waiter.reply = std::move(handled);
    waiter.arrived.notify_one();
  });
  if (now) return std::move(*now);
  std::unique_lock lock(waiter.mutex);
  waiter.arrived.wait(lock, [&] { return waiter.reply.has_value(); });
  return std::move(*waiter.reply);
}

}  // namespace releasegate::admission
