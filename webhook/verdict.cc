#include "webhook/verdict.h"

namespace releasegate::webhook {

Outcome decide(const rules::Decision& decision) {
  switch (decision.governance) {
    case rules::Governance::NotGoverned: return Outcome::NotGoverned;
    case rules::Governance::Governed: break;
  }
  Outcome outcome = Outcome::Allow;
  for (const rules::Violation& v : decision.violations) {
    switch (v.mode) {
      case rules::Mode::Audit: break;
      case rules::Mode::Warn:
        if (outcome == Outcome::Allow) outcome = Outcome::Warn;
        break;
      case rules::Mode::Enforce: return Outcome::Deny;
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

}  // namespace releasegate::webhook
