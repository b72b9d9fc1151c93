#include "cli/lint_command.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/cluster_flags.h"
#include "cli/flags.h"
#include "engine/evidence_requirement.h"
#include "policy/compiler.h"
#include "policy/fleet.h"
#include "policy/linker.h"

namespace releasegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: releasegate lint --rules DIR [--rules DIR ...] [--base DIR ...] [--fleet FILE]\n"
    "                        [--cluster-name NAME] [--cluster-label KEY=VALUE ...] [--cluster-file FILE]\n"
    "                        [--cluster-hosts-none]\n";

// With --base (the rules on the target branch), what a pull request newly
// promotes must have passed the environments before it there. False when
// the base itself is invalid.
bool check_base(const Flags& flags, const policy::LoadOptions& options, policy::LoadResult& result, std::ostream& out,
                std::ostream& err, std::shared_ptr<const RuleSet>& base_rules) {
  policy::LoadResult base = policy::load_rules(flags.all("base"), options);
  base_rules = base.rules;
  if (!base.rules) {
    for (const policy::LoadError& e : base.errors) out << e.to_string() << "\n";
    err << "releasegate lint: the base rules (--base) are invalid (" << base.errors.size() << " errors)\n";
    return false;
  }
  result.errors = policy::check_new_promotions(*base.rules, *result.rules, result.from->fragments);
  if (!result.errors.empty()) result.rules = nullptr;
  return true;
}

// Versions newly promoted to an environment that requires evidence (all
// of them without --base) need Evidence records in the rules: the
// pull-request side of the admission rule. Errors are added to `result`.
void check_evidence(const std::shared_ptr<const RuleSet>& base, policy::LoadResult& result) {
  for (std::string& message : engine::promotions_without_evidence(*result.rules, base.get(), wall_clock())) {
    result.errors.push_back({"<rules>", {}, 0, 0, "evidence: " + std::move(message) +
                                                      "; commit its Evidence records (releasegate evidence export) first"});
  }
  if (!result.errors.empty()) result.rules = nullptr;
}

// With --fleet, every cluster of the file resolves to the environments it
// should; prints what each hosts. Errors are added to `result`.
void check_fleet_file(const std::string& file, policy::LoadResult& result, std::ostream& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    result.errors.push_back({file, {}, 0, 0, "cannot read the fleet file"});
    result.rules = nullptr;
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  policy::FleetFile fleet = policy::read_fleet_file({file, text.str()});
  std::vector<policy::LoadError> errors = std::move(fleet.errors);
  if (errors.empty()) {
    for (const std::string& line : policy::describe_fleet(*result.rules, fleet)) out << "cluster " << line << "\n";
    errors = policy::check_fleet(*result.rules, fleet, file);
  }
  if (errors.empty()) return;
  result.errors = std::move(errors);
  result.rules = nullptr;
}

std::string hosted_text(const RuleSet& rules) {
  std::string out;
  for (const Environment& env : rules.environments) {
    if (env.hosted) out += (out.empty() ? "" : ", ") + env.name;
  }
  return out.empty() ? "no environment" : out;
}

}  // namespace

int run_lint(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Flags flags(with_cluster_flags({"rules", "base", "fleet"}), with_cluster_switches());
  std::string error;
  std::optional<ClusterIdentity> cluster;
  if (flags.parse(args, &error) && !flags.has("rules")) error = "--rules is required";
  if (error.empty()) cluster = cluster_from_flags(flags, &error);
  if (!error.empty()) {
    err << "releasegate lint: " << error << "\n" << kUsage;
    return 2;
  }
  policy::LoadOptions options;
  options.cluster = *cluster;
  policy::LoadResult result = policy::load_rules(flags.all("rules"), options);
  std::shared_ptr<const RuleSet> base;
  if (result.rules && flags.has("base") && !check_base(flags, options, result, out, err, base)) return 1;
  if (result.rules) check_evidence(base, result);
  if (result.rules && flags.has("fleet")) check_fleet_file(*flags.get("fleet"), result, out);
  // Rules that select clusters are linted for a cluster, or for a fleet:
  // without either, every cluster-selecting environment looks ungoverned.
  if (result.rules && !flags.has("fleet")) {
    if (auto why = policy::unhosted_cluster(*result.rules, *cluster)) {
      result.errors.push_back({"<cluster>", {}, 0, 0, *why + ", or --fleet FILE to lint for every cluster of the fleet"});
      result.rules = nullptr;
    }
  }
  for (const policy::LoadError& e : result.errors) out << e.to_string() << "\n";
  for (const policy::LoadError& w : result.warnings) out << w.to_string() << " (warning)\n";
  if (!result.rules) {
    err << "releasegate lint: " << result.errors.size() << (result.errors.size() == 1 ? " error" : " errors") << "\n";
    return 1;
  }
  if (!result.warnings.empty()) {
    err << "releasegate lint: " << result.warnings.size() << (result.warnings.size() == 1 ? " warning" : " warnings")
        << " (the rules load, but do not do what they say)\n";
    return 1;
  }
  if (cluster->configured()) out << "cluster " << cluster->describe() << ": " << hosted_text(*result.rules) << "\n";
  std::size_t versions = result.rules->promotions.version_count() + result.rules->chart_promotions.version_count();
  err << "releasegate lint: valid (" << result.rules->environments.size() << " environments, "
      << result.rules->promotions.size() << " image repositories and " << result.rules->chart_promotions.size()
      << " charts promoted, " << versions << " promoted versions)\n";
  return 0;
}

}  // namespace releasegate::cli
