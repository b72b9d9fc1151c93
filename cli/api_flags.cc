#include "cli/api_flags.h"

#include <cstdlib>
#include <filesystem>

#include "runtime/api_rules.h"

namespace releasegate::cli {

std::set<std::string> with_api_flags(std::set<std::string> flags) {
  flags.insert({"kubeconfig", "context", "rules-namespace"});
  return flags;
}

std::optional<kube::ClientConfig> api_config_from_flags(const Flags& flags, std::string* error) {
  std::string context = flags.get("context").value_or("");
  if (auto path = flags.get("kubeconfig")) return kube::kubeconfig_config(*path, context, error);
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  if (host && *host && !flags.has("context")) return kube::in_cluster_config(error);
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    // The first file of a list: merging kubeconfigs is kubectl's business.
    std::string first(env);
    return kube::kubeconfig_config(first.substr(0, first.find(':')), context, error);
  }
  const char* home = std::getenv("HOME");
  std::filesystem::path fallback = std::filesystem::path(home ? home : "") / ".kube" / "config";
  if (!std::filesystem::exists(fallback)) {
    *error = "not in a pod, and no kubeconfig: give --kubeconfig FILE (or set KUBECONFIG)";
    return std::nullopt;
  }
  return kube::kubeconfig_config(fallback.string(), context, error);
}

std::string own_namespace(const Flags& flags, const kube::ClientConfig* config) {
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns && *ns) return ns;
  if (config && config->origin == "in-cluster" && !config->default_namespace.empty()) return config->default_namespace;
  std::vector<std::string> given = flags.all("rules-namespace");
  return given.empty() ? "releasegate-system" : given.front();
}

std::vector<std::string> rules_namespaces(const Flags& flags, const std::string& own_namespace) {
  std::vector<std::string> namespaces = flags.all("rules-namespace");
  if (namespaces.empty()) namespaces.push_back(own_namespace);
  return namespaces;
}

namespace {

// The rules the webhook serves: its ConfigMaps as they are now, every one
// of them valid (an audit judged by a partial rule set would mislead).
policy::LoadResult rules_from_api(kube::Client& client, const std::vector<std::string>& namespaces,
                                  const policy::LoadOptions& options, std::string* error) {
  std::vector<policy::RuleSource> sources;
  for (const std::string& ns : namespaces) {
    kube::ListOptions list;
    list.label_selector = std::string(runtime::kRulesSelector);
    kube::ListResult listed = client.list(kube::resource_path("", "v1", "configmaps", ns), list, [&](nlohmann::json&& object) {
      runtime::RulesConfigMap config_map = runtime::rules_config_map(std::move(object));
      if (runtime::is_evidence_store(config_map, options)) return;  // never rules (serve reports it)
      for (policy::RuleSource& s : runtime::sources_of(config_map, options.own_namespace)) {
        sources.push_back(std::move(s));
      }
    });
    if (!listed.ok) {
      *error = "listing the rules ConfigMaps in " + ns + ": " + listed.error.describe();
      return {};
    }
  }
  return policy::compile_rules(sources, options);
}

}  // namespace

policy::LoadResult rules_from_flags(const Flags& flags, kube::Client& client, const policy::LoadOptions& options,
                                    std::string* error) {
  if (flags.has("rules")) return policy::load_rules(flags.all("rules"), options);
  return rules_from_api(client, rules_namespaces(flags, options.own_namespace), options, error);
}

}  // namespace releasegate::cli
