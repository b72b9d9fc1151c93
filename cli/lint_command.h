// `releasegate lint`: validates rules directories (and the ConfigMap
// manifests in them) for CI on pull requests.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace releasegate::cli {

// Prints `file:line:col: message` per error on `out`. Exit code: 0 valid,
// 1 invalid, 2 usage error.
int run_lint(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace releasegate::cli
