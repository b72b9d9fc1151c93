#include "rules/engine.h"

#include <algorithm>

#include "rules/chart_version.h"
#include "rules/image_reference.h"
#include "rules/rules_edit.h"
#include "rules/sources.h"

namespace releasegate::rules {
namespace {

constexpr std::size_t kVersionsShownInMessages = 5;

const ObjectView* object_of(const AdmissionRequest& request) {
  // DELETE carries the object only as oldObject.
  return request.object ? &*request.object : request.old_object ? &*request.old_object : nullptr;
}

// Marks the GitOps controllers put on every object they apply.
constexpr std::string_view kKustomizeName = "kustomize.toolkit.fluxcd.io/name";
constexpr std::string_view kKustomizeNamespace = "kustomize.toolkit.fluxcd.io/namespace";
constexpr std::string_view kHelmName = "helm.toolkit.fluxcd.io/name";
constexpr std::string_view kHelmNamespace = "helm.toolkit.fluxcd.io/namespace";
constexpr std::string_view kArgoTrackingId = "argocd.argoproj.io/tracking-id";
constexpr std::string_view kArgoInstance = "app.kubernetes.io/instance";

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
  if (auto tracking = object.annotations.find(kArgoTrackingId)) return tracking->substr(0, tracking->find(':'));
  return object.labels.find(kArgoInstance);
}

bool delivered_by(const Delivery& delivery, const ObjectView& object) {
  switch (delivery.kind) {
    case DeliveryKind::FluxKustomization: return flux_marks_match(delivery, object, kKustomizeName, kKustomizeNamespace);
    case DeliveryKind::FluxHelmRelease: return flux_marks_match(delivery, object, kHelmName, kHelmNamespace);
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

bool is_exempt_requester(const RuleSet& rules, const AdmissionRequest& request) {
  if (rules.exempt_users.matches(request.username)) return true;
  return std::any_of(request.groups.begin(), request.groups.end(),
                     [&](const std::string& g) { return rules.exempt_groups.matches(g); });
}

// An impersonated tenant service account acting in its own namespace.
bool is_tenant_identity(const RuleSet& rules, const AdmissionRequest& request) {
  constexpr std::string_view kPrefix = "system:serviceaccount:";
  std::string_view user = request.username;
  if (rules.tenants.empty() || !user.starts_with(kPrefix)) return false;
  user.remove_prefix(kPrefix.size());
  auto colon = user.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view ns = user.substr(0, colon), account = user.substr(colon + 1);
  if (ns != request.namespace_) return false;
  return std::any_of(rules.tenants.begin(), rules.tenants.end(), [&](const TenantIdentities& t) {
    return t.namespaces.matches(ns) && t.service_accounts.matches(account);
  });
}

// Flux multi-tenancy: in a tenant namespace a Kustomization or HelmRelease
// must run as one of the tenant's accounts. Without spec.serviceAccountName
// Flux applies it with the controller's own cluster-wide permissions (what
// Flux's --default-service-account lockdown prevents).
void check_tenant_account(const RuleSet& rules, const AdmissionRequest& request, const ObjectView& object,
                          Decision& decision) {
  bool reconciles = (request.kind.group == "kustomize.toolkit.fluxcd.io" && request.kind.kind == "Kustomization") ||
                    (request.kind.group == "helm.toolkit.fluxcd.io" && request.kind.kind == "HelmRelease");
  if (!reconciles) return;
  for (const TenantIdentities& tenant : rules.tenants) {
    if (!tenant.namespaces.matches(request.namespace_)) continue;
    if (tenant.service_accounts.matches(object.service_account_name)) return;
    std::string written = object.service_account_name.empty()
                              ? "does not set spec.serviceAccountName, so Flux would apply it with the controller's "
                                "own cluster-wide permissions"
                              : "runs as service account \"" + object.service_account_name +
                                    "\", which is not one of the tenant's";
    decision.violations.push_back(
        {Rule::Provenance, rules.mode_of(Rule::Provenance),
         describe(request) + " is in tenant namespace " + request.namespace_ + " but " + written +
             "; set spec.serviceAccountName to a tenant account (" + tenant.service_accounts.describe() + ")"});
    return;
  }
}

std::string approved_deliveries(const RuleSet& rules, std::size_t env) {
  std::string out;
  for (const Delivery& d : rules.deliveries) {
    if (d.environments.test(env)) out += (out.empty() ? "" : ", ") + d.text;
  }
  return out.empty() ? "none" : out;
}

constexpr std::string_view kBreakGlassAnnotation = "releasegate.io/break-glass";
constexpr std::size_t kChangedPathsShown = 5;

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
  auto reason = object->annotations.find(kBreakGlassAnnotation);
  if (!member || !reason || reason->empty()) return std::nullopt;
  return std::string(*reason);
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

// Identity AND marks, unless the change is only allowed drift or a
// break-glass change.
void check_provenance(const RuleSet& rules, const AdmissionRequest& request, std::size_t env, Decision& decision) {
  const ObjectView* object = object_of(request);
  bool identity = rules.identities.matches(request.username) || is_tenant_identity(rules, request);
  bool delivered = object && std::any_of(rules.deliveries.begin(), rules.deliveries.end(), [&](const Delivery& d) {
                     return d.environments.test(env) && delivered_by(d, *object);
                   });
  if (identity && delivered) return;
  if (only_allowed_drift(rules, request)) {
    decision.allowed_drift = true;
    return;
  }
  if (auto reason = break_glass_reason(rules, request, object)) {
    decision.break_glass = std::move(reason);
    return;
  }
  const std::string& env_name = rules.environments[env].name;
  std::string subject = describe(request);
  std::string message;
  if (!identity) {
    message = subject + " was " + std::string(verb(request.operation)) + " by \"" + request.username +
              "\", not by an approved GitOps controller (" +
              (rules.identities.empty() ? std::string("none configured") : rules.identities.describe()) + ")" +
              changed_paths_text(request) + "; out-of-band changes are not allowed in " + env_name +
              ": make the change in Git and let the GitOps controller apply it";
  } else {
    message = subject + " was applied by " + request.username + " but carries no marks of a delivery approved for " +
              env_name + " (approved: " + approved_deliveries(rules, env) +
              "); deliver it through an approved Kustomization, HelmRelease or Application, or approve the delivery "
              "for " + env_name + " in the ReleasePolicy";
  }
  decision.violations.push_back({Rule::Provenance, rules.mode_of(Rule::Provenance), std::move(message)});
}

std::string short_version(const PromotedVersion& v) {
  // Digests are long; 12 hex characters identify one in a message.
  std::string text = v.text();
  auto colon = text.find("sha256:");
  if (colon != std::string::npos && text.size() > colon + 7 + 12) text = text.substr(0, colon + 7 + 12) + "...";
  return text;
}

std::string promoted_list(const EnvironmentVersions* versions) {
  if (!versions || versions->versions.empty()) return "nothing promoted";
  std::string out = "promoted: ";
  std::size_t shown = 0;
  // Newest promotions are usually appended; show the most recent first.
  for (auto it = versions->versions.rbegin(); it != versions->versions.rend() && shown < kVersionsShownInMessages;
       ++it, ++shown) {
    out += (shown ? ", " : "") + short_version(*it);
  }
  if (versions->versions.size() > shown) out += " and " + std::to_string(versions->versions.size() - shown) + " more";
  return out;
}

// One image and where it was found ("container \"web\" (containers)").
// registry_only: the tag is the chart's default, which is not visible here.
void check_image(const RuleSet& rules, std::size_t env, std::string_view where, std::string_view image_text,
                 Decision& decision, bool registry_only = false) {
  const Environment& environment = rules.environments[env];
  std::string image(image_text);
  auto add = [&](Rule rule, std::string message) {
    decision.violations.push_back({rule, rules.mode_of(rule), std::string(where) + ": " + std::move(message)});
  };
  ImageParseResult parsed = parse_image_reference(image);
  if (!parsed.reference) {
    add(Rule::ImageReference, "image \"" + image + "\" is not a valid image reference (" + parsed.error +
                                  "); write registry/repository:tag or @sha256:digest");
    return;
  }
  const ImageReference& ref = *parsed.reference;
  std::string repository = ref.repository();
  const EnvironmentVersions* versions = nullptr;
  if (auto it = rules.promotions.find(repository); it != rules.promotions.end()) versions = &it->second[env];
  if (!rules.registries.empty() && !rules.registries.matches(repository)) {
    add(Rule::ImageRegistry, "image " + image + " comes from " + repository +
                                 ", which is not an allowed registry (allowed: " + rules.registries.describe() +
                                 "); push the image to an allowed registry");
  }
  if (registry_only) return;
  if (ref.digest.empty()) {
    std::string_view tag = ref.effective_tag();
    if (rules.forbidden_tags.contains(tag)) {
      add(Rule::ImageForbiddenTag, "image " + image + " uses the tag \"" + std::string(tag) +
                                       "\"" + (ref.tag.empty() ? " (implied by a missing tag)" : "") +
                                       ", which is forbidden; use a versioned tag or a digest");
    }
    if (environment.require_digest) {
      // Name the promoted digest when there is one: the fix is then a copy.
      std::string pinned = ref.normalized() + "@sha256:<digest>";
      if (versions) {
        auto promoted = versions->by_tag.find(tag);
        if (promoted != versions->by_tag.end() && !versions->versions[promoted->second].digest.empty()) {
          pinned = image + "@" + versions->versions[promoted->second].digest;
        }
      }
      add(Rule::ImageDigestRequired, "image " + image + " is not pinned to a digest, which " + environment.name +
                                         " requires; write it as " + pinned);
    }
  }
  if (environment.promotion_open) return;
  bool promoted = versions && (ref.digest.empty() ? versions->by_tag.contains(ref.effective_tag())
                                                  : versions->by_digest.contains(ref.digest));
  if (!promoted) {
    std::string what = ref.digest.empty() ? "tag " + std::string(ref.effective_tag()) : "digest " + ref.digest;
    add(Rule::ImagePromotion, "image " + image + " is not promoted to " + environment.name + " (" + what +
                                  "; " + promoted_list(versions) + "); promote it to " + environment.name +
                                  " in a Promotion record in Git, after the previous environment");
  }
}

// A chart version, as a HelmRelease, a HelmChart or an Argo CD Application
// writes it. It must be an exact version promoted to the environment: a
// range or a missing version lets the controller install any release.
struct ChartUse {
  std::string subject;  // "chart podinfo from HelmRepository/flux-system/podinfo"
  std::string key;      // into RuleSet::chart_promotions
  std::string version;  // as written
  std::string field;    // where it is written, for the fix
};

void check_chart(const RuleSet& rules, std::size_t env, const ChartUse& use, Decision& decision) {
  const Environment& environment = rules.environments[env];
  if (environment.promotion_open) return;
  const EnvironmentVersions* versions = nullptr;
  if (auto it = rules.chart_promotions.find(use.key); it != rules.chart_promotions.end()) versions = &it->second[env];
  std::string fix = "; pin " + use.field + " to a version promoted to " + environment.name + " (" +
                    promoted_list(versions) + ")";
  std::string problem;
  if (use.version.empty()) {
    problem = use.subject + " has no version, so the latest is installed" + fix;
  } else if (!is_exact_chart_version(use.version)) {
    problem = use.subject + " version \"" + use.version + "\" is a range, not a promoted version" + fix;
  } else if (!versions || !versions->by_tag.contains(use.version)) {
    problem = use.subject + " version " + use.version + " is not promoted to " + environment.name + " (" +
              promoted_list(versions) + "); promote it to " + environment.name +
              " in a Promotion record in Git, after the previous environment";
  }
  if (!problem.empty()) decision.violations.push_back({Rule::ChartPromotion, rules.mode_of(Rule::ChartPromotion), problem});
}

void check_charts(const RuleSet& rules, std::size_t env, const AdmissionRequest& request, const ObjectView& object,
                  Decision& decision) {
  // With spec.chartRef the version is the OCIRepository's tag or the
  // HelmChart's version, checked where that object is admitted.
  if (const auto& chart = object.helm_chart; chart && !chart->chart_ref) {
    std::string ns = chart->source_namespace.empty() ? request.namespace_ : chart->source_namespace;
    std::string source = chart->source_kind + "/" + ns + "/" + chart->source_name;
    bool helm_chart_object = request.kind.kind == "HelmChart";
    check_chart(rules, env,
                {"chart " + chart->chart + " from " + source,
                 RuleSet::chart_key(chart->source_kind, ns, chart->source_name, chart->chart), chart->version,
                 helm_chart_object ? "spec.version" : "spec.chart.spec.version"},
                decision);
  }
  for (const ApplicationSource& source : object.application_sources) {
    if (source.chart.empty()) continue;
    check_chart(rules, env,
                {"chart " + source.chart + " from " + source.repo_url, RuleSet::chart_key(source.repo_url, source.chart),
                 source.target_revision, "spec.source.targetRevision"},
                decision);
  }
}

// Images a HelmRelease sets in spec.values at the paths the policy names.
void check_values_images(const RuleSet& rules, std::size_t env, const ObjectView& object, Decision& decision) {
  for (const ValuesImagePath& path : rules.values_images) {
    if (!path.image.empty()) {
      if (auto image = object.helm_values.find(path.image)) {
        check_image(rules, env, "values " + path.image, *image, decision);
      }
      continue;
    }
    auto repository = object.helm_values.find(path.repository);
    if (!repository) continue;  // the chart's default image: promoted with the chart
    std::string image;
    auto part = [&](const std::string& p) { return p.empty() ? std::nullopt : object.helm_values.find(p); };
    if (auto registry = part(path.registry); registry && !registry->empty()) image.append(*registry).append("/");
    image.append(*repository);
    auto tag = part(path.tag);
    auto digest = part(path.digest);
    if (tag && !tag->empty()) image.append(":").append(*tag);
    if (digest && !digest->empty()) image.append("@").append(*digest);
    std::string where = "values " + path.repository;
    bool tag_from_chart = (!tag || tag->empty()) && (!digest || digest->empty());
    check_image(rules, env, where, image, decision, tag_from_chart);
  }
}

}  // namespace

bool is_governed_kind(const GroupVersionKind& kind) {
  const std::string& k = kind.kind;
  if (is_source_checked_kind(kind)) return true;
  if (kind.group == "apps") return k == "Deployment" || k == "StatefulSet" || k == "DaemonSet" || k == "ReplicaSet";
  if (kind.group == "batch") return k == "Job" || k == "CronJob";
  if (kind.group.empty()) return k == "Pod";
  return false;
}

namespace {

// Where the object takes effect: a Flux object's spec.targetNamespace or an
// Application's destination namespace when set, else its own namespace.
std::string_view effective_namespace(const AdmissionRequest& request) {
  const ObjectView* object = object_of(request);
  return object && !object->target_namespace.empty() ? std::string_view(object->target_namespace)
                                                     : std::string_view(request.namespace_);
}

}  // namespace

std::optional<std::size_t> governed_environment(const RuleSet& rules, const AdmissionRequest& request) {
  if (!is_governed_kind(request.kind)) return std::nullopt;
  std::string_view ns = effective_namespace(request);
  if (rules.exempt_namespaces.matches(ns)) return std::nullopt;
  return rules.environment_for_namespace(ns);
}

Decision evaluate(const RuleSet& rules, const AdmissionRequest& request) {
  if (is_rules_config_map_edit(request)) return evaluate_rules_edit(rules, request);
  Decision decision;
  std::optional<std::size_t> env = governed_environment(rules, request);
  // Sources feed every environment, so they are checked in any namespace
  // that is not exempt, with or without an environment.
  bool sources_checked = !rules.approved_sources.empty() && is_source_checked_kind(request.kind) &&
                         !rules.exempt_namespaces.matches(effective_namespace(request));
  if (!env && !sources_checked) return decision;
  decision.governance = Governance::Governed;
  if (env) decision.environment = rules.environments[*env].name;

  decision.provenance_exempt = is_exempt_requester(rules, request);
  if (env && !decision.provenance_exempt) check_provenance(rules, request, *env, decision);

  // What runs is what matters: deleting an object never runs an image.
  if (request.operation == Operation::Delete || !request.object) return decision;
  const ObjectView& object = *request.object;
  if (sources_checked) check_sources(rules, request, object, env, decision);
  if (!rules.tenants.empty()) check_tenant_account(rules, request, object, decision);
  if (!env) return decision;
  for (const ContainerImage& image : object.images) {
    std::string where = "container \"" + image.container + "\" (" + std::string(to_string(image.list)) + ")";
    check_image(rules, *env, where, image.image, decision);
  }
  check_charts(rules, *env, request, object, decision);
  if (!object.helm_values.entries().empty()) check_values_images(rules, *env, object, decision);
  return decision;
}

}  // namespace releasegate::rules
