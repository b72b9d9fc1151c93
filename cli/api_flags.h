// How a command reaches the Kubernetes API, shared by serve, audit and
// evidence export:
// `--kubeconfig FILE` (and `--context NAME`) for local runs; without it the
// pod's own ServiceAccount when in a pod, else $KUBECONFIG, else
// ~/.kube/config. `--rules-namespace NS` (repeatable) says where the rules
// ConfigMaps are (default: releasegate's own namespace).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "kube/client.h"
#include "kube/config.h"
#include "policy/compiler.h"

namespace releasegate::cli {

std::set<std::string> with_api_flags(std::set<std::string> flags);

// Nullopt with *error when no configuration can be read.
std::optional<kube::ClientConfig> api_config_from_flags(const Flags& flags, std::string* error);

// releasegate's own namespace, always exempt and the only one whose policy
// ConfigMaps may hold the ReleasePolicy: $POD_NAMESPACE, else the pod's
// own (in a pod), else the first --rules-namespace, else
// releasegate-system. Never a kubeconfig context's: exempting a
// workstation's `default` namespace would open it.
std::string own_namespace(const Flags& flags, const kube::ClientConfig* config);

// The rules namespaces: the flags', else the own namespace.
std::vector<std::string> rules_namespaces(const Flags& flags, const std::string& own_namespace);

// The rules to judge by: `--rules DIR ...`, else the rules ConfigMaps as
// they are now in the rules namespaces, every one of them valid (a
// partial rule set would mislead). Sets *error when the API fails.
policy::LoadResult rules_from_flags(const Flags& flags, kube::Client& client, const policy::LoadOptions& options,
                                    std::string* error);

inline constexpr const char* kApiUsage = "[--kubeconfig FILE] [--context NAME] [--rules-namespace NS ...]";

}  // namespace releasegate::cli
