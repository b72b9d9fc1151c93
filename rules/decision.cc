#include "rules/decision.h"

namespace releasegate::rules {

std::string_view to_string(Rule rule) {
  switch (rule) {
    case Rule::Provenance: return "provenance";
    case Rule::ImageReference: return "image-reference";
    case Rule::ImageRegistry: return "image-registry";
    case Rule::ImageForbiddenTag: return "image-forbidden-tag";
    case Rule::ImageDigestRequired: return "image-digest-required";
    case Rule::ImagePromotion: return "image-promotion";
    case Rule::RulesEdit: return "rules-edit";
    case Rule::ChartPromotion: return "chart-promotion";
    case Rule::Source: return "source";
  }
  return "unknown";
}

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::Audit: return "audit";
    case Mode::Warn: return "warn";
    case Mode::Enforce: return "enforce";
  }
  return "unknown";
}

std::optional<Rule> rule_from_string(std::string_view name) {
  for (Rule r : kAllRules) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

std::optional<Mode> mode_from_string(std::string_view name) {
  for (Mode m : {Mode::Audit, Mode::Warn, Mode::Enforce}) {
    if (to_string(m) == name) return m;
  }
  return std::nullopt;
}

}  // namespace releasegate::rules
