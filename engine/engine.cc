#include "engine/engine.h"

#include "engine/checks.h"
#include "engine/subject.h"

namespace releasegate::engine {

namespace {

enum class Judged { Request, AtRest, AtRestOwned };

Decision judge(const RuleSet& rules, const AdmissionRequest& request, Judged judged, const Observations& observations) {
  Decision decision;
  std::optional<Subject> subject = subject_of(rules, request);
  if (!subject) return decision;
  subject->at_rest = judged != Judged::Request;
  subject->observations = observations;
  decision.governance = Governance::Governed;
  if (subject->environment) decision.environment = subject->environment_name();
  decision.provenance_exempt = subject->exempt_requester;
  Findings findings(rules, decision);
  for (const Check& check : checks()) {
    if (judged == Judged::AtRestOwned && check.run == check_provenance) continue;
    if (runs(check, *subject)) check.run(*subject, findings);
  }
  return decision;
}

}  // namespace

Decision evaluate(const RuleSet& rules, const AdmissionRequest& request, const Observations& observations) {
  return judge(rules, request, Judged::Request, observations);
}

Decision evaluate_at_rest(const RuleSet& rules, const AdmissionRequest& request, bool owned_by_controller) {
  return judge(rules, request, owned_by_controller ? Judged::AtRestOwned : Judged::AtRest, {});
}

}  // namespace releasegate::engine
