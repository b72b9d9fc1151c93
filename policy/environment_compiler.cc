#include "policy/environment_compiler.h"

#include "core/time_text.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace releasegate::policy {
namespace {

std::string environment_names(const RuleSet& rules) {
  std::string out;
  for (const Environment& env : rules.environments) out += (out.empty() ? "" : ", ") + env.name;
  return out;
}

// What read_environment leaves for the checks across environments: the
// node of each environment and its `after` or `afterAny` list, resolved
// once every name is known (an environment may come after a later one).
struct Written {
  yaml::Node item;
  yaml::Node after;  // missing when neither was written
  yaml::Node evidence_from = {};  // requires.evidenceFrom or evidenceFromAny; missing: the predecessors
};

// The longest soak an environment may require: 30 days.
constexpr std::int64_t kMaxSoakSeconds = 30 * 24 * 3600;

// requires: {evidenceFrom | evidenceFromAny: [names], soak: 30m}. The
// names are resolved with `after` (resolve_evidence_from).
void read_requires(Reader& reader, const yaml::Node& node, Environment& env, Written& w) {
  Environment::EvidenceRequirement requirement;
  std::string what = "environment " + env.name + " requires";
  auto from = [&](bool any) {
    return [&, any](const yaml::Node& names) {
      if (w.evidence_from) return reader.error(names, what + " has both evidenceFrom and evidenceFromAny; keep one");
      w.evidence_from = names;
      requirement.any = any;
    };
  };
  bool read = reader.fields(node, what, {
      {"evidenceFrom", from(false)},
      {"evidenceFromAny", from(true)},
      {"soak",
       [&](const yaml::Node& soak) {
         auto text = reader.string(soak, what + " soak");
         if (!text) return false;
         auto seconds = parse_duration(*text, kMaxSoakSeconds);
         if (!seconds) {
           reader.error(soak, what + " soak must be a duration such as 30m, 1h30m or 90s, at most 720h, not \"" +
                                  *text + "\"");
           return false;
         }
         requirement.soak_seconds = *seconds;
         return true;
       },
       true},
  });
  if (read) env.evidence_required = std::move(requirement);
}

bool read_environment_name(Reader& reader, const yaml::Node& node, const RuleSet& rules, std::string& into) {
  auto name = reader.required_string(node, "environment.name");
  if (!name) return false;
  if (rules.environment_named(*name)) {
    reader.error(node, "environment \"" + *name + "\" is defined twice");
    return false;
  }
  into = *name;
  return true;
}

void read_promotion_mode(Reader& reader, const yaml::Node& node, Environment& env) {
  auto value = reader.string(node, "promotion");
  if (value && *value == "open") {
    env.promotion_open = true;
  } else if (value && *value != "enforced") {
    reader.error(node, "promotion must be \"enforced\" or \"open\", not \"" + *value + "\"");
  }
}

// clusters: {names: [patterns], labels: {key: pattern}}: at least one.
void read_clusters(Reader& reader, const yaml::Node& node, Environment& env) {
  ClusterSelector selector;
  std::string what = "environment " + env.name + " clusters";
  bool read = reader.fields(node, what, {
      {"names", [&](const yaml::Node& names) { reader.patterns(names, what + " names", selector.names); }},
      {"labels",
       [&](const yaml::Node& labels) {
         if (!labels.is_map()) return reader.error(labels, what + " labels must be a map of label to value");
         for (const yaml::Node::Entry& entry : labels.entries()) {
           auto value = reader.string(entry.value, what + " label " + entry.key.scalar());
           if (!value) continue;
           if (auto p = reader.pattern(*value, entry.value, what + " labels")) {
             selector.labels.emplace_back(entry.key.scalar(), std::move(*p));
           }
         }
       }},
      check([&](const yaml::Node&) {
        if (!selector.names.empty() || !selector.labels.empty()) return true;
        reader.error(node, what + " must select by names, labels or both");
        return false;
      }),
  });
  if (read) env.clusters = std::move(selector);
}

// Environments are matched in order: a namespace pattern that an earlier
// environment's pattern covers never applies (`dev-*` listed before
// `dev-test`), and an environment all of whose patterns are covered can
// never be reached by a namespace. (Environments that select clusters must
// not overlap at all: check_overlaps.)
void warn_shadowed_namespaces(Reader& reader, const yaml::Node& node, const RuleSet& rules, const Environment& env) {
  std::size_t shadowed = 0;
  for (const Pattern& pattern : env.namespaces.patterns()) {
    for (const Environment& earlier : rules.environments) {
      if (earlier.clusters) continue;
      auto covering = std::find_if(earlier.namespaces.patterns().begin(), earlier.namespaces.patterns().end(),
                                   [&](const Pattern& p) { return p.covers(pattern); });
      if (covering == earlier.namespaces.patterns().end()) continue;
      ++shadowed;
      reader.warning(node, "namespace pattern \"" + pattern.text() + "\" of environment " + env.name +
                               " never applies: environment " + earlier.name + ", listed before it, matches it with \"" +
                               covering->text() + "\"");
      break;
    }
  }
  if (shadowed > 0 && shadowed == env.namespaces.patterns().size()) {
    reader.warning(node, "environment " + env.name + " can never match a namespace; list it before the environments "
                                                     "whose patterns cover its namespaces");
  }
}

void read_environment(Reader& reader, const yaml::Node& item, RuleSet& rules, std::vector<Written>& written) {
  Environment env;
  Written w{item, {}};
  yaml::Node namespaces;
  auto after = [&](bool any) {
    return [&, any](const yaml::Node& node) {
      if (w.after) return reader.error(node, "environment " + env.name + " has both after and afterAny; keep one");
      w.after = node;
      env.after_any = any;
    };
  };
  bool read = reader.fields(item, "environment", {
      {"name", [&](const yaml::Node& node) { return read_environment_name(reader, node, rules, env.name); }, true},
      {"clusters", [&](const yaml::Node& node) { read_clusters(reader, node, env); }},
      {"namespaces", [&](const yaml::Node& node) { namespaces = node; }},
      {"after", after(false)},
      {"afterAny", after(true)},
      {"promotion", [&](const yaml::Node& node) { read_promotion_mode(reader, node, env); }},
      {"requireDigest",
       [&](const yaml::Node& node) { env.require_digest = reader.boolean(node, "requireDigest").value_or(false); }},
      {"requires", [&](const yaml::Node& node) { read_requires(reader, node, env, w); }},
  });
  if (!read) return;
  if (namespaces) {
    reader.patterns(namespaces, "environment " + env.name + " namespaces", env.namespaces);
    if (!env.clusters) warn_shadowed_namespaces(reader, namespaces, rules, env);
  } else if (env.clusters) {
    env.namespaces.add(std::move(*Pattern::compile("*").pattern));  // the whole of each cluster it selects
  }
  rules.environments.push_back(std::move(env));
  written.push_back(std::move(w));
}

// after / afterAny by name, or the environment before in the list.
void resolve_after(Reader& reader, RuleSet& rules, const std::vector<Written>& written) {
  for (std::size_t i = 0; i < rules.environments.size(); ++i) {
    Environment& env = rules.environments[i];
    if (!written[i].after) {
      if (i > 0) env.after = {i - 1};
      continue;
    }
    for (auto& [name, at] : reader.strings(written[i].after, "environment " + env.name + " after")) {
      auto index = rules.environment_named(name);
      if (!index) {
        reader.error(at, unknown_environment(rules, name));
      } else if (*index == i) {
        reader.error(at, "environment " + env.name + " cannot come after itself");
      } else if (std::find(env.after.begin(), env.after.end(), *index) == env.after.end()) {
        env.after.push_back(*index);
      }
    }
  }
}

// Whether `env` comes after `before`, directly or through others.
bool comes_after(const RuleSet& rules, std::size_t env, std::size_t before) {
  std::vector<bool> seen(rules.environments.size(), false);
  std::vector<std::size_t> open = rules.environments[env].after;
  while (!open.empty()) {
    std::size_t e = open.back();
    open.pop_back();
    if (e == before) return true;
    if (seen[e]) continue;
    seen[e] = true;
    open.insert(open.end(), rules.environments[e].after.begin(), rules.environments[e].after.end());
  }
  return false;
}

// requires.evidenceFrom by name (environments the environment comes after),
// or by default its predecessors, each or any as `after` or `afterAny` says.
void resolve_evidence_from(Reader& reader, RuleSet& rules, const std::vector<Written>& written) {
  for (std::size_t i = 0; i < rules.environments.size(); ++i) {
    Environment& env = rules.environments[i];
    if (!env.evidence_required) continue;
    Environment::EvidenceRequirement& requirement = *env.evidence_required;
    if (!written[i].evidence_from) {
      requirement.from = env.after;
      requirement.any = env.after_any;
      if (env.after.empty()) {
        reader.error(written[i].item, "environment " + env.name + " requires evidence, but comes after no "
                                      "environment to take it from; name them in requires.evidenceFrom");
      }
      continue;
    }
    for (auto& [name, at] : reader.strings(written[i].evidence_from, "environment " + env.name + " evidenceFrom")) {
      auto index = rules.environment_named(name);
      if (!index) {
        reader.error(at, unknown_environment(rules, name));
      } else if (!comes_after(rules, i, *index)) {
        reader.error(at, "environment " + env.name + " requires evidence from " + name +
                             ", which it does not come after; a version reaches " + name + " after " + env.name +
                             " or apart from it");
      } else if (std::find(requirement.from.begin(), requirement.from.end(), *index) == requirement.from.end()) {
        requirement.from.push_back(*index);
      }
    }
  }
}

// A cycle in the promotion graph: no version could ever enter it. True
// when one was found (and reported).
bool check_cycles(Reader& reader, const RuleSet& rules, const std::vector<Written>& written) {
  enum class State { New, Open, Done };
  std::vector<State> state(rules.environments.size(), State::New);
  std::vector<std::size_t> path;
  auto visit = [&](auto& self, std::size_t env) -> bool {
    if (state[env] == State::Done) return false;
    if (state[env] == State::Open) {
      std::string cycle = rules.environments[env].name;
      for (auto it = path.rbegin(); it != path.rend() && *it != env; ++it) cycle += " after " + rules.environments[*it].name;
      reader.error(written[env].item, "the promotion graph has a cycle (" + cycle + " after " +
                                          rules.environments[env].name + "): no version could be promoted to them");
      return true;
    }
    state[env] = State::Open;
    path.push_back(env);
    for (std::size_t before : rules.environments[env].after) {
      if (self(self, before)) return true;
    }
    path.pop_back();
    state[env] = State::Done;
    return false;
  };
  for (std::size_t env = 0; env < rules.environments.size(); ++env) {
    if (visit(visit, env)) return true;  // one cycle reported is enough
  }
  return false;
}

// Environment::rank over the (acyclic) graph: one more than the deepest
// environment it comes after.
void rank_environments(RuleSet& rules) {
  std::vector<bool> done(rules.environments.size(), false);
  auto rank = [&](auto& self, std::size_t env) -> std::size_t {
    Environment& e = rules.environments[env];
    if (done[env]) return e.rank;
    for (std::size_t before : e.after) e.rank = std::max(e.rank, self(self, before) + 1);
    done[env] = true;
    return e.rank;
  };
  for (std::size_t env = 0; env < rules.environments.size(); ++env) rank(rank, env);
}

// Two environments that may both govern a namespace of one cluster, when
// either selects clusters: ambiguous, so an error (first-match order is
// kept only between environments that select no clusters).
void check_overlaps(Reader& reader, const RuleSet& rules, const std::vector<Written>& written) {
  for (std::size_t j = 0; j < rules.environments.size(); ++j) {
    const Environment& b = rules.environments[j];
    for (std::size_t i = 0; i < j; ++i) {
      const Environment& a = rules.environments[i];
      if (!a.clusters && !b.clusters) continue;
      if (a.clusters && b.clusters && !a.clusters->may_overlap(*b.clusters)) continue;
      auto namespaces = a.namespaces.overlap(b.namespaces);
      if (!namespaces) continue;
      auto clusters = [](const Environment& e) { return e.clusters ? e.clusters->describe() : "every cluster"; };
      reader.error(written[j].item,
                   "environments " + a.name + " and " + b.name + " may both govern a namespace of one cluster: "
                   "namespace patterns \"" + namespaces->first->text() + "\" and \"" + namespaces->second->text() +
                   "\" overlap, and so do their clusters (" + clusters(a) + "; " + clusters(b) +
                   "); make their clusters or their namespaces disjoint");
    }
  }
}

}  // namespace

