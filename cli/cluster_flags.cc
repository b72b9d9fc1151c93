#include "cli/cluster_flags.h"

#include <fstream>
#include <sstream>

#include "policy/fleet.h"

namespace releasegate::cli {

std::set<std::string> with_cluster_flags(std::set<std::string> flags) {
  flags.insert({"cluster-name", "cluster-label", "cluster-file"});
  return flags;
}

std::set<std::string> with_cluster_switches(std::set<std::string> switches) {
  switches.insert("cluster-hosts-none");
  return switches;
}

std::optional<ClusterIdentity> cluster_from_flags(const Flags& flags, std::string* error) {
  ClusterIdentity cluster;
  if (auto file = flags.get("cluster-file")) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      *error = "--cluster-file: cannot read " + *file;
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    policy::FleetFile read = policy::read_cluster_file({*file, text.str()});
    if (!read.errors.empty()) {
      *error = "--cluster-file: " + read.errors.front().to_string();
      return std::nullopt;
    }
    if (!read.clusters.empty()) cluster = read.clusters.front().identity;
  }
  if (auto name = flags.get("cluster-name")) cluster.name = *name;
  for (const std::string& label : flags.all("cluster-label")) {
    auto equals = label.find('=');
    if (equals == 0 || equals == std::string::npos) {
      *error = "--cluster-label must be KEY=VALUE, not \"" + label + "\"";
      return std::nullopt;
    }
    cluster.labels[label.substr(0, equals)] = label.substr(equals + 1);
  }
  cluster.hosts_none = flags.has("cluster-hosts-none");
  return cluster;
}

}  // namespace releasegate::cli
