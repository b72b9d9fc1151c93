#include "webhook/lint_command.h"

#include <ostream>

#include "rules/rule_loader.h"
#include "webhook/flags.h"

namespace releasegate::webhook {

int run_lint(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Flags flags({"rules"});
  std::string error;
  if (!flags.parse(args, &error) || !flags.has("rules")) {
    err << "releasegate lint: " << (error.empty() ? "--rules is required" : error) << "\n"
        << "usage: releasegate lint --rules DIR [--rules DIR ...]\n";
    return 2;
  }
  rules::LoadResult result = rules::load_rules(flags.all("rules"));
  for (const rules::LoadError& e : result.errors) out << e.to_string() << "\n";
  if (!result.rules) {
    err << "releasegate lint: " << result.errors.size() << (result.errors.size() == 1 ? " error" : " errors") << "\n";
    return 1;
  }
  std::size_t records = 0;
  for (const auto& [repository, per_env] : result.rules->promotions) {
    for (const auto& versions : per_env) records += versions.versions.size();
  }
  err << "releasegate lint: valid (" << result.rules->environments.size() << " environments, "
      << result.rules->promotions.size() << " promoted repositories, " << records << " promoted versions)\n";
  return 0;
}

}  // namespace releasegate::webhook
