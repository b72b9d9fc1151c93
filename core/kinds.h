// The kinds releasegate governs, declared once. Everything that depends on
// what a kind is (whether it is governed, which checks apply, where its pod
// spec lives, how the webhook is registered for it) reads this table.
// Adding a governed kind is adding a row (and its tests and documentation).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace releasegate {

// What a kind is to the rules; the checks run by class (engine/checks.cc).
enum class KindClass {
  Workload,         // a pod template: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob
  Pod,              // a pod spec of its own
  FluxDelivery,     // Kustomization, HelmRelease: applies objects from a source
  FluxSource,       // GitRepository, HelmRepository, OCIRepository, Bucket
  HelmChart,        // Flux HelmChart: a chart version from a source
  ArgoApplication,  // Argo CD Application
  RulesConfigMap,   // ConfigMaps labelled releasegate.io/rules: "true" (validated, not governed)
};

// The kinds of GitOps delivery a ReleasePolicy approves (gitops.deliveries),
// each recognised by the marks its controller writes.
enum class DeliveryKind { FluxKustomization, FluxHelmRelease, ArgoApplication };
inline constexpr std::size_t kDeliveryKinds = 3;

// The Flux source kinds a ReleasePolicy approves (gitops.sources[].kind).
enum class SourceKind { GitRepository, HelmRepository, OCIRepository, Bucket };
inline constexpr std::array<SourceKind, 4> kSourceKinds = {SourceKind::GitRepository, SourceKind::HelmRepository,
                                                           SourceKind::OCIRepository, SourceKind::Bucket};
std::string_view to_string(SourceKind kind);  // "GitRepository", ...
std::optional<SourceKind> source_kind_from_string(std::string_view kind);

struct KindInfo {
  std::string_view group;     // "" for the core group
  std::string_view kind;
  std::string_view resource;  // as registered in the webhook configurations
  KindClass kind_class;
  // JSON pointer of the pod spec within the object; empty when none.
  std::string_view pod_spec = {};
  // The approved-source kind a Flux source object is checked against.
  std::optional<SourceKind> source = std::nullopt;
  // Whether the validating webhook sees DELETE. Pods are registered
  // without it, so that drains and evictions never wait on the webhook.
  bool validates_delete = true;
  // A subresource the validating webhook also sees (UPDATE only), judged
  // as an UPDATE of the whole object: `pods/ephemeralcontainers`, through
  // which `kubectl debug` adds a container to a running Pod. Requests for
  // any other subresource are not governed.
  std::string_view validated_subresource = {};
  // The delivery an object of this kind is, when it is one: it may itself
  // be an approved delivery (gitops.deliveries).
  std::optional<DeliveryKind> delivery = std::nullopt;
};

inline constexpr std::string_view kTemplatePodSpec = "/spec/template/spec";

inline constexpr std::array kKinds = {
    KindInfo{"apps", "Deployment", "deployments", KindClass::Workload, kTemplatePodSpec},
    KindInfo{"apps", "StatefulSet", "statefulsets", KindClass::Workload, kTemplatePodSpec},
    KindInfo{"apps", "DaemonSet", "daemonsets", KindClass::Workload, kTemplatePodSpec},
    KindInfo{"apps", "ReplicaSet", "replicasets", KindClass::Workload, kTemplatePodSpec},
    KindInfo{"batch", "Job", "jobs", KindClass::Workload, kTemplatePodSpec},
    KindInfo{"batch", "CronJob", "cronjobs", KindClass::Workload, "/spec/jobTemplate/spec/template/spec"},
    KindInfo{"", "Pod", "pods", KindClass::Pod, "/spec", std::nullopt, false, "ephemeralcontainers"},
    KindInfo{.group = "kustomize.toolkit.fluxcd.io", .kind = "Kustomization", .resource = "kustomizations",
             .kind_class = KindClass::FluxDelivery, .delivery = DeliveryKind::FluxKustomization},
    KindInfo{.group = "helm.toolkit.fluxcd.io", .kind = "HelmRelease", .resource = "helmreleases",
             .kind_class = KindClass::FluxDelivery, .delivery = DeliveryKind::FluxHelmRelease},
    KindInfo{"source.toolkit.fluxcd.io", "GitRepository", "gitrepositories", KindClass::FluxSource, {},
             SourceKind::GitRepository},
    KindInfo{"source.toolkit.fluxcd.io", "HelmRepository", "helmrepositories", KindClass::FluxSource, {},
             SourceKind::HelmRepository},
    KindInfo{"source.toolkit.fluxcd.io", "OCIRepository", "ocirepositories", KindClass::FluxSource, {},
             SourceKind::OCIRepository},
    KindInfo{"source.toolkit.fluxcd.io", "Bucket", "buckets", KindClass::FluxSource, {}, SourceKind::Bucket},
    KindInfo{"source.toolkit.fluxcd.io", "HelmChart", "helmcharts", KindClass::HelmChart},
    KindInfo{.group = "argoproj.io", .kind = "Application", .resource = "applications",
             .kind_class = KindClass::ArgoApplication, .delivery = DeliveryKind::ArgoApplication},
    KindInfo{"", "ConfigMap", "configmaps", KindClass::RulesConfigMap},
};

// The row for a group and kind; null when releasegate does not know it.
const KindInfo* find_kind(std::string_view group, std::string_view kind);

// Whether a class is decided by the engine (every class but rules ConfigMaps).
constexpr bool is_governed(KindClass c) { return c != KindClass::RulesConfigMap; }

// Classes whose objects fetch from, or are, a GitOps source: checked
// against the approved sources even in a namespace without an environment
// (a GitRepository in flux-system feeds every environment).
constexpr bool fetches_sources(KindClass c) {
  return c == KindClass::FluxDelivery || c == KindClass::FluxSource || c == KindClass::HelmChart ||
         c == KindClass::ArgoApplication;
}

// Kinds whose objects apply or install other objects, or are the chart
// something installs: governed by the strictest environment they reach
// (engine/subject.cc), not only by their own namespace.
constexpr bool is_delivery_object(KindClass c) {
  return c == KindClass::FluxDelivery || c == KindClass::HelmChart || c == KindClass::ArgoApplication;
}

// Whether `finalizer` is one that the controller of this kind's objects
// adds to them on its first reconcile and removes when it has cleaned up
// (Flux's finalizers.fluxcd.io, Argo CD's resources-finalizer): adding it
// is routine work, not an out-of-band change.
bool is_controller_finalizer(KindClass c, std::string_view finalizer);

// The API version releasegate lists and watches a group at ("v2" for
// helm.toolkit.fluxcd.io): one for every group of kKinds.
std::string_view listed_version(std::string_view group);

// Whether every conformant API server serves the group ("", apps, batch);
// the others come from CustomResourceDefinitions that may not be
// installed (no Flux on an Argo CD cluster).
bool is_built_in_group(std::string_view group);

}  // namespace releasegate
