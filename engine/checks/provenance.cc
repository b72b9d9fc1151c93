// Rule provenance (SPEC 4.3): a governed object is created, changed or
// deleted by an approved GitOps identity AND carries the marks of a
// delivery approved for its environment, unless the change is only allowed
// drift or a break-glass change.
#include <algorithm>

#include "core/marks.h"
#include "engine/checks.h"
#include "engine/deliveries.h"
#include "engine/engine.h"

namespace releasegate::engine {
namespace {

constexpr std::size_t kChangedPathsShown = 5;

std::string_view verb(Operation op) {
  switch (op) {
    case Operation::Create: return "created";
    case Operation::Update: return "changed";
    case Operation::Delete: return "deleted";
    case Operation::Connect: return "connected to";
  }
  return "changed";
}

// An impersonated tenant service account acting in its own namespace: the
// object's, and where it takes effect (a tenant's Kustomization may not
// target another namespace). Anyone who may create a Pod in the tenant's
// namespace can run as its account too: a token bound to a Pod is that,
// never Flux impersonating the account (clusters before 1.30 do not say
// so; policy/README.md says where tenant accounts must live there).
bool is_tenant_identity(const Subject& subject) {
  const RuleSet& rules = subject.rules;
  const AdmissionRequest& request = subject.request;
  constexpr std::string_view kPrefix = "system:serviceaccount:";
  std::string_view user = request.username;
  if (rules.tenants.empty() || request.bound_to_pod || !user.starts_with(kPrefix)) return false;
  user.remove_prefix(kPrefix.size());
  auto colon = user.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view ns = user.substr(0, colon), account = user.substr(colon + 1);
  if (ns != request.namespace_ || ns != subject.effective_namespace) return false;
  return std::any_of(rules.tenants.begin(), rules.tenants.end(), [&](const TenantIdentities& t) {
    return t.namespaces.matches(ns) && t.service_accounts.matches(account);
  });
}

std::string identities_text(const RuleSet& rules) {
  std::string out;
  for (const Identity& identity : rules.identities) out += (out.empty() ? "" : ", ") + identity.usernames.describe();
  return out.empty() ? "none configured" : out;
}

// Whether the requester is an approved identity that delivers in `envs`
// (any of them) with an approved delivery's marks on the object: each
// identity counts only with the marks of its own controller's kind. A
// tenant account is one that Flux's controllers impersonate.
struct IdentityFound {
  bool identity = false;   // an approved identity for these environments
  bool delivered = false;  // ... with the marks its own controller writes
};
IdentityFound paired_identity(const RuleSet& rules, const AdmissionRequest& request, const ObjectView* object,
                              const EnvironmentSet& envs, bool tenant) {
  IdentityFound found;
  auto marked = [&](DeliveryKind kind, const EnvironmentSet& where) {
    return object && std::any_of(rules.deliveries.begin(), rules.deliveries.end(), [&](const Delivery& d) {
             return d.kind == kind && (d.environments & where & envs).any() && delivered_by(d, *object);
           });
  };
  for (const Identity& identity : rules.identities) {
    if (!identity.usernames.matches(request.username) || (identity.environments & envs).none()) continue;
    found.identity = true;
    for (std::size_t k = 0; k < kDeliveryKinds && !found.delivered; ++k) {
      auto kind = static_cast<DeliveryKind>(k);
      found.delivered = identity.delivers_kind(kind) && marked(kind, identity.environments);
    }
  }
  if (tenant) {
    found.identity = true;
    EnvironmentSet all;
    all.set();
    found.delivered = found.delivered || marked(DeliveryKind::FluxKustomization, all) ||
                      marked(DeliveryKind::FluxHelmRelease, all);
  }
  return found;
}

std::string approved_deliveries(const RuleSet& rules, std::size_t env) {
  std::string out;
  for (const Delivery& d : rules.deliveries) {
    if (d.environments.test(env)) out += (out.empty() ? "" : ", ") + d.text;
  }
  return out.empty() ? "none" : out;
}

bool is_at_or_below(std::string_view path, std::string_view pointer) {
  return path == pointer || (path.starts_with(pointer) && path[pointer.size()] == '/');
}

// Finalizer work that is the controllers' routine: adding the finalizer of
// the kind's own controller (Flux adds finalizers.fluxcd.io on its first
// reconcile), or removing finalizers from an object being deleted (its
// DELETE was judged; this completes it). Removing one from a live object
// skips its controller's clean-up (a HelmRelease deleted without its Helm
// release uninstalled, an Application without its resources): a change.
bool routine_finalizer_change(const Subject& subject) {
  constexpr std::size_t kMaxCompared = 64;  // more is nobody's routine, and bounds the comparison
  const ObjectView& before = *subject.request.old_object;
  const ObjectView& after = *subject.request.object;
  if (before.finalizers.size() > kMaxCompared || after.finalizers.size() > kMaxCompared) return false;
  auto in = [](const std::vector<std::string>& list, const std::string& f) {
    return std::find(list.begin(), list.end(), f) != list.end();
  };
  for (const std::string& f : after.finalizers) {
    if (!in(before.finalizers, f) && !is_controller_finalizer(subject.kind.kind_class, f)) return false;
  }
  if (before.being_deleted) return true;
  return std::all_of(before.finalizers.begin(), before.finalizers.end(),
                     [&](const std::string& f) { return in(after.finalizers, f); });
}

// Whether every change of an UPDATE is allowed drift: a changed pointer is
// allowed when an allowed pointer equals it or is a parent of it, and
// finalizers may change as the controllers' routine work does.
bool only_allowed_drift(const Subject& subject) {
  const AdmissionRequest& request = subject.request;
  if (request.operation != Operation::Update || !request.changed_paths_complete) return false;
  if (!request.object || !request.old_object) return false;
  constexpr std::string_view kFinalizers = "/metadata/finalizers";
  std::optional<bool> routine;  // computed once, when a finalizer changed
  return std::all_of(request.changed_paths.begin(), request.changed_paths.end(), [&](const std::string& path) {
    if (is_at_or_below(path, kFinalizers)) {
      if (!routine) routine = routine_finalizer_change(subject);
      return *routine;
    }
    const std::vector<std::string>& allowed = subject.rules.allowed_drift;
    return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return is_at_or_below(path, a); });
  });
}

