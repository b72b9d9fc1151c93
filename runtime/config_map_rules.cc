#include "runtime/config_map_rules.h"

#include <algorithm>
#include <set>

namespace releasegate::runtime {
namespace {

bool is_rules_key(const std::string& key) { return key.ends_with(".yaml") || key.ends_with(".yml"); }

// Whether two ConfigMaps hold the same rules (other keys do not count).
bool same_rules(const RulesConfigMap& a, const RulesConfigMap& b) {
  auto rules_of = [](const RulesConfigMap& m) {
    std::vector<std::pair<std::string, SharedText>> out;
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
    sources.push_back({"ConfigMap " + id + " key " + key, text.str(), policy_name});
  }
  return sources;
}

policy::LoadResult ConfigMapRules::compile_all(const RulesConfigMaps& config_maps, const policy::LoadOptions& options) {
  // Oldest first: a record or document two ConfigMaps both hold is
  // reported at the later source (for the message only: which one is held
  // is decided by compile()).
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
      continue;
    }
    for (const std::string& key : config_map->binary_keys) {
      refused.push_back({"ConfigMap " + id + " key " + key, "", 0, 0,
                         "binaryData is not read: rules are text that reviewers read in the pull request; move "
                         "the key to data"});
    }
    for (policy::RuleSource& source : sources_of(*config_map, options.own_namespace)) sources.push_back(std::move(source));
  }
  policy::LoadResult result = compiler_.compile(sources, options);
  if (!refused.empty()) {
    result.rules = nullptr;
    result.from = nullptr;
    result.errors.insert(result.errors.begin(), refused.begin(), refused.end());
  }
  return result;
}

// One compile() at work: what is accepted so far, and the changes to try.
struct ConfigMapRules::Settling {
  const policy::LoadOptions& options;
  const RulesConfigMaps& now;
  RulesConfigMaps accepted;                          // in force, plus the changes accepted
  std::optional<policy::LoadResult> accepted_result;  // its compile, when done
  std::vector<std::vector<std::string>> groups;       // changed ids, in the order they are tried
  std::size_t policy_groups = 0;                      // the first groups: the policy's ConfigMaps
  std::vector<HeldConfigMap> held;

  // `accepted` with the changes `ids` made: a ConfigMap added or edited
  // as it is now, one deleted gone.
  RulesConfigMaps with(const std::vector<std::string>& ids) const {
    RulesConfigMaps out = accepted;
    for (const std::string& id : ids) {
      auto found = now.find(id);
      if (found == now.end()) {
        out.erase(id);
      } else {
        out[id] = found->second;
      }
    }
    return out;
  }
};

// The changes since what is in force (ConfigMaps added, edited or
// deleted), in groups of the same creation second, in the order they are
// tried: the policy's ConfigMaps first (every other needs its
// environments), then by creation. Nothing an applier chooses, such as a
// name, orders them.
void ConfigMapRules::find_changes(Settling& s) const {
  const RulesConfigMaps& now = s.now;
  const policy::LoadOptions& options = s.options;
  auto is_policy = [&](const RulesConfigMap& m) {
    const auto& names = options.policy_config_maps;
    return m.namespace_ == options.own_namespace && std::find(names.begin(), names.end(), m.name) != names.end();
  };
  std::map<std::pair<bool, std::string>, std::vector<std::string>> by_order;  // (not policy, created) -> ids
  for (const auto& [id, config_map] : now) {
    auto in_force = in_force_.find(id);
    if (in_force != in_force_.end() && same_rules(in_force->second, config_map)) continue;
    by_order[{!is_policy(config_map), config_map.created}].push_back(id);
  }
  for (const auto& [id, config_map] : in_force_) {
    if (!now.contains(id)) by_order[{!is_policy(config_map), config_map.created}].push_back(id);
  }
  for (auto& [order, ids] : by_order) {
    if (!order.first) ++s.policy_groups;
    s.groups.push_back(std::move(ids));
  }
}

