#include "engine/engine.h"

#include "engine/checks.h"
#include "engine/subject.h"

namespace releasegate::engine {

Decision evaluate(const RuleSet& rules, const AdmissionRequest& request) {
  Decision decision;
  std::optional<Subject> subject = subject_of(rules, request);
  if (!subject) return decision;
  decision.governance = Governance::Governed;
  if (subject->environment) decision.environment = subject->environment_name();
  decision.provenance_exempt = subject->exempt_requester;
  Findings findings(rules, decision);
  for (const Check& check : checks()) {
    if (runs(check, *subject)) check.run(*subject, findings);
  }
  return decision;
}

}  // namespace releasegate::engine
