// The cluster a command decides as: `--cluster-name NAME`,
// `--cluster-label KEY=VALUE` (repeatable) and `--cluster-file FILE` (name
// and labels in YAML, e.g. a mounted ConfigMap key; the flags override it).
// Shared by serve, check and lint.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "cli/flags.h"
#include "core/cluster.h"

namespace releasegate::cli {

// `flags` with the cluster flags added.
std::set<std::string> with_cluster_flags(std::set<std::string> flags);

// The identity the flags give (empty when none is given); nullopt with
// *error on a malformed label or an unreadable or invalid file.
std::optional<ClusterIdentity> cluster_from_flags(const Flags& flags, std::string* error);

inline constexpr const char* kClusterUsage =
    "[--cluster-name NAME] [--cluster-label KEY=VALUE ...] [--cluster-file FILE]";

}  // namespace releasegate::cli
