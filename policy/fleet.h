// The clusters of a fleet, as written in a file: for `serve --cluster-file`
// (one cluster: this one, often a mounted ConfigMap key) and for
// `lint --fleet` (every cluster, to check that each resolves to the
// environments it should). One cluster is written
//
//   name: prod-eu-1
//   labels: {region: europe, tier: prod}
//   environments: [staging-europe, prod-europe]   # fleet files only, optional
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "policy/compiler.h"

namespace releasegate::policy {

struct FleetCluster {
  ClusterIdentity identity;
  // The environments it should host, when written: lint fails when the
  // policy resolves others.
  std::optional<std::vector<std::string>> environments;
  int line = 0;  // where it is written in the fleet file
  int column = 0;
};

struct FleetFile {
  std::vector<FleetCluster> clusters;
  std::vector<LoadError> errors;
};

// A file holding one cluster (name and labels).
FleetFile read_cluster_file(const RuleSource& source);
// A file holding `clusters:`, a list of them.
FleetFile read_fleet_file(const RuleSource& source);

// The environments `cluster` hosts under `rules`, in policy order.
std::vector<std::size_t> hosted_environments(const RuleSet& rules, const ClusterIdentity& cluster);

// Why `cluster` would leave a fleet's environments ungoverned: environments
// select clusters, it hosts none of them, and the operator did not say so
// (ClusterIdentity::hosts_none). A missing --cluster-file or a label typo
// (region: EU) would otherwise allow everything in those environments'
// namespaces. nullopt when the rules select no cluster, or it hosts one.
std::optional<std::string> unhosted_cluster(const RuleSet& rules, const ClusterIdentity& cluster);

// Every cluster hosts what its `environments` say, and every environment
// that selects clusters is hosted by one of the fleet: errors located in
// the fleet file.
std::vector<LoadError> check_fleet(const RuleSet& rules, const FleetFile& fleet, const std::string& file);

// "ghcr-eu-1 {region=europe}: staging-europe, prod-europe" per cluster.
std::vector<std::string> describe_fleet(const RuleSet& rules, const FleetFile& fleet);

}  // namespace releasegate::policy
