#include "admission/verdict.h"

#include <algorithm>

namespace releasegate::admission {

Outcome decide(const Decision& decision) {
  switch (decision.governance) {
    case Governance::NotGoverned: return Outcome::NotGoverned;
    case Governance::Governed: break;
  }
  // left_out_mode stays Audit while nothing is left out.
  Mode most_severe = decision.left_out_mode;
  for (const Violation& v : decision.violations) most_severe = std::max(most_severe, v.mode);
  // Audit is also the mode when there is no violation at all.
  switch (most_severe) {
    case Mode::Audit: return Outcome::Allow;
    case Mode::Warn: return Outcome::Warn;
    case Mode::Enforce: return Outcome::Deny;
  }
  return Outcome::Allow;
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
