#include "runtime/config_map_rules.h"

#include <algorithm>
#include <set>

namespace releasegate::runtime {
namespace {

bool is_rules_key(const std::string& key) { return key.ends_with(".yaml") || key.ends_with(".yml"); }

// Whether two ConfigMaps hold the same rules (other keys do not count).
bool same_rules(const RulesConfigMap& a, const RulesConfigMap& b) {
  auto rules_of = [](const RulesConfigMap& m) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, text] : m.data) {
      if (is_rules_key(key)) out.emplace_back(key, text);
    }
    return out;
  };
  return a.binary_keys == b.binary_keys && rules_of(a) == rules_of(b);
}

bool same_rules(const RulesConfigMaps& a, const RulesConfigMaps& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.first == y.first && same_rules(x.second, y.second);
         });
}

}  // namespace

bool is_evidence_store(const RulesConfigMap& config_map, const policy::LoadOptions& options) {
  return config_map.namespace_ == options.own_namespace && config_map.name == options.evidence_config_map;
}

std::string rules_source_owner(const std::string& ns, const std::string& name, const std::string& own_namespace) {
  // The linker compares this with the policy ConfigMaps' names: only one in
  // releasegate's own namespace may match.
  return ns == own_namespace ? name : ns + "/" + name;
}

std::vector<policy::RuleSource> sources_of(const RulesConfigMap& config_map, const std::string& own_namespace) {
  std::string id = config_map.namespace_ + "/" + config_map.name;
  std::string policy_name = rules_source_owner(config_map.namespace_, config_map.name, own_namespace);
  std::vector<policy::RuleSource> sources;
  for (const auto& [key, text] : config_map.data) {
    if (!is_rules_key(key)) continue;
    sources.push_back({"ConfigMap " + id + " key " + key, text, policy_name});
  }
  return sources;
}

policy::LoadResult ConfigMapRules::compile_all(const RulesConfigMaps& config_maps, const policy::LoadOptions& options,
                                               std::map<std::string, std::string>* file_owner) {
  // Oldest first: a record or document two ConfigMaps both hold is
  // reported at the later source, so the ConfigMap created later is the
  // one held back, whatever its name.
  std::vector<const RulesConfigMap*> ordered;
  for (const auto& [id, config_map] : config_maps) ordered.push_back(&config_map);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const RulesConfigMap* a, const RulesConfigMap* b) { return a->created < b->created; });
  std::vector<policy::RuleSource> sources;
  std::vector<policy::LoadError> refused;
  for (const RulesConfigMap* config_map : ordered) {
    std::string id = config_map->namespace_ + "/" + config_map->name;
    if (is_evidence_store(*config_map, options)) {
      refused.push_back({"ConfigMap " + id, "", 0, 0,
                         "is releasegate's evidence store (--evidence-config-map), which releasegate itself "
                         "writes: it is never read as rules; remove the label releasegate.io/rules"});
      (*file_owner)[refused.back().file] = id;
      continue;
    }
    for (const std::string& key : config_map->binary_keys) {
      refused.push_back({"ConfigMap " + id + " key " + key, "", 0, 0,
                         "binaryData is not read: rules are text that reviewers read in the pull request; move "
                         "the key to data"});
      (*file_owner)[refused.back().file] = id;
    }
    for (policy::RuleSource& source : sources_of(*config_map, options.own_namespace)) {
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

std::map<std::string, std::vector<policy::LoadError>> ConfigMapRules::culprits(
    const RulesConfigMaps& candidate, const std::set<std::string>& held, const std::vector<policy::LoadError>& errors,
    const std::map<std::string, std::string>& file_owner) const {
  auto changed = [&](const std::string& id) {
    auto in_force = in_force_.find(id);
    return !held.contains(id) && (in_force == in_force_.end() || !same_rules(in_force->second, candidate.at(id)));
  };
  std::map<std::string, std::vector<policy::LoadError>> out;
  for (const policy::LoadError& e : errors) {
    auto owner = file_owner.find(e.file);
    if (owner != file_owner.end() && changed(owner->second)) out[owner->second].push_back(e);
  }
  if (!out.empty()) return out;
  // Errors that point into no changed ConfigMap (the unchanged side of a
  // conflict, or a whole-set error): every changed one is held back.
  for (const auto& [id, config_map] : candidate) {
    if (changed(id)) out[id] = errors;
  }
  return out;
}

ConfigMapCompile ConfigMapRules::compile(RulesConfigMaps now, const policy::LoadOptions& options) {
  ConfigMapCompile out;
  RulesConfigMaps candidate = std::move(now);
  std::set<std::string> held;
  std::vector<policy::LoadError> first_errors;
  for (;;) {
    std::map<std::string, std::string> file_owner;
    out.result = compile_all(candidate, options, &file_owner);
    if (out.result.rules) break;
    if (first_errors.empty()) first_errors = out.result.errors;
    auto found = culprits(candidate, held, out.result.errors, file_owner);
    if (found.empty()) break;
    for (auto& [id, errors] : found) {
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
    // The same rules as in force (a held ConfigMap edited and still
    // broken, a key that holds no rules changed): nothing to publish.
    out.in_force_changed = !has_in_force_ || !same_rules(candidate, in_force_);
    in_force_ = std::move(candidate);
    has_in_force_ = true;
  } else {
    // Nothing changes; the errors reported are those of the ConfigMaps as
    // they are, the most useful to whoever broke them.
    out.result.errors = std::move(first_errors);
    out.held.clear();
  }
  return out;
}

}  // namespace releasegate::runtime
