// What every check needs to know about one request, computed once before
// any check runs: the kind's row in the kinds table, the object the request
// is about, where it takes effect, its environment, and whether the
// requester is exempt from provenance.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/kinds.h"
#include "core/request.h"
#include "core/rule_set.h"

namespace releasegate::engine {

struct Subject {
  const RuleSet& rules;
  const AdmissionRequest& request;
  const KindInfo& kind;
  // request.object, or request.oldObject for a DELETE; null when neither.
  const ObjectView* object = nullptr;
  // Where the object takes effect: a Flux object's spec.targetNamespace or
  // an Application's destination namespace when set, else its own.
  std::string_view effective_namespace;
  std::optional<std::size_t> environment;
  // Sources feed every environment, so source-fetching kinds are checked in
  // any namespace that is not exempt, with or without an environment.
  bool checks_sources = false;
  bool exempt_requester = false;  // an exempt user or group: exempt from provenance only

  // "Deployment prod/podinfo", for messages (built only when one is written).
  std::string description() const { return describe(request); }
  // A CREATE or UPDATE: an object that would be stored (and may run).
  bool writes() const { return request.operation != Operation::Delete && request.object; }
  const ObjectView& written() const { return *request.object; }  // only when writes()
  const std::string& environment_name() const { return rules.environments[*environment].name; }
};

// The subject of a request, or nullopt when the engine does not govern it:
// an unknown kind or a rules ConfigMap, an exempt namespace, or neither an
// environment nor a source check.
std::optional<Subject> subject_of(const RuleSet& rules, const AdmissionRequest& request);

// An exempt user or group (exempt from provenance only).
bool is_exempt_requester(const RuleSet& rules, const AdmissionRequest& request);

// The environment a request is governed in: nullopt when its kind is not
// governed, its namespace is exempt, or no environment matches.
std::optional<std::size_t> governed_environment(const RuleSet& rules, const AdmissionRequest& request);

}  // namespace releasegate::engine
