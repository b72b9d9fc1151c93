#include "admission/verdict.h"

namespace releasegate::admission {

Outcome decide(const Decision& decision) {
  switch (decision.governance) {
    case Governance::NotGoverned: return Outcome::NotGoverned;
    case Governance::Governed: break;
  }
  Outcome outcome = Outcome::Allow;
  for (const Violation& v : decision.violations) {
    switch (v.mode) {
      case Mode::Audit: break;
      case Mode::Warn:
        if (outcome == Outcome::Allow) outcome = Outcome::Warn;
        break;
      case Mode::Enforce: return Outcome::Deny;
    }
  }
  return outcome;
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::NotGoverned: return "not-governed";
    case Outcome::Allow: return "allow";
    case Outcome::Warn: return "warn";
    case Outcome::Deny: return "deny";
  }
  return "unknown";
}

}  // namespace releasegate::admission
