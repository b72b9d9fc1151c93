// The cluster a command decides as: `--cluster-name NAME`,
// `--cluster-label KEY=VALUE` (repeatable) and `--cluster-file FILE` (name
// and labels in YAML, e.g. a mounted ConfigMap key; the flags override it),
// and `--cluster-hosts-none`: this cluster hosts none of the environments
// that select clusters, said explicitly (policy::unhosted_cluster).
// Shared by serve, check and lint.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "cli/flags.h"
#include "core/cluster.h"

namespace releasegate::cli {

// `flags` with the cluster flags added, and `switches` with its switch.
std::set<std::string> with_cluster_flags(std::set<std::string> flags);
std::set<std::string> with_cluster_switches(std::set<std::string> switches = {});

// The identity the flags give (empty when none is given); nullopt with
// *error on a malformed label or an unreadable or invalid file.
std::optional<ClusterIdentity> cluster_from_flags(const Flags& flags, std::string* error);

inline constexpr const char* kClusterUsage =
    "[--cluster-name NAME] [--cluster-label KEY=VALUE ...] [--cluster-file FILE] [--cluster-hosts-none]";

}  // namespace releasegate::cli
