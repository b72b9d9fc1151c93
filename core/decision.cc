#include "core/decision.h"

namespace releasegate {

std::string_view to_string(Rule rule) { return kRuleNames[static_cast<std::size_t>(rule)].name; }

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::Audit: return "audit";
    case Mode::Warn: return "warn";
    case Mode::Enforce: return "enforce";
  }
  return "unknown";
}

std::optional<Rule> rule_from_string(std::string_view name) {
  for (const RuleName& r : kRuleNames) {
    if (r.name == name) return r.rule;
  }
  return std::nullopt;
}

std::optional<Mode> mode_from_string(std::string_view name) {
  for (Mode m : {Mode::Audit, Mode::Warn, Mode::Enforce}) {
    if (to_string(m) == name) return m;
  }
  return std::nullopt;
}

}  // namespace releasegate
