// How a command reaches the Kubernetes API, shared by serve and audit:
// `--kubeconfig FILE` (and `--context NAME`) for local runs; without it the
// pod's own ServiceAccount when in a pod, else $KUBECONFIG, else
// ~/.kube/config. `--rules-namespace NS` (repeatable) says where the rules
// ConfigMaps are (default: the pod's or the context's namespace).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "kube/config.h"

namespace releasegate::cli {

std::set<std::string> with_api_flags(std::set<std::string> flags);

// Nullopt with *error when no configuration can be read.
std::optional<kube::ClientConfig> api_config_from_flags(const Flags& flags, std::string* error);

// The rules namespaces: the flags', else the configuration's default
// namespace, else releasegate-system.
std::vector<std::string> rules_namespaces(const Flags& flags, const kube::ClientConfig& config);

inline constexpr const char* kApiUsage = "[--kubeconfig FILE] [--context NAME] [--rules-namespace NS ...]";

}  // namespace releasegate::cli
