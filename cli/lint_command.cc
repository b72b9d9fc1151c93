#include "cli/lint_command.h"

#include <ostream>

#include "policy/compiler.h"
#include "policy/linker.h"
#include "cli/flags.h"

namespace releasegate::cli {

int run_lint(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Flags flags({"rules", "base"});
  std::string error;
  if (!flags.parse(args, &error) || !flags.has("rules")) {
    err << "releasegate lint: " << (error.empty() ? "--rules is required" : error) << "\n"
        << "usage: releasegate lint --rules DIR [--rules DIR ...] [--base DIR ...]\n";
    return 2;
  }
  policy::LoadResult result = policy::load_rules(flags.all("rules"));
  // With --base (the rules on the target branch), what a pull request
  // newly promotes must have passed the environment before it there.
  if (result.rules && flags.has("base")) {
    policy::LoadResult base = policy::load_rules(flags.all("base"));
    if (!base.rules) {
      for (const policy::LoadError& e : base.errors) out << e.to_string() << "\n";
      err << "releasegate lint: the base rules (--base) are invalid (" << base.errors.size() << " errors)\n";
      return 1;
    }
    result.errors = policy::check_new_promotions(*base.rules, *result.rules, result.from->fragments);
    if (!result.errors.empty()) result.rules = nullptr;
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
  std::size_t versions = result.rules->promotions.version_count() + result.rules->chart_promotions.version_count();
  err << "releasegate lint: valid (" << result.rules->environments.size() << " environments, "
      << result.rules->promotions.size() << " image repositories and " << result.rules->chart_promotions.size()
      << " charts promoted, " << versions << " promoted versions)\n";
  return 0;
}

}  // namespace releasegate::cli