std::string changed_paths_text(const AdmissionRequest& request) {
  if (request.operation != Operation::Update || request.changed_paths.empty()) return {};
  std::string out = " (changed: ";
  for (std::size_t i = 0; i < request.changed_paths.size() && i < kChangedPathsShown; ++i) {
    out += (i ? ", " : "") + request.changed_paths[i];
  }
  if (request.changed_paths.size() > kChangedPathsShown || !request.changed_paths_complete) out += ", ...";
  return out + ")";
}

// An object at rest has no requester: it passes when it carries the marks
// of a delivery approved for its environment. A break-glass annotation
// still on it says it was changed by hand and not yet restored from Git.
void check_marks_at_rest(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  std::size_t env = *subject.environment;
  const ObjectView& object = *subject.object;
  if (auto reason = object.annotations.find(marks::kBreakGlass); reason && !reason->empty()) {
    findings.add(Rule::Provenance, subject.description() + subject.governed_as_text() +
                                       " still carries the break-glass annotation (\"" + std::string(*reason) +
                                       "\"): it was changed by hand; restore it from Git and remove the annotation");
    return;
  }
  bool delivered = std::any_of(rules.deliveries.begin(), rules.deliveries.end(), [&](const Delivery& d) {
    return d.environments.test(env) && delivered_by(d, object);
  });
  if (delivered) return;
  findings.add(Rule::Provenance, subject.description() + subject.governed_as_text() +
                                     " carries no marks of a delivery approved for " + subject.environment_name() +
                                     " (approved: " + approved_deliveries(rules, env) +
                                     "): it was not applied from Git; deliver it through an approved Kustomization, "
                                     "HelmRelease or Application, or delete it");
}

}  // namespace

