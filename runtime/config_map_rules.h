// Rules compiled from ConfigMaps read through the API, one source per
// ConfigMap key, named in every error as
// `ConfigMap releasegate-system/promotion-checkout key checkout.yaml:12:3`.
//
// A broken ConfigMap does not freeze the others. The rule, exactly: the
// ConfigMaps are compiled as they are now, oldest first. If that fails,
// each ConfigMap that an error points into and whose rules differ from the
// rule set in force is held back: its content in force is used instead (a
// new one is left out). When the errors point into no such ConfigMap (the
// unchanged side of a conflict), every changed one is held back. The rest
// is compiled again, holding back more while that finds any. If the result
// is valid it is put in force, and the held ConfigMaps are reported;
// otherwise the rule set in force stays as it is. Two ConfigMaps holding
// the same record are reported at the later-created one, so that one is
// held: a new ConfigMap cannot take a repository from its owner by its
// name. A deletion is never held back: a ConfigMap gone from the cluster
// is gone from the rules, unless the rules are invalid without it (the
// ReleasePolicy's, say), in which case nothing changes. What is in force
// lives in memory: a restarted releasegate has no last good content, and
// leaves a broken ConfigMap out whole until it is fixed.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "policy/compiler.h"
#include "policy/incremental_compiler.h"

namespace releasegate::runtime {

// A rules ConfigMap as the API holds it.
struct RulesConfigMap {
  std::string namespace_;
  std::string name;
  std::string created;  // metadata.creationTimestamp (RFC 3339, so it sorts as text)
  std::map<std::string, std::string> data;  // its keys; only *.yaml and *.yml are rules
  std::vector<std::string> binary_keys;     // binaryData: refused, rules are text a reviewer reads
  bool operator==(const RulesConfigMap&) const = default;
};
// By "namespace/name".
using RulesConfigMaps = std::map<std::string, RulesConfigMap>;

// A ConfigMap whose latest content is not in force, and why.
struct HeldConfigMap {
  std::string config_map;  // namespace/name
  std::vector<policy::LoadError> errors;
};

struct ConfigMapCompile {
  policy::LoadResult result;  // rules set when valid
  // Whether result.rules differ from the rules in force until now (false:
  // the same rules again, nothing to publish).
  bool in_force_changed = false;
  std::vector<HeldConfigMap> held;
};

// Whether the ConfigMap is releasegate's evidence store
// (LoadOptions::evidence_config_map): refused as rules, whatever it holds.
bool is_evidence_store(const RulesConfigMap& config_map, const policy::LoadOptions& options);

// Who a rules ConfigMap's documents say they are in (RuleSource::config_map):
// the bare name in releasegate's own namespace, where --policy-config-map
// names the policy's ConfigMaps, and namespace/name elsewhere. The one
// definition of a source's identity: the rules-edit webhook compares
// documents with it, so that a same-named ConfigMap in another rules
// namespace is another source.
std::string rules_source_owner(const std::string& ns, const std::string& name, const std::string& own_namespace);

// The ConfigMap's rules sources. A ReleasePolicy is accepted only from the
// policy ConfigMaps of `own_namespace` (LoadOptions::policy_config_maps).
std::vector<policy::RuleSource> sources_of(const RulesConfigMap& config_map, const std::string& own_namespace);

class ConfigMapRules {
 public:
  // The ConfigMaps as they are now. Unchanged sources are not compiled
  // again (policy::IncrementalCompiler), so calling it again with the same
  // ConfigMaps costs their hashing and a link.
  ConfigMapCompile compile(RulesConfigMaps now, const policy::LoadOptions& options);

 private:
  policy::LoadResult compile_all(const RulesConfigMaps& config_maps, const policy::LoadOptions& options,
                                 std::map<std::string, std::string>* file_owner);
  // The ConfigMaps to hold back after `errors`, each with its errors.
  std::map<std::string, std::vector<policy::LoadError>> culprits(
      const RulesConfigMaps& candidate, const std::set<std::string>& held,
      const std::vector<policy::LoadError>& errors, const std::map<std::string, std::string>& file_owner) const;

  RulesConfigMaps in_force_;    // what the rule set in force was compiled from
  bool has_in_force_ = false;
  policy::IncrementalCompiler compiler_;
};

}  // namespace releasegate::runtime
