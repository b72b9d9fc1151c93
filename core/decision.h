// What the engine concludes about one request: the environment it belongs
// to and every violation found, each with the rule and mode that apply.
// Turning this into allow / warn / deny is admission/verdict.h's job.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace releasegate {

// Ordered by severity: the most severe violation decides.
enum class Mode { Audit, Warn, Enforce };

enum class Rule {
  Provenance,           // created, changed or deleted outside the GitOps delivery
  ImageReference,       // an image reference that does not parse
  ImageRegistry,        // image from a registry that is not allowed
  ImageForbiddenTag,    // e.g. :latest (also implied by a missing tag)
  ImageDigestRequired,  // the environment requires digest-pinned images
  ImagePromotion,       // tag or digest not promoted to the environment
  RulesEdit,            // a rules ConfigMap edit that would make the rule set invalid
  ChartPromotion,       // HelmRelease chart version not an exact version promoted to the environment
  Source,               // a Flux source, or a reference to one, that the policy does not approve
  Evidence,             // a version without the evidence its environment requires (requires.evidenceFrom)
};

// Each rule with its name in rules files and messages, in enum order.
struct RuleName {
  Rule rule;
  std::string_view name;
};
inline constexpr std::array kRuleNames = {
    RuleName{Rule::Provenance, "provenance"},
    RuleName{Rule::ImageReference, "image-reference"},
    RuleName{Rule::ImageRegistry, "image-registry"},
    RuleName{Rule::ImageForbiddenTag, "image-forbidden-tag"},
    RuleName{Rule::ImageDigestRequired, "image-digest-required"},
    RuleName{Rule::ImagePromotion, "image-promotion"},
    RuleName{Rule::RulesEdit, "rules-edit"},
    RuleName{Rule::ChartPromotion, "chart-promotion"},
    RuleName{Rule::Source, "source"},
    RuleName{Rule::Evidence, "evidence"},
};
inline constexpr std::size_t kRuleCount = kRuleNames.size();

constexpr bool rule_names_in_enum_order() {
  for (std::size_t i = 0; i < kRuleNames.size(); ++i) {
    if (static_cast<std::size_t>(kRuleNames[i].rule) != i) return false;
  }
  // The last enumerator has the last row: no rule without a name.
  return static_cast<std::size_t>(Rule::Evidence) + 1 == kRuleNames.size();
}
static_assert(rule_names_in_enum_order(), "kRuleNames lists every Rule once, in enum order");

std::string_view to_string(Rule rule);  // the rule's name in rules files and messages
std::string_view to_string(Mode mode);
std::optional<Rule> rule_from_string(std::string_view name);
std::optional<Mode> mode_from_string(std::string_view name);

struct Violation {
  Rule rule;
  Mode mode;
  std::string message;  // names the offending value, what is accepted and how to fix it
};

enum class Governance {
  NotGoverned,  // kind not governed, exempt namespace, or no environment
  Governed,
};

// Violations kept per decision: enough to say what is wrong and how to fix
// it, bounded whatever the request holds (a Pod with 50,000 containers).
inline constexpr std::size_t kMaxViolations = 32;
// Each violation's message and the break-glass reason, in bytes, once
// control characters are escaped (core/display_text.h): a denial stays
// within about 34 KB, an audit annotation within its reason's bound.
inline constexpr std::size_t kMaxMessageLength = 1024;
inline constexpr std::size_t kMaxBreakGlassReasonLength = 256;

struct Decision {
  Governance governance = Governance::NotGoverned;
  std::string environment;      // empty when not governed
  bool provenance_exempt = false;  // requester is an exempt user or group
  // An out-of-band change let through: an UPDATE touching only allowed
  // drift, or a break-glass change (with its reason).
  bool allowed_drift = false;
  std::optional<std::string> break_glass;
  // It depended on evidence, which grows with the clock and the observer:
  // not to be cached (engine/decision_cache.h).
  bool evidence_dependent = false;
  std::vector<Violation> violations;  // the first kMaxViolations found
  // Beyond them: how many more, and the most severe mode among them (which
  // the verdict still honours).
  std::size_t violations_left_out = 0;
  Mode left_out_mode = Mode::Audit;
};

}  // namespace releasegate
