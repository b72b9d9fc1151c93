#include "rules/rules_edit.h"

#include "rules/rule_loader.h"

namespace releasegate::rules {
namespace {

constexpr std::size_t kErrorsShown = 20;

std::vector<RuleSource> sources_of(const ObjectView& config_map, const std::string& ns) {
  std::vector<RuleSource> sources;
  for (const auto& [key, content] : config_map.data) {
    if (!key.ends_with(".yaml") && !key.ends_with(".yml")) continue;
    sources.push_back({"ConfigMap " + ns + "/" + config_map.name + " key " + key, content});
  }
  return sources;
}

}  // namespace

bool is_rules_config_map_edit(const AdmissionRequest& request) {
  bool config_map = request.kind.group.empty() && request.kind.kind == "ConfigMap";
  bool edit = request.operation == Operation::Create || request.operation == Operation::Update;
  return config_map && edit && request.object && request.object->labels.find(kRulesLabel) == "true";
}

Decision evaluate_rules_edit(const RuleSet& current, const AdmissionRequest& request) {
  Decision decision;
  decision.governance = Governance::Governed;
  RulesEdit edit;
  edit.sources = sources_of(*request.object, request.namespace_);
  for (const RuleSource& source : edit.sources) edit.replaced.merge(document_keys(source));
  // Documents the old version had and the new one dropped are removed too.
  if (request.old_object) {
    for (const RuleSource& source : sources_of(*request.old_object, request.namespace_)) {
      edit.replaced.merge(document_keys(source));
    }
  }
  LoadResult result = compile_rules(current.sources, current.load_options, &edit);
  if (result.rules) return decision;
  std::string message = "this rules edit would make the rule set invalid (" + std::to_string(result.errors.size()) +
                        (result.errors.size() == 1 ? " error" : " errors") + "); fix it and apply again:";
  for (std::size_t i = 0; i < result.errors.size() && i < kErrorsShown; ++i) {
    message += "\n  " + result.errors[i].to_string();
  }
  if (result.errors.size() > kErrorsShown) {
    message += "\n  and " + std::to_string(result.errors.size() - kErrorsShown) + " more (run releasegate lint)";
  }
  decision.violations.push_back({Rule::RulesEdit, current.mode_of(Rule::RulesEdit), std::move(message)});
  return decision;
}

}  // namespace releasegate::rules
