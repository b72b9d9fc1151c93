#include "runtime/config_map_rules.h"

#include <set>

namespace releasegate::runtime {

std::vector<policy::RuleSource> sources_of(const RulesConfigMap& config_map, const std::string& own_namespace) {
  std::string id = config_map.namespace_ + "/" + config_map.name;
  // The linker compares this with the policy ConfigMaps' names: only one in
  // releasegate's own namespace may match.
  std::string policy_name = config_map.namespace_ == own_namespace ? config_map.name : id;
  std::vector<policy::RuleSource> sources;
  for (const auto& [key, text] : config_map.data) {
    if (!key.ends_with(".yaml") && !key.ends_with(".yml")) continue;
    sources.push_back({"ConfigMap " + id + " key " + key, text, policy_name});
  }
  return sources;
}

policy::LoadResult ConfigMapRules::compile_all(const RulesConfigMaps& config_maps, const policy::LoadOptions& options,
                                               std::map<std::string, std::string>* file_owner) {
  std::vector<policy::RuleSource> sources;
  std::vector<policy::LoadError> refused;
  for (const auto& [id, config_map] : config_maps) {
    for (const std::string& key : config_map.binary_keys) {
      refused.push_back({"ConfigMap " + id + " key " + key, "", 0, 0,
                         "binaryData is not read: rules are text that reviewers read in the pull request; move "
                         "the key to data"});
      (*file_owner)[refused.back().file] = id;
    }
    for (policy::RuleSource& source : sources_of(config_map, options.own_namespace)) {
      (*file_owner)[source.file] = id;
      sources.push_back(std::move(source));
    }
  }
  policy::LoadResult result = compiler_.compile(sources, options);
  if (!refused.empty()) {
    result.rules = nullptr;
    result.from = nullptr;
    result.errors.insert(result.errors.begin(), refused.begin(), refused.end());
  }
  return result;
}

ConfigMapCompile ConfigMapRules::compile(const RulesConfigMaps& now, const policy::LoadOptions& options) {
  ConfigMapCompile out;
  if (attempted_ && now == last_seen_) {
    out.changed = false;
    out.held = last_held_;
    return out;
  }
  attempted_ = true;
  last_seen_ = now;
  RulesConfigMaps candidate = now;
  std::set<std::string> held;
  std::vector<policy::LoadError> first_errors;
  for (;;) {
    std::map<std::string, std::string> file_owner;
    out.result = compile_all(candidate, options, &file_owner);
    if (out.result.rules) break;
    if (first_errors.empty()) first_errors = out.result.errors;
    // The changed ConfigMaps the errors point into, not yet held back.
    std::map<std::string, std::vector<policy::LoadError>> culprits;
    for (const policy::LoadError& e : out.result.errors) {
      auto owner = file_owner.find(e.file);
      if (owner == file_owner.end() || held.contains(owner->second)) continue;
      auto in_force = in_force_.find(owner->second);
      if (in_force != in_force_.end() && in_force->second == candidate.at(owner->second)) continue;
      culprits[owner->second].push_back(e);
    }
    if (culprits.empty()) break;
    for (auto& [id, errors] : culprits) {
      held.insert(id);
      out.held.push_back({id, std::move(errors)});
      auto in_force = in_force_.find(id);
      if (in_force != in_force_.end()) {
        candidate[id] = in_force->second;
      } else {
        candidate.erase(id);
      }
    }
  }
  if (out.result.rules) {
    in_force_ = std::move(candidate);
  } else {
    // Nothing changes; the errors reported are those of the ConfigMaps as
    // they are, the most useful to whoever broke them.
    out.result.errors = std::move(first_errors);
    out.held.clear();
  }
  last_held_ = out.held;
  return out;
}

}  // namespace releasegate::runtime
