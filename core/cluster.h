// The cluster a releasegate guards, and the clusters an environment
// selects. One policy serves a fleet: each cluster's releasegate knows its
// own name and labels (serve --cluster-name, --cluster-label), and an
// environment may select clusters as well as namespaces ("prod-europe is
// the prod* namespaces of clusters labelled region=europe").
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/pattern.h"

namespace releasegate {

struct ClusterIdentity {
  std::string name;                           // empty: not configured
  std::map<std::string, std::string> labels;  // sorted, so output is stable
  // The operator says this cluster hosts none of the environments that
  // select clusters (--cluster-hosts-none): without it, such a cluster is
  // taken for a missing or mistyped identity (policy::unhosted_cluster).
  bool hosts_none = false;

  bool configured() const { return !name.empty() || !labels.empty(); }
  // "prod-eu-1 {region=europe, tier=prod}", or "(unnamed cluster)".
  std::string describe() const;
};

// Which clusters an environment is hosted by: every name pattern listed
// (any of them) and every label (all of them, each value a pattern). A
// cluster without a name or labels is selected by none.
struct ClusterSelector {
  PatternList names;  // empty: any name
  std::vector<std::pair<std::string, Pattern>> labels;

  bool matches(const ClusterIdentity& cluster) const;
  // Whether some cluster may match both (Pattern::may_overlap on names and
  // on the values of a label both require).
  bool may_overlap(const ClusterSelector& other) const;
  // "names prod-* and labels region=europe", for messages.
  std::string describe() const;
};

}  // namespace releasegate
