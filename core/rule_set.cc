#include "core/rule_set.h"

namespace releasegate {

std::optional<std::size_t> RuleSet::environment_matching(std::string_view ns) const {
  for (std::size_t i = 0; i < environments.size(); ++i) {
    if (environments[i].hosted && environments[i].namespaces.matches(ns)) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> RuleSet::environment_for_namespace(std::string_view ns) const {
  if (auto matched = environment_matching(ns)) return matched;
  return default_environment && environments[*default_environment].hosted ? default_environment : std::nullopt;
}

std::optional<std::size_t> RuleSet::environment_named(std::string_view name) const {
  for (std::size_t i = 0; i < environments.size(); ++i) {
    if (environments[i].name == name) return i;
  }
  return std::nullopt;
}

std::string environments_text(const RuleSet& rules, const std::vector<std::size_t>& environments, bool any) {
  std::string out;
  for (std::size_t e : environments) out += (out.empty() ? "" : ", ") + rules.environments[e].name;
  if (environments.size() < 2) return out;
  return (any ? "any of " : "each of ") + out;
}

std::string predecessors_text(const RuleSet& rules, const Environment& env) {
  return environments_text(rules, env.after, env.after_any);
}

std::string RuleSet::chart_key(std::string_view repository_url, std::string_view chart) {
  return normalize_chart_repository_url(repository_url).append(" ").append(chart);
}

std::string normalize_chart_repository_url(std::string_view url) {
  std::string out = normalize_source_url(url);
  return out.find("://") == std::string::npos ? "oci://" + out : out;
}

std::string normalize_source_url(std::string_view url) {
  std::string out(url);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out.ends_with(".git")) out.resize(out.size() - 4);
  // Scheme and host are case-insensitive; the path is not.
  auto scheme_end = out.find("://");
  std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  std::size_t host_end = out.find('/', host_start);
  if (host_end == std::string::npos) host_end = out.size();
  for (std::size_t i = 0; i < host_end; ++i) {
    if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] - 'A' + 'a');
  }
  return out;
}

}  // namespace releasegate
