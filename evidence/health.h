// What one governed object runs and whether it is healthy, read from the
// object as the API server returns it: the status fields each controller
// keeps (no Pods are read). Pure: the observer (evidence/observer.h)
// feeds these to the tracker, and `releasegate evidence export` too.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/evidence.h"
#include "core/rule_set.h"

namespace releasegate::evidence {

enum class Health {
  Healthy,   // everything rolled out, updated and ready
  Settling,  // rolling out or scaling: neither proof nor failure
  Degraded,  // its controller says it failed (Available=False, a failed Helm release)
  Idle,      // runs nothing (scaled to zero, no node to run on)
};

// A version an object runs.
struct ObservedVersion {
  EvidenceOf of = EvidenceOf::Image;
  std::string key;     // normalised repository, or RuleSet::chart_key
  std::string tag;     // tag or chart version
  std::string digest;  // when the reference pins one
  bool operator==(const ObservedVersion&) const = default;
};

struct ObservedObject {
  std::string kind;  // "Deployment", "StatefulSet", "DaemonSet", "HelmRelease"
  std::string namespace_;
  std::string name;
  std::string runs_in;  // where it runs: a HelmRelease's spec.targetNamespace, else its namespace
  std::vector<ObservedVersion> versions;  // containers and initContainers, or the chart
  Health health = Health::Settling;
  // When it became healthy, as its status says (Deployment conditions,
  // HelmRelease Ready and history); 0 when the status does not say.
  UnixSeconds healthy_since = 0;
  std::string describe() const { return kind + " " + namespace_ + "/" + name; }
};

// The environment whose evidence the object gives: the one the rules give
// the namespace it runs in; "" when exempt or in none.
std::string environment_of(const RuleSet& rules, const ObservedObject& object);

// The observation of an object of one of core/evidence.h's kEvidenceKinds;
// nullopt for another kind, or an object that runs nothing to observe.
std::optional<ObservedObject> observe(std::string_view kind, const nlohmann::json& object);

}  // namespace releasegate::evidence
