// Rule provenance (SPEC 4.3): a governed object is created, changed or
// deleted by an approved GitOps identity AND carries the marks of a
// delivery approved for its environment, unless the change is only allowed
// drift or a break-glass change.
#include <algorithm>

#include "core/marks.h"
#include "engine/checks.h"
#include "engine/engine.h"

namespace releasegate::engine {
namespace {

constexpr std::size_t kChangedPathsShown = 5;

bool flux_marks_match(const Delivery& delivery, const ObjectView& object, std::string_view name_key,
                      std::string_view namespace_key) {
  auto name = object.labels.find(name_key);
  auto ns = object.labels.find(namespace_key);
  return name && ns && delivery.name->matches(*name) && delivery.namespace_->matches(*ns);
}

// Argo CD marks an object with its application either in the tracking-id
// annotation ("<app>:<group>/<kind>:<namespace>/<name>") or, with label
// tracking, in app.kubernetes.io/instance.
std::optional<std::string_view> argo_application(const ObjectView& object) {
  if (auto tracking = object.annotations.find(marks::kArgoTrackingId)) return tracking->substr(0, tracking->find(':'));
  return object.labels.find(marks::kArgoInstance);
}

bool delivered_by(const Delivery& delivery, const ObjectView& object) {
  switch (delivery.kind) {
    case DeliveryKind::FluxKustomization:
      return flux_marks_match(delivery, object, marks::kKustomizeName, marks::kKustomizeNamespace);
    case DeliveryKind::FluxHelmRelease: return flux_marks_match(delivery, object, marks::kHelmName, marks::kHelmNamespace);
    case DeliveryKind::ArgoApplication: {
      auto app = argo_application(object);
      return app && delivery.name->matches(*app);
    }
  }
  return false;
}

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
// target another namespace).
bool is_tenant_identity(const Subject& subject) {
  const RuleSet& rules = subject.rules;
  const AdmissionRequest& request = subject.request;
  constexpr std::string_view kPrefix = "system:serviceaccount:";
  std::string_view user = request.username;
  if (rules.tenants.empty() || !user.starts_with(kPrefix)) return false;
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

// Whether every change of an UPDATE is allowed drift: a changed pointer is
// allowed when an allowed pointer equals it or is a parent of it.
bool only_allowed_drift(const RuleSet& rules, const AdmissionRequest& request) {
  if (request.operation != Operation::Update || !request.changed_paths_complete) return false;
  return std::all_of(request.changed_paths.begin(), request.changed_paths.end(), [&](const std::string& path) {
    return std::any_of(rules.allowed_drift.begin(), rules.allowed_drift.end(), [&](const std::string& allowed) {
      return path == allowed || (path.starts_with(allowed) && path[allowed.size()] == '/');
    });
  });
}

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
  auto before = request.old_object ? request.old_object->annotations.find(marks::kBreakGlass) : std::nullopt;
  bool only_removal = request.operation == Operation::Update && request.changed_paths_complete &&
                      request.changed_paths.size() == 1 && request.changed_paths.front() == marks::kBreakGlassPointer;
  if (before && !before->empty() && only_removal) return "ended: " + std::string(*before);
  return std::nullopt;
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

}  // namespace

void check_provenance(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const AdmissionRequest& request = subject.request;
  std::size_t env = *subject.environment;
  EnvironmentSet here;
  here.set(env);
  auto [identity, delivered] = paired_identity(rules, request, subject.object, here, is_tenant_identity(subject));
  if (identity && delivered) return;
  if (only_allowed_drift(rules, request)) return findings.allowed_drift();
  if (auto reason = break_glass_reason(rules, request, subject.object)) return findings.break_glass(std::move(*reason));
  const std::string& env_name = subject.environment_name();
  if (!identity) {
    findings.add(Rule::Provenance,
                 subject.description() + " was " + std::string(verb(request.operation)) + " by \"" + request.username +
                     "\", not by an approved GitOps controller (" + identities_text(rules) + ")" +
                     changed_paths_text(request) + "; out-of-band changes are not allowed in " + env_name +
                     ": make the change in Git and let the GitOps controller apply it");
    return;
  }
  findings.add(Rule::Provenance,
               subject.description() + " was applied by " + request.username +
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
