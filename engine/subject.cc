#include "engine/subject.h"

#include <algorithm>

#include "core/evidence.h"
#include "core/marks.h"
#include "engine/deliveries.h"

namespace releasegate::engine {
namespace {

const ObjectView* object_of(const AdmissionRequest& request) {
  // DELETE carries the object only as oldObject.
  return request.object ? &*request.object : request.old_object ? &*request.old_object : nullptr;
}

std::string_view effective_namespace(const AdmissionRequest& request, const ObjectView* object) {
  return object && !object->target_namespace.empty() ? std::string_view(object->target_namespace)
                                                     : std::string_view(request.namespace_);
}

// The strictest environment found so far (RuleSet::stricter), and why.
struct Reach {
  const RuleSet& rules;
  // Of every environment, hosted here or not: for a delivery to another
  // cluster, whose environments this cluster may not host.
  bool any_cluster = false;
  std::optional<std::size_t> environment = std::nullopt;
  GovernedBy by = GovernedBy::Namespace;

  void consider(std::optional<std::size_t> env, GovernedBy why) {
    if (!env || (environment && !rules.stricter(*env, *environment))) return;
    environment = env;
    by = why;
  }
  void consider(const EnvironmentSet& envs, GovernedBy why) {
    for (std::size_t i = 0; i < rules.environments.size() && i < envs.size(); ++i) {
      if (envs.test(i) && (any_cluster || rules.environments[i].hosted)) consider(std::optional<std::size_t>(i), why);
    }
  }
};

// Every environment whose namespaces match `ns`, in any cluster.
EnvironmentSet environments_matching_anywhere(const RuleSet& rules, std::string_view ns) {
  EnvironmentSet envs;
  for (std::size_t i = 0; i < rules.environments.size(); ++i) {
    if (rules.environments[i].namespaces.matches(ns)) envs.set(i);
  }
  return envs;
}

EnvironmentSet environments_as_delivery(const RuleSet& rules, const AdmissionRequest& request, DeliveryKind kind,
                                        const ObjectView& object) {
  std::string_view name = object.name.empty() ? std::string_view(request.name) : std::string_view(object.name);
  EnvironmentSet envs;
  for (const Delivery& d : rules.deliveries) {
    if (is_delivery(d, kind, request.namespace_, name)) envs |= d.environments;
  }
  return envs;
}

// The namespace of the Flux object that applied `object`, from the marks
// of `kind`; empty for Argo CD, whose marks do not name it.
std::string_view marking_namespace(DeliveryKind kind, const ObjectView& object) {
  std::optional<std::string_view> ns;
  if (kind == DeliveryKind::FluxKustomization) ns = object.labels.find(marks::kKustomizeNamespace);
  if (kind == DeliveryKind::FluxHelmRelease) ns = object.labels.find(marks::kHelmNamespace);
  return ns.value_or(std::string_view());
}

// The environments of the approved deliveries that applied `object`: for
// each, the environment of the applying object's own namespace when it has
// one (the HelmChart a dev HelmRelease generates is a dev object, whatever
// else "*/podinfo" may deliver to), else every environment the delivery
// may deliver to.
EnvironmentSet marked_environments(const RuleSet& rules, const ObjectView& object) {
  EnvironmentSet envs;
  for (const Delivery& d : rules.deliveries) {
    if (!delivered_by(d, object)) continue;
    std::string_view ns = marking_namespace(d.kind, object);
    std::optional<std::size_t> there;
    if (!ns.empty() && !rules.exempt_namespaces.matches(ns)) there = rules.environment_matching(ns);
    if (there) {
      envs.set(*there);
    } else {
      envs |= d.environments;
    }
  }
  return envs;
}

EnvironmentSet environments_of_marks(const RuleSet& rules, const AdmissionRequest& request) {
  EnvironmentSet envs;
  if (request.object) envs |= marked_environments(rules, *request.object);
  if (request.old_object) envs |= marked_environments(rules, *request.old_object);
  return envs;
}

// A delivery object's strictest environment (see subject.h); nullopt
// environment when it has none. The default environment counts only when
// nothing else gives one, so that it never hides a delivery's role.
Reach delivery_reach(const RuleSet& rules, const AdmissionRequest& request, const KindInfo& kind,
                     const ObjectView* object) {
  Reach reach{rules, object && object->remote_target};
  bool own_exempt = rules.exempt_namespaces.matches(request.namespace_);
  if (!own_exempt) reach.consider(rules.environment_matching(request.namespace_), GovernedBy::Namespace);
  std::string_view target = object ? std::string_view(object->target_namespace) : std::string_view();
  if (!target.empty() && !rules.exempt_namespaces.matches(target)) {
    if (reach.any_cluster) {
      reach.consider(environments_matching_anywhere(rules, target), GovernedBy::TargetNamespace);
    } else {
      reach.consider(rules.environment_matching(target), GovernedBy::TargetNamespace);
    }
  }
  if (!own_exempt && object) {
    // A HelmRelease installs into its target or its own namespace; a
    // Kustomization or Application without a target, or one applying to
    // another cluster, applies manifests that may name any namespace.
    bool names_any_namespace =
        (target.empty() || reach.any_cluster) && kind.delivery && *kind.delivery != DeliveryKind::FluxHelmRelease;
    if (kind.delivery && (names_any_namespace || reach.any_cluster || !reach.environment)) {
      reach.consider(environments_as_delivery(rules, request, *kind.delivery, *object), GovernedBy::DeliveryRole);
    }
    // Marks as written before and after: removing them in the same change
    // does not take the object out of its environment.
    if (!reach.environment) reach.consider(environments_of_marks(rules, request), GovernedBy::Marks);
  }
  bool some_namespace_governed = !own_exempt || (!target.empty() && !rules.exempt_namespaces.matches(target));
  std::optional<std::size_t> fallback = rules.default_environment;
  if (!reach.environment && some_namespace_governed && fallback && rules.environments[*fallback].hosted) {
    reach.consider(fallback, GovernedBy::Namespace);
  }
  return reach;
}

// Whether every namespace the object has is exempt: then it is not governed.
bool exempt_everywhere(const RuleSet& rules, const AdmissionRequest& request, const KindInfo& kind,
                       const ObjectView* object) {
  std::string_view effective = effective_namespace(request, object);
  if (!is_delivery_object(kind.kind_class)) return rules.exempt_namespaces.matches(effective);
  return rules.exempt_namespaces.matches(request.namespace_) && rules.exempt_namespaces.matches(effective);
}

}  // namespace

std::string Subject::governed_as_text() const {
  switch (governed_by) {
    case GovernedBy::Namespace: return {};
    case GovernedBy::TargetNamespace: return " (governed as " + environment_name() + ", where it takes effect)";
    case GovernedBy::DeliveryRole:
      return " (governed as " + environment_name() + ": an approved delivery to " + environment_name() + ")";
    case GovernedBy::Marks:
      return " (governed as " + environment_name() + ": applied by a delivery approved for " + environment_name() + ")";
  }
  return {};
}

bool is_exempt_requester(const RuleSet& rules, const AdmissionRequest& request) {
  if (rules.exempt_users.matches(request.username)) return true;
  return std::any_of(request.groups.begin(), request.groups.end(),
                     [&](const std::string& g) { return rules.exempt_groups.matches(g); });
}

std::optional<Subject> subject_of(const RuleSet& rules, const AdmissionRequest& request) {
  const KindInfo* kind = find_kind(request.kind.group, request.kind.kind);
  if (!kind || !is_governed(kind->kind_class)) return std::nullopt;
  // Other subresources are not governed, but for the status of the kinds
  // whose health is evidence, read from it (engine/checks/status_writes.cc).
  bool evidence_status = request.sub_resource == "status" && is_evidence_kind(kind->kind);
  if (!request.sub_resource.empty() && request.sub_resource != kind->validated_subresource && !evidence_status) {
    return std::nullopt;
  }
  const ObjectView* object = object_of(request);
  if (exempt_everywhere(rules, request, *kind, object)) return std::nullopt;
  Subject subject{rules, request, *kind, object, effective_namespace(request, object), std::nullopt};
  if (is_delivery_object(kind->kind_class)) {
    Reach reach = delivery_reach(rules, request, *kind, object);
    subject.environment = reach.environment;
    subject.governed_by = reach.by;
  } else {
    subject.environment = rules.environment_for_namespace(subject.effective_namespace);
  }
  subject.checks_sources = !rules.approved_sources.empty() && fetches_sources(kind->kind_class);
  if (!subject.environment && !subject.checks_sources) return std::nullopt;
  subject.exempt_requester = is_exempt_requester(rules, request);
  return subject;
}

std::optional<std::size_t> governed_environment(const RuleSet& rules, const AdmissionRequest& request) {
  std::optional<Subject> subject = subject_of(rules, request);
  return subject ? subject->environment : std::nullopt;
}

}  // namespace releasegate::engine