std::optional<std::string> break_glass_reason(const RuleSet& rules, const AdmissionRequest& request,
                                              const ObjectView* object) {
  if (!object || rules.break_glass_groups.empty()) return std::nullopt;
  bool member = std::any_of(request.groups.begin(), request.groups.end(),
                            [&](const std::string& g) { return rules.break_glass_groups.matches(g); });
  if (!member) return std::nullopt;
  auto reason = object->annotations.find(marks::kBreakGlass);
  if (reason && !reason->empty()) return std::string(*reason);
  // Ending a break-glass: an UPDATE whose only change is removing the
  // annotation (nothing else may ride along).
  bool only_removal = request.operation == Operation::Update && request.changed_paths_complete &&
                      request.changed_paths.size() == 1 && request.changed_paths.front() == marks::kBreakGlassPointer;
  if (!only_removal || !request.old_object) return std::nullopt;
  std::string before(request.old_object->annotations.find(marks::kBreakGlass).value_or(""));
  if (before.empty()) return std::nullopt;
  return "ended: " + before;
}

void check_provenance(const Subject& subject, Findings& findings) {
  if (subject.at_rest) return check_marks_at_rest(subject, findings);
  const RuleSet& rules = subject.rules;
  const AdmissionRequest& request = subject.request;
  std::size_t env = *subject.environment;
  EnvironmentSet here;
  here.set(env);
  auto [identity, delivered] = paired_identity(rules, request, subject.object, here, is_tenant_identity(subject));
  if (identity && delivered) return;
  if (only_allowed_drift(subject)) return findings.allowed_drift();
  if (auto reason = break_glass_reason(rules, request, subject.object)) return findings.break_glass(std::move(*reason));
  const std::string& env_name = subject.environment_name();
  if (!identity) {
    findings.add(Rule::Provenance,
                 subject.description() + subject.governed_as_text() + " was " + std::string(verb(request.operation)) +
                     " by \"" + request.username +
                     "\", not by an approved GitOps controller (" + identities_text(rules) + ")" +
                     changed_paths_text(request) + "; out-of-band changes are not allowed in " + env_name +
                     ": make the change in Git and let the GitOps controller apply it");
    return;
  }
  findings.add(Rule::Provenance,
               subject.description() + subject.governed_as_text() + " was applied by " + request.username +
                   " but carries no marks of a delivery approved for " + env_name +
                   " that this controller applies (approved: " + approved_deliveries(rules, env) +
                   "); deliver it through an approved Kustomization, HelmRelease or Application, or approve the "
                   "delivery for " + env_name + " in the ReleasePolicy");
}

void check_rules_edit_provenance(const RuleSet& rules, const AdmissionRequest& request, Decision& decision) {
  if (is_exempt_requester(rules, request)) return;
  const ObjectView* object = request.object ? &*request.object : request.old_object ? &*request.old_object : nullptr;
  // The rules hold for every environment: an identity limited to some
  // (a preview deployer for dev) may not change them.
  bool identity = false, delivered = false;
  for (const Identity& id : rules.identities) {
    if (id.limited || !id.usernames.matches(request.username)) continue;
    identity = true;
    delivered = delivered || (object && std::any_of(rules.deliveries.begin(), rules.deliveries.end(), [&](const Delivery& d) {
                  return id.delivers_kind(d.kind) && delivered_by(d, *object);
                }));
  }
  if (identity && delivered) return;
  Findings findings(rules, decision);
  if (auto reason = break_glass_reason(rules, request, object)) return findings.break_glass(std::move(*reason));
  std::string who = identity ? "by " + request.username + " without the marks of an approved delivery"
                             : "by \"" + request.username + "\", not by an approved GitOps controller (" +
                                   identities_text(rules) + ")";
  findings.add(Rule::Provenance, describe(request) + " holds releasegate's rules and was " +
                                     std::string(verb(request.operation)) + " " + who +
                                     "; the rules are the promise itself: change them in Git and let the GitOps "
                                     "controller apply them, or break glass");
}

}  // namespace releasegate::engine
