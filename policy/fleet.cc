#include "policy/fleet.h"

#include <algorithm>

#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {
namespace {

constexpr std::size_t kMaxClusters = 10000;

// name, labels and (in fleet files) environments of one cluster.
void read_cluster(Reader& reader, const yaml::Node& node, bool fleet, FleetFile& into) {
  FleetCluster cluster;
  cluster.line = node.mark().line + 1;
  cluster.column = node.mark().column + 1;
  auto labels = [&](const yaml::Node& map) {
    if (!map.is_map()) return reader.error(map, "cluster labels must be a map of label to value");
    for (const yaml::Node::Entry& entry : map.entries()) {
      std::string key = entry.key.scalar();
      auto value = reader.string(entry.value, "cluster label " + key);
      if (key.empty() || key.find('=') != std::string::npos) {
        reader.error(entry.key, "cluster label \"" + key + "\" is not a label name");
      } else if (value) {
        cluster.identity.labels[key] = *value;
      }
    }
  };
  auto environments = [&](const yaml::Node& list) {
    std::vector<std::string> names;
    for (auto& [name, at] : reader.strings(list, "cluster environments")) names.push_back(name);
    cluster.environments = std::move(names);
  };
  Field name{"name", [&](const yaml::Node& n) { cluster.identity.name = reader.string(n, "cluster name").value_or(""); },
             fleet};
  // A cluster file describes this cluster only: what it hosts is the policy's to say.
  bool read = fleet ? reader.fields(node, "cluster", {name, {"labels", labels}, {"environments", environments}})
                    : reader.fields(node, "cluster", {name, {"labels", labels}});
  if (!read) return;
  for (const FleetCluster& other : into.clusters) {
    if (other.identity.name == cluster.identity.name) {
      return reader.error(node, "cluster \"" + cluster.identity.name + "\" is listed twice (line " +
                                    std::to_string(other.line) + ")");
    }
  }
  into.clusters.push_back(std::move(cluster));
}

FleetFile read_file(const RuleSource& source, bool fleet) {
  FleetFile out;
  Origin origin{source.file, {}};
  Reader reader(origin, out.errors);
  yaml::Tree::Parsed parsed = yaml::Tree::parse(source.content);
  for (const yaml::Tree::Error& e : parsed.errors) reader.error(e.mark, e.message);
  if (!parsed.errors.empty()) return out;
  if (parsed.documents.size() != 1) {
    out.errors.push_back({source.file, {}, 0, 0, "expected one YAML document"});
    return out;
  }
  const yaml::Node& doc = parsed.documents.front();
  if (!fleet) {
    read_cluster(reader, doc, false, out);
    return out;
  }
  reader.fields(doc, "fleet", {{"clusters", [&](const yaml::Node& list) {
      if (!list.is_sequence() || list.size() == 0) return reader.error(list, "clusters must be a non-empty list");
      if (list.size() > kMaxClusters) return reader.error(list, "at most 10000 clusters are supported");
      for (yaml::Node item : list.items()) read_cluster(reader, item, true, out);
    }, true}});
  return out;
}

std::string names_of(const RuleSet& rules, const std::vector<std::size_t>& envs) {
  std::string out;
  for (std::size_t e : envs) out += (out.empty() ? "" : ", ") + rules.environments[e].name;
  return out.empty() ? "no environment" : out;
}

}  // namespace

FleetFile read_cluster_file(const RuleSource& source) { return read_file(source, false); }
FleetFile read_fleet_file(const RuleSource& source) { return read_file(source, true); }

std::vector<std::size_t> hosted_environments(const RuleSet& rules, const ClusterIdentity& cluster) {
  std::vector<std::size_t> hosted;
  for (std::size_t e = 0; e < rules.environments.size(); ++e) {
    const Environment& env = rules.environments[e];
    if (!env.clusters || env.clusters->matches(cluster)) hosted.push_back(e);
  }
  return hosted;
}

std::optional<std::string> unhosted_cluster(const RuleSet& rules, const ClusterIdentity& cluster) {
  if (cluster.hosts_none) return std::nullopt;
  std::vector<std::size_t> selecting;
  for (std::size_t e = 0; e < rules.environments.size(); ++e) {
    const Environment& env = rules.environments[e];
    if (!env.clusters) continue;
    if (env.clusters->matches(cluster)) return std::nullopt;
    selecting.push_back(e);
  }
  if (selecting.empty()) return std::nullopt;
  return "environments " + names_of(rules, selecting) + " select clusters, and cluster " + cluster.describe() +
         " hosts none of them, so their namespaces would not be governed here: give this cluster's identity "
         "(--cluster-name, --cluster-label, --cluster-file), or say --cluster-hosts-none if it is outside the fleet";
}

std::vector<LoadError> check_fleet(const RuleSet& rules, const FleetFile& fleet, const std::string& file) {
  std::vector<LoadError> errors;
  std::vector<bool> reached(rules.environments.size(), false);
  for (const FleetCluster& cluster : fleet.clusters) {
    std::vector<std::size_t> hosted = hosted_environments(rules, cluster.identity);
    for (std::size_t e : hosted) reached[e] = true;
    if (!cluster.environments) continue;
    std::vector<std::string> expected = *cluster.environments, actual;
    for (std::size_t e : hosted) actual.push_back(rules.environments[e].name);
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
    if (expected == actual) continue;
    std::string wanted;
    for (const std::string& name : *cluster.environments) wanted += (wanted.empty() ? "" : ", ") + name;
    errors.push_back({file, {}, cluster.line, cluster.column,
                      "cluster " + cluster.identity.describe() + " hosts " + names_of(rules, hosted) +
                          " under the policy, not " + (wanted.empty() ? "no environment" : wanted) +
                          " as the fleet says; fix the environments' clusters or the cluster's labels"});
  }
  for (std::size_t e = 0; e < rules.environments.size(); ++e) {
    if (reached[e]) continue;
    errors.push_back({file, {}, 0, 0,
                      "environment " + rules.environments[e].name + " (" + rules.environments[e].clusters->describe() +
                          ") is hosted by no cluster of the fleet: nothing can be promoted through it"});
  }
  return errors;
}

std::vector<std::string> describe_fleet(const RuleSet& rules, const FleetFile& fleet) {
  std::vector<std::string> lines;
  for (const FleetCluster& cluster : fleet.clusters) {
    lines.push_back(cluster.identity.describe() + ": " + names_of(rules, hosted_environments(rules, cluster.identity)));
  }
  return lines;
}

}  // namespace releasegate::policy
