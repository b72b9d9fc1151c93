#include "cli/check_command.h"

#include <fstream>
#include <map>
#include <sstream>
#include <ostream>
#include <tuple>

#include "admission/object_review.h"
#include "admission/verdict.h"
#include "cli/cluster_flags.h"
#include "cli/flags.h"
#include "cli/manifest.h"
#include "engine/engine.h"
#include "policy/compiler.h"
#include "policy/fleet.h"
#include "runtime/rules_edit.h"

namespace releasegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: releasegate check --rules DIR [--rules DIR ...] -f MANIFEST.yaml [-f ...] --user NAME\n"
    "                         [--group G ...] [--namespace NS] [--operation CREATE|UPDATE|DELETE]\n"
    "                         [--old OLD.yaml ...] [--base DIR ...] [--output text|json]\n"
    "                         [--cluster-name NAME] [--cluster-label KEY=VALUE ...] [--cluster-file FILE]\n"
    "                         [--cluster-hosts-none] [--fleet FILE]\n";

using nlohmann::json;
using ObjectKey = std::tuple<std::string, std::string, std::string>;  // kind, namespace, name

struct CheckConfig {
  std::vector<std::string> rules_directories;
  // The rules in force (the target branch): rules ConfigMap edits are
  // validated against them, as the webhook validates against its own.
  std::vector<std::string> base_directories;
  std::vector<std::string> files;
  std::vector<std::string> old_files;
  std::string user;
  std::vector<std::string> groups;
  std::string namespace_;  // fills in manifests without one, as `kubectl apply -n`
  std::string operation = "CREATE";
  bool json_output = false;
  ClusterIdentity cluster;  // decide as this cluster's releasegate would
  // Or as every cluster of this fleet file would (policy/fleet.h), one
  // verdict per cluster and manifest.
  std::optional<std::string> fleet_file;
};

std::optional<CheckConfig> parse_check_flags(const std::vector<std::string>& args, std::string* error) {
  Flags flags(with_cluster_flags(
                  {"rules", "f", "filename", "user", "group", "namespace", "operation", "old", "output", "base", "fleet"}),
              with_cluster_switches());
  if (!flags.parse(args, error)) return std::nullopt;
  auto usage_error = [error](std::string message) -> std::optional<CheckConfig> {
    *error = std::move(message);
    return std::nullopt;
  };
  CheckConfig config;
  config.files = flags.all("f");
  for (const std::string& f : flags.all("filename")) config.files.push_back(f);
  if (!flags.has("rules")) return usage_error("--rules is required");
  if (config.files.empty()) return usage_error("at least one -f MANIFEST is required");
  if (!flags.has("user")) return usage_error("--user is required (the identity that would apply the manifests)");
  std::string output = flags.get("output").value_or("text");
  if (output != "text" && output != "json") return usage_error("--output must be text or json");
  config.json_output = output == "json";
  config.operation = flags.get("operation").value_or("CREATE");
  if (config.operation != "CREATE" && config.operation != "UPDATE" && config.operation != "DELETE") {
    return usage_error("--operation must be CREATE, UPDATE or DELETE");
  }
  config.rules_directories = flags.all("rules");
  config.base_directories = flags.all("base");
  config.old_files = flags.all("old");
  config.user = *flags.get("user");
  config.groups = flags.all("group");
  config.namespace_ = flags.get("namespace").value_or("");
  auto cluster = cluster_from_flags(flags, error);
  if (!cluster) return std::nullopt;
  config.cluster = std::move(*cluster);
  config.fleet_file = flags.get("fleet");
  if (config.fleet_file && config.cluster.configured()) {
    return usage_error("--fleet decides as every cluster of the fleet; give it or a cluster identity, not both");
  }
  return config;
}

