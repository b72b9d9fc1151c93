#include "core/cluster.h"

namespace releasegate {

std::string ClusterIdentity::describe() const {
  std::string out = name.empty() ? "(unnamed cluster)" : name;
  if (labels.empty()) return out;
  out += " {";
  bool first = true;
  for (const auto& [key, value] : labels) {
    out += (first ? "" : ", ") + key + "=" + value;
    first = false;
  }
  return out + "}";
}

bool ClusterSelector::matches(const ClusterIdentity& cluster) const {
  if (!cluster.configured()) return false;  // even names: ["*"]: a cluster not told what it is is none of them
  if (!names.empty() && !names.matches(cluster.name)) return false;
  for (const auto& [key, value] : labels) {
    auto found = cluster.labels.find(key);
    if (found == cluster.labels.end() || !value.matches(found->second)) return false;
  }
  return true;
}

bool ClusterSelector::may_overlap(const ClusterSelector& other) const {
  if (!names.empty() && !other.names.empty() && !names.overlap(other.names)) return false;
  for (const auto& [key, value] : labels) {
    for (const auto& [other_key, other_value] : other.labels) {
      if (key == other_key && !value.may_overlap(other_value)) return false;
    }
  }
  return true;
}

std::string ClusterSelector::describe() const {
  std::string out;
  if (!names.empty()) out = "names " + names.describe();
  if (labels.empty()) return out.empty() ? "every cluster" : out;
  out += out.empty() ? "labels " : " and labels ";
  bool first = true;
  for (const auto& [key, value] : labels) {
    out += (first ? "" : ", ") + key + "=" + value.text();
    first = false;
  }
  return out;
}

}  // namespace releasegate
