#include "cli/api_flags.h"

#include <cstdlib>
#include <filesystem>

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

}  // namespace releasegate::cli