// The clusters to decide as: the fleet file's, or the one the flags give.
bool clusters_to_judge(const CheckConfig& config, std::vector<ClusterIdentity>& clusters, std::ostream& err) {
  if (!config.fleet_file) {
    clusters.push_back(config.cluster);
    return true;
  }
  std::ifstream in(*config.fleet_file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  policy::FleetFile fleet = policy::read_fleet_file({*config.fleet_file, text.str()});
  if (!in) fleet.errors.push_back({*config.fleet_file, {}, 0, 0, "cannot read the fleet file"});
  for (const policy::LoadError& e : fleet.errors) err << e.to_string() << "\n";
  if (fleet.errors.empty() && fleet.clusters.empty()) err << *config.fleet_file << ": the fleet names no cluster\n";
  for (policy::FleetCluster& cluster : fleet.clusters) clusters.push_back(std::move(cluster.identity));
  return fleet.errors.empty() && !clusters.empty();
}

using admission::metadata_field;
using admission::string_field;

std::string where(const Manifest& m) { return m.file + ":" + std::to_string(m.line); }

// An object as the apiserver would store it: the namespace the request
// names is filled in when the manifest has none (and must agree when it has one).
bool place(Manifest& m, const std::string& flag_namespace, std::string* error) {
  std::string written = metadata_field(m.object, "namespace");
  if (!written.empty() && !flag_namespace.empty() && written != flag_namespace) {
    *error = where(m) + ": the manifest's namespace " + written + " does not match --namespace " + flag_namespace;
    return false;
  }
  if (written.empty() && !flag_namespace.empty() && m.object["metadata"].is_object()) {
    m.object["metadata"]["namespace"] = flag_namespace;
  }
  return true;
}

ObjectKey key_of(const Manifest& m) {
  return {string_field(m.object, "kind"), metadata_field(m.object, "namespace"), metadata_field(m.object, "name")};
}

// The AdmissionReview the apiserver would send for this manifest.
std::optional<admission::AdmissionReview> review_of(const Manifest& m, const Manifest* old, const CheckConfig& config,
                                                    std::string* error) {
  admission::ReviewParseResult parsed = admission::review_of_object(
      m.object, {config.operation, config.user, config.groups, old ? &old->object : nullptr});
  if (!parsed.review) *error = where(m) + ": " + parsed.error;
  return std::move(parsed.review);
}

// `cluster`: the fleet cluster decided as, empty without --fleet.
json json_result(const Manifest& m, const AdmissionRequest& r, const Decision& decision, admission::Outcome outcome,
                 const std::string& cluster) {
  json violations = json::array();
  for (const Violation& v : decision.violations) {
    violations.push_back({{"rule", to_string(v.rule)}, {"mode", to_string(v.mode)}, {"message", v.message}});
  }
  json result = {{"file", m.file},       {"line", m.line},     {"kind", r.kind.kind},
                 {"namespace", r.namespace_}, {"name", r.name}, {"environment", decision.environment},
                 {"decision", admission::to_string(outcome)}, {"violations", std::move(violations)},
                 {"violationsLeftOut", decision.violations_left_out}};
  if (!cluster.empty()) result["cluster"] = cluster;
  return result;
}

void print_text(std::ostream& out, const Manifest& m, const AdmissionRequest& r, const Decision& decision,
                admission::Outcome outcome, const std::string& cluster) {
  if (!cluster.empty()) out << "cluster " << cluster << ": ";
  out << admission::to_string(outcome) << ": " << describe(r);
  if (!decision.environment.empty()) out << " (environment " << decision.environment << ")";
  out << "  [" << where(m) << "]\n";
  if (decision.break_glass) out << "  break-glass: " << *decision.break_glass << "\n";
  if (decision.allowed_drift) out << "  out-of-band, but only allowed drift changed\n";
  for (const Violation& v : decision.violations) {
    out << "  " << to_string(v.mode) << " [" << to_string(v.rule) << "] " << v.message << "\n";
  }
  if (decision.violations_left_out) out << "  and " << decision.violations_left_out << " more violations\n";
}

bool read_all(const std::vector<std::string>& paths, const std::string& flag_namespace, std::vector<Manifest>& into,
              std::string* error) {
  for (const std::string& path : paths) {
    ManifestReadResult read = read_manifests(path);
    if (!read.error.empty()) {
      *error = read.error;
      return false;
    }
    for (Manifest& m : read.manifests) {
      if (!place(m, flag_namespace, error)) return false;
      into.push_back(std::move(m));
    }
  }
  return true;
}

// The rules, and with --base the rules in force (else the same);
// nullopt, after saying why, when either is invalid.
std::optional<std::pair<policy::LoadResult, policy::LoadResult>> load_check_rules(const CheckConfig& config,
                                                                                  const ClusterIdentity& cluster,
                                                                                  std::ostream& err) {
  policy::LoadOptions options;
  options.cluster = cluster;
  auto load = [&](const std::vector<std::string>& directories, const char* what) -> std::optional<policy::LoadResult> {
    policy::LoadResult result = policy::load_rules(directories, options);
    if (result.rules) return result;
    for (const policy::LoadError& e : result.errors) err << e.to_string() << "\n";
    err << "releasegate check: " << what << " invalid (" << result.errors.size() << " errors)\n";
    return std::nullopt;
  };
  std::optional<policy::LoadResult> loaded = load(config.rules_directories, "the rules are");
  if (!loaded) return std::nullopt;
  if (config.base_directories.empty()) return std::pair{*loaded, *loaded};
  std::optional<policy::LoadResult> in_force = load(config.base_directories, "the base rules (--base) are");
  if (!in_force) return std::nullopt;
  return std::pair{std::move(*loaded), std::move(*in_force)};
}

using Reviews = std::vector<std::pair<const Manifest*, admission::AdmissionReview>>;

// One review per manifest, with its --old manifest; false, after saying why, on an error.
bool build_reviews(const CheckConfig& config, const std::vector<Manifest>& manifests,
                   const std::vector<Manifest>& old_manifests, Reviews& reviews, std::ostream& err) {
  std::map<ObjectKey, const Manifest*> old_by_key;
  for (const Manifest& m : old_manifests) old_by_key[key_of(m)] = &m;
  std::string error;
  for (const Manifest& m : manifests) {
    auto old = old_by_key.find(key_of(m));
    if (config.operation == "UPDATE" && !old_manifests.empty() && old == old_by_key.end()) {
      auto [kind, ns, name] = key_of(m);
      err << where(m) << ": no --old manifest for " << kind << " " << ns << "/" << name << "\n";
      return false;
    }
    auto review = review_of(m, old == old_by_key.end() ? nullptr : old->second, config, &error);
    if (!review) {
      err << error << "\n";
      return false;
    }
    reviews.emplace_back(&m, std::move(*review));
  }
  return true;
}

// Decides every review as `cluster`'s releasegate would; false, after
// saying why, when the rules are invalid or would leave the cluster
// ungoverned. `label` names the cluster in each verdict (with --fleet).
bool judge_as(const CheckConfig& config, const ClusterIdentity& cluster, const std::string& label,
              const Reviews& reviews, std::ostream& out, std::ostream& err, json& results, bool& any_denied) {
  auto rules = load_check_rules(config, cluster, err);
  if (!rules) return false;
  const auto& [loaded, in_force] = *rules;
  // A fleet file names its clusters; a cluster outside every environment
  // is one the fleet says hosts none. Without one, a missing identity
  // would judge a fleet's namespaces as ungoverned: refused, as serve is
  // not ready.
  if (!config.fleet_file) {
    if (auto why = policy::unhosted_cluster(*loaded.rules, cluster)) {
      err << "releasegate check: " << *why << ", or --fleet FILE to decide as every cluster of the fleet\n";
      return false;
    }
  }
  for (const auto& [manifest, review] : reviews) {
    // As the webhook decides: a rules ConfigMap edit is linked with the
    // rules in force.
    Decision decision = runtime::is_rules_config_map_edit(review.request)
                            ? runtime::validate_rules_edit({in_force.rules, in_force.from}, review.request)
                            : engine::evaluate(*loaded.rules, review.request);
    admission::Outcome outcome = admission::decide(decision);
    any_denied = any_denied || outcome == admission::Outcome::Deny;
    if (config.json_output) {
      results.push_back(json_result(*manifest, review.request, decision, outcome, label));
    } else {
      print_text(out, *manifest, review.request, decision, outcome, label);
    }
  }
  return true;
}

}  // namespace

int run_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string error;
  std::optional<CheckConfig> config = parse_check_flags(args, &error);
  if (!config) {
    err << "releasegate check: " << error << "\n" << kUsage;
    return 2;
  }
  std::vector<ClusterIdentity> clusters;
  if (!clusters_to_judge(*config, clusters, err)) return 2;
  std::vector<Manifest> manifests, old_manifests;
  if (!read_all(config->files, config->namespace_, manifests, &error) ||
      !read_all(config->old_files, config->namespace_, old_manifests, &error)) {
    err << error << "\n";
    return 2;
  }
  Reviews reviews;
  if (!build_reviews(*config, manifests, old_manifests, reviews, err)) return 2;

  bool any_denied = false;
  json results = json::array();
  for (const ClusterIdentity& cluster : clusters) {
    std::string label = config->fleet_file ? cluster.describe() : "";
    if (!judge_as(*config, cluster, label, reviews, out, err, results, any_denied)) return 2;
  }
  if (config->json_output) out << results.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  return any_denied ? 1 : 0;
}

}  // namespace releasegate::cli
