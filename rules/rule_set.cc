#include "rules/rule_set.h"

namespace releasegate::rules {

std::string PromotedVersion::text() const {
  if (digest.empty()) return tag;
  if (tag.empty()) return digest;
  return tag + "@" + digest;
}

std::optional<std::size_t> RuleSet::environment_for_namespace(std::string_view ns) const {
  for (std::size_t i = 0; i < environments.size(); ++i) {
    if (environments[i].namespaces.matches(ns)) return i;
  }
  return default_environment;
}

}  // namespace releasegate::rules
