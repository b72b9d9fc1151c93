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
#include "engine/evidence_requirement.h"

namespace releasegate::engine {

// Why a subject is governed as its environment: a delivery object takes the
// strictest environment it reaches (later in the policy's list is stricter).
enum class GovernedBy {
  Namespace,        // its own namespace
  TargetNamespace,  // spec.targetNamespace, or an Application's destination namespace
  DeliveryRole,     // it is an approved delivery, for this environment among others
  Marks,            // the delivery whose marks it carries is approved for this environment
};

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
  GovernedBy governed_by = GovernedBy::Namespace;
  // Sources feed every environment, so source-fetching kinds are checked in
  // any namespace that is not exempt, with or without an environment.
  bool checks_sources = false;
  bool exempt_requester = false;  // an exempt user or group: exempt from provenance only
  // Judged as it stands in the cluster (engine::evaluate_at_rest): there is
  // no requester, so provenance is judged by the object's marks alone.
  bool at_rest = false;
  // Evidence observed in this cluster, and the time (engine/evidence_requirement.h).
  Observations observations = {};

  // "Deployment prod/podinfo", for messages (built only when one is written).
  std::string description() const { return describe(request); }
  // A CREATE or UPDATE: an object that would be stored (and may run).
  bool writes() const { return request.operation != Operation::Delete && request.object; }
  // A write to the status subresource (of an evidence kind: no other is
  // governed): only the status check judges it.
  bool writes_status() const { return request.sub_resource == "status"; }
  const ObjectView& written() const { return *request.object; }  // only when writes()
  const std::string& environment_name() const { return rules.environments[*environment].name; }
  // "" when governed by its own namespace, else why, for messages:
  // " (governed as prod: the strictest environment it delivers to)".
  std::string governed_as_text() const;
};

// The subject of a request, or nullopt when the engine does not govern it:
// an unknown kind or a rules ConfigMap, an exempt namespace, or neither an
// environment nor a source check.
//
// A delivery object (Kustomization, HelmRelease, HelmChart, Application)
// is governed by the strictest environment (RuleSet::stricter) of: its own
// namespace; its target namespace; when its manifests may name any
// namespace (a Kustomization or Application without a target namespace) or
// its namespaces have no environment, the environments it is approved to
// deliver to (gitops.deliveries); when none of these has one, those of the
// approved deliveries whose marks it carries, before or after the change
// (each: the environment of the applying object's namespace if it has
// one, else every environment the delivery may deliver to); and last, the
// default environment. A delivery to another cluster counts environments
// this cluster does not host. So the `apps` Kustomization in flux-system is
// governed as prod when it delivers to prod, and a human patch of it is
// out-of-band. It is not governed when every namespace it has is exempt.
std::optional<Subject> subject_of(const RuleSet& rules, const AdmissionRequest& request);

// An exempt user or group (exempt from provenance only).
bool is_exempt_requester(const RuleSet& rules, const AdmissionRequest& request);

// The environment a request is governed in: nullopt when its kind is not
// governed, its namespace is exempt, or no environment matches.
std::optional<std::size_t> governed_environment(const RuleSet& rules, const AdmissionRequest& request);

}  // namespace releasegate::engine
