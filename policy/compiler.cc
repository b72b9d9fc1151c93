// Orchestration: each source compiles into a fragment on its own
// (policy/fragment.h), and the fragments are linked into the rule set
// (policy/linker.h).
#include "policy/compiler.h"

#include "policy/fragment.h"
#include "policy/linker.h"

namespace releasegate::policy {

std::string LoadError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": " + message;
  if (!context.empty()) out += " (" + context + ")";
  return out;
}

LoadResult compile_rules(const std::vector<RuleSource>& sources, const LoadOptions& options) {
  std::vector<const RuleSource*> all;
  for (const RuleSource& source : sources) all.push_back(&source);
  std::vector<LinkSource> linked;
  for (auto& fragment : compile_fragments(all)) linked.push_back({std::move(fragment)});
  return link(linked, options);
}

LoadResult compile_edit(const RuleSet& in_force_rules, const CompiledFrom& in_force, const RulesEdit& edit) {
  // The fragments in force linked without errors against these
  // environments: only the edit's need checking.
  LinkCache cache{in_force.environments, {}};
  std::vector<LinkSource> linked;
  for (const auto& fragment : in_force.fragments) {
    linked.push_back({fragment, &edit.replaced});
    cache.checked.emplace(fragment.get(), std::vector<LinkFinding>{});
  }
  std::vector<const RuleSource*> added;
  for (const RuleSource& source : edit.sources) added.push_back(&source);
  std::vector<std::shared_ptr<const Fragment>> edited = compile_fragments(added, 1);
  for (const auto& fragment : edited) linked.push_back({fragment});
  LoadResult result = link(linked, in_force.options, &cache);
  if (!result.rules) return result;
  result.errors = check_new_promotions(in_force_rules, *result.rules, edited);
  if (!result.errors.empty()) result.rules = nullptr, result.from = nullptr;
  return result;
}

}  // namespace releasegate::policy
