#include "engine/subject.h"

#include <algorithm>

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

}  // namespace

bool is_exempt_requester(const RuleSet& rules, const AdmissionRequest& request) {
  if (rules.exempt_users.matches(request.username)) return true;
  return std::any_of(request.groups.begin(), request.groups.end(),
                     [&](const std::string& g) { return rules.exempt_groups.matches(g); });
}

std::optional<Subject> subject_of(const RuleSet& rules, const AdmissionRequest& request) {
  const KindInfo* kind = find_kind(request.kind.group, request.kind.kind);
  if (!kind || !is_governed(kind->kind_class)) return std::nullopt;
  if (!request.sub_resource.empty() && request.sub_resource != kind->validated_subresource) return std::nullopt;
  const ObjectView* object = object_of(request);
  std::string_view ns = effective_namespace(request, object);
  if (rules.exempt_namespaces.matches(ns)) return std::nullopt;
  Subject subject{rules, request, *kind, object, ns, std::nullopt, false, false};
  subject.environment = rules.environment_for_namespace(ns);
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
