#include "core/kinds.h"

namespace releasegate {
namespace {

// The version each API group is listed at: one row per group of kKinds
// (tests/audit/audit_test.cc checks that none is missing).
constexpr std::pair<std::string_view, std::string_view> kListedVersions[] = {
    {"", "v1"},
    {"apps", "v1"},
    {"batch", "v1"},
    {"kustomize.toolkit.fluxcd.io", "v1"},
    {"helm.toolkit.fluxcd.io", "v2"},
    {"source.toolkit.fluxcd.io", "v1"},
    {"argoproj.io", "v1alpha1"},
};

}  // namespace

std::string_view listed_version(std::string_view group) {
  for (const auto& [g, version] : kListedVersions) {
    if (g == group) return version;
  }
  return {};
}

bool is_built_in_group(std::string_view group) { return group.empty() || group == "apps" || group == "batch"; }


std::string_view to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::GitRepository: return "GitRepository";
    case SourceKind::HelmRepository: return "HelmRepository";
    case SourceKind::OCIRepository: return "OCIRepository";
    case SourceKind::Bucket: return "Bucket";
  }
  return "GitRepository";
}

std::optional<SourceKind> source_kind_from_string(std::string_view kind) {
  for (SourceKind k : kSourceKinds) {
    if (to_string(k) == kind) return k;
  }
  return std::nullopt;
}

bool is_controller_finalizer(KindClass c, std::string_view finalizer) {
  struct ControllerFinalizer {
    KindClass kind_class;
    std::string_view name;  // also matches "<name>/<variant>"
  };
  static constexpr ControllerFinalizer kFinalizers[] = {
      {KindClass::FluxDelivery, "finalizers.fluxcd.io"},
      {KindClass::FluxSource, "finalizers.fluxcd.io"},
      {KindClass::HelmChart, "finalizers.fluxcd.io"},
      // Argo CD's cascading delete: resources-finalizer.argocd.argoproj.io
      // (and its /background and /foreground variants), and pre- and post-delete hooks.
      {KindClass::ArgoApplication, "resources-finalizer.argocd.argoproj.io"},
      {KindClass::ArgoApplication, "post-delete-finalizer.argocd.argoproj.io"},
      {KindClass::ArgoApplication, "pre-delete-finalizer.argocd.argoproj.io"},
  };
  for (const ControllerFinalizer& f : kFinalizers) {
    if (f.kind_class != c || !finalizer.starts_with(f.name)) continue;
    if (finalizer.size() == f.name.size() || finalizer[f.name.size()] == '/') return true;
  }
  return false;
}

const KindInfo* find_kind(std::string_view group, std::string_view kind) {
  // Sixteen rows: a scan is cheaper than hashing the two strings.
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind && info.group == group) return &info;
  }
  return nullptr;
}

}  // namespace releasegate
