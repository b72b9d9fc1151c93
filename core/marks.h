// The labels and annotations the rules read, declared once: the GitOps
// controllers' marks on the objects they apply, and releasegate's own.
// The request parser copies only these keys (is_metadata_key_read_by_rules),
// so a check that reads a new key must declare it here.
#pragma once

#include <array>
#include <string_view>

namespace releasegate::marks {

// Flux kustomize-controller, on every object a Kustomization applies (labels).
inline constexpr std::string_view kKustomizeName = "kustomize.toolkit.fluxcd.io/name";
inline constexpr std::string_view kKustomizeNamespace = "kustomize.toolkit.fluxcd.io/namespace";
// Flux helm-controller, on every object a HelmRelease installs (labels).
inline constexpr std::string_view kHelmName = "helm.toolkit.fluxcd.io/name";
inline constexpr std::string_view kHelmNamespace = "helm.toolkit.fluxcd.io/namespace";
// Argo CD: the tracking-id annotation ("<app>:<group>/<kind>:<ns>/<name>"),
// or with label tracking the instance label.
inline constexpr std::string_view kArgoTrackingId = "argocd.argoproj.io/tracking-id";
inline constexpr std::string_view kArgoInstance = "app.kubernetes.io/instance";
// releasegate's own (annotation): the reason for an out-of-band change.
inline constexpr std::string_view kBreakGlass = "releasegate.io/break-glass";
// Its JSON pointer in an UPDATE's changed paths ('/' escaped as "~1").
inline constexpr std::string_view kBreakGlassPointer = "/metadata/annotations/releasegate.io~1break-glass";
// releasegate's own (label): a ConfigMap that holds rules.
inline constexpr std::string_view kRules = "releasegate.io/rules";

inline constexpr std::array<std::string_view, 8> kKeys = {kKustomizeName,  kKustomizeNamespace, kHelmName,
                                                          kHelmNamespace,  kArgoTrackingId,     kArgoInstance,
                                                          kBreakGlass,     kRules};

}  // namespace releasegate::marks