void read_environments(Reader& reader, const yaml::Node& node, RuleSet& rules) {
  if (!node.is_sequence() || node.size() == 0) {
    reader.error(node, "spec.environments must be a non-empty list");
    return;
  }
  if (node.size() > kMaxEnvironments) {
    reader.error(node, "at most " + std::to_string(kMaxEnvironments) + " environments are supported");
    return;
  }
  std::vector<Written> written;
  for (yaml::Node item : node.items()) read_environment(reader, item, rules, written);
  resolve_after(reader, rules, written);
  if (!check_cycles(reader, rules, written)) {
    rank_environments(rules);
    resolve_evidence_from(reader, rules, written);
  }
  check_overlaps(reader, rules, written);
}

void read_default_environment(Reader& reader, const yaml::Node& node, RuleSet& rules) {
  if (auto name = reader.string(node, "defaultEnvironment")) {
    rules.default_environment = rules.environment_named(*name);
    if (!rules.default_environment) reader.error(node, unknown_environment(rules, *name));
  }
}

std::string unknown_environment(const RuleSet& rules, const std::string& name) {
  return "unknown environment \"" + name + "\" (environments: " + environment_names(rules) + ")";
}

EnvironmentSet read_environment_set(Reader& reader, const RuleSet& rules, const yaml::Node& node,
                                    std::string_view what) {
  EnvironmentSet set;
  for (auto& [name, at] : reader.strings(node, what)) {
    if (auto index = rules.environment_named(name)) {
      set.set(*index);
    } else {
      reader.error(at, unknown_environment(rules, name));
    }
  }
  return set;
}

}  // namespace releasegate::policy
