// The checks the engine runs, in order, each in its own file under checks/.
// A check has one signature: it reads the subject and adds findings. The
// table in checks.cc says which kinds each check applies to and when it
// runs; adding a check is one file plus one row there.
#pragma once

#include <string>
#include <string_view>
#include <algorithm>
#include <initializer_list>
#include <optional>
#include <span>

#include "core/decision.h"
#include "core/display_text.h"
#include "engine/subject.h"

namespace releasegate::engine {

// Where checks put what they find: the mode of each rule is applied here,
// in one place.
class Findings {
 public:
  explicit Findings(const RuleSet& rules, Decision& decision) : rules_(rules), decision_(decision) {}
  void add(Rule rule, std::string message) {
    Mode mode = rules_.mode_of(rule);
    if (decision_.violations.size() < kMaxViolations) {
      decision_.violations.push_back({rule, mode, displayable(message, kMaxMessageLength)});
      return;
    }
    ++decision_.violations_left_out;
    decision_.left_out_mode = std::max(decision_.left_out_mode, mode);
  }
  // An out-of-band change let through (SPEC 4.3): only allowed drift, or break-glass.
  void allowed_drift() { decision_.allowed_drift = true; }
  void break_glass(std::string_view reason) {
    decision_.break_glass = displayable(reason, kMaxBreakGlassReasonLength);
  }
  // The decision read evidence, which changes with time: never cached.
  void evidence_dependent() { decision_.evidence_dependent = true; }

 private:
  const RuleSet& rules_;
  Decision& decision_;
};

using CheckFunction = void (*)(const Subject&, Findings&);

// checks/<name>.cc
void check_provenance(const Subject& subject, Findings& findings);
void check_sources(const Subject& subject, Findings& findings);
void check_tenant_account(const Subject& subject, Findings& findings);
void check_container_images(const Subject& subject, Findings& findings);
void check_charts(const Subject& subject, Findings& findings);
void check_values_images(const Subject& subject, Findings& findings);
void check_evidence(const Subject& subject, Findings& findings);
void check_status_writes(const Subject& subject, Findings& findings);

// Shared by checks: the reason of a break-glass change (SPEC 4.3): the
// requester is in a break-glass group and the object carries the
// annotation with a reason (or the change only removes it); else nullopt.
std::optional<std::string> break_glass_reason(const RuleSet& rules, const AdmissionRequest& request,
                                              const ObjectView* object);

// When a check runs, beyond the kinds it applies to.
enum class RunsWhen {
  InEnvironment,               // the subject has an environment (any operation) and the requester is not exempt
  OnWrite,                     // CREATE or UPDATE, with or without an environment
  OnWriteWithApprovedSources,  // CREATE or UPDATE, when the policy approves sources (Subject::checks_sources)
  OnWriteInEnvironment,        // CREATE or UPDATE in an environment: what would run there
  OnStatusWrite,               // a write to the status subresource (Subject::writes_status): no other check runs
};

// A set of kind classes, as bits.
class KindClasses {
 public:
  constexpr KindClasses(std::initializer_list<KindClass> classes) {
    for (KindClass c : classes) bits_ |= bit(c);
  }
  constexpr bool contains(KindClass c) const { return (bits_ & bit(c)) != 0; }

 private:
  static constexpr unsigned bit(KindClass c) { return 1u << static_cast<unsigned>(c); }
  unsigned bits_ = 0;
};

struct Check {
  std::string_view name;
  KindClasses kinds;
  RunsWhen when;
  CheckFunction run;
};

// The checks in the order they run (their violations are reported in it).
std::span<const Check> checks();

// Whether a check runs for a subject (the table's columns, applied).
bool runs(const Check& check, const Subject& subject);

}  // namespace releasegate::engine