// Accepts the groups [begin, end) if they compile with what is accepted;
// else halves the range, so that k broken groups among n cost about
// k log n compiles, and the result is that of trying them one by one.
void ConfigMapRules::settle(Settling& s, std::size_t begin, std::size_t end) {
  if (begin == end) return;
  std::vector<std::string> ids;
  for (std::size_t g = begin; g < end; ++g) ids.insert(ids.end(), s.groups[g].begin(), s.groups[g].end());
  RulesConfigMaps candidate = s.with(ids);
  policy::LoadResult result = compile_all(candidate, s.options);
  if (result.rules) {
    s.accepted = std::move(candidate);
    s.accepted_result = std::move(result);
    return;
  }
  if (end - begin > 1) {
    std::size_t middle = begin + (end - begin) / 2;
    settle(s, begin, middle);
    settle(s, middle, end);
    return;
  }
  settle_group(s, s.groups[begin], std::move(result.errors));
}

// One group that does not compile with what is accepted. A single change
// is held. Of ConfigMaps created in the same second, those that do not
// compile alone are held; of the others, each one without which the rest
// compiles is part of a conflict among them, and held: a tie is never
// decided by a name. The rest is accepted if it compiles (else, three or
// more claiming one thing, every one is held).
void ConfigMapRules::settle_group(Settling& s, const std::vector<std::string>& group,
                                  std::vector<policy::LoadError> errors) {
  if (group.size() == 1) {
    s.held.push_back({group.front(), std::move(errors)});
    return;
  }
  std::vector<std::string> alone;
  for (const std::string& id : group) {
    policy::LoadResult result = compile_all(s.with({id}), s.options);
    if (result.rules) {
      alone.push_back(id);
    } else {
      s.held.push_back({id, std::move(result.errors)});
    }
  }
  RulesConfigMaps candidate = s.with(alone);
  policy::LoadResult together = compile_all(candidate, s.options);
  if (!together.rules) {
    std::vector<std::string> rest;
    for (const std::string& id : alone) {
      std::vector<std::string> others = alone;
      std::erase(others, id);
      if (compile_all(s.with(others), s.options).rules) {
        s.held.push_back({id, together.errors});
      } else {
        rest.push_back(id);
      }
    }
    candidate = s.with(rest);
    policy::LoadResult remaining = compile_all(candidate, s.options);
    if (!remaining.rules) {
      for (const std::string& id : rest) s.held.push_back({id, together.errors});
      return;
    }
    together = std::move(remaining);
  }
  s.accepted = std::move(candidate);
  s.accepted_result = std::move(together);
}

ConfigMapCompile ConfigMapRules::compile(RulesConfigMaps now, const policy::LoadOptions& options) {
  ConfigMapCompile out;
  Settling s{options, now, has_in_force_ ? in_force_ : RulesConfigMaps{}, std::nullopt, {}, 0, {}};
  find_changes(s);
  // The policy first: at a first compile, without a valid one nothing is
  // (and every other ConfigMap would be tried alone for nothing).
  settle(s, 0, s.policy_groups);
  if (s.accepted_result || has_in_force_) settle(s, s.policy_groups, s.groups.size());
  if (!s.accepted_result && has_in_force_) s.accepted_result = compile_all(s.accepted, options);
  if (s.accepted_result && s.accepted_result->rules) {
    // The same rules as in force (a held ConfigMap edited and still
    // broken, a key that holds no rules changed): nothing to publish.
    out.in_force_changed = !has_in_force_ || !same_rules(s.accepted, in_force_);
    out.result = std::move(*s.accepted_result);
    out.held = std::move(s.held);
    in_force_ = std::move(s.accepted);
    has_in_force_ = true;
    // ConfigMaps changed in what is not rules (other keys, metadata) are
    // taken as they are now, so that the next compile compares with them.
    for (const auto& [id, config_map] : now) {
      auto in_force = in_force_.find(id);
      if (in_force != in_force_.end() && same_rules(in_force->second, config_map)) in_force->second = config_map;
    }
    return out;
  }
  // Nothing valid at a first compile (the policy itself is broken):
  // nothing is in force; the errors are those of the ConfigMaps as they
  // are, the most useful to whoever broke them.
  out.result = compile_all(now, options);
  return out;
}

}  // namespace releasegate::runtime
