// `releasegate audit`: the background audit run once against a cluster,
// printed as a table (or JSON): what in the cluster no longer matches what
// Git promoted, and with --inventory, which versions really run in each
// environment.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace releasegate::cli {

// Exit code: 0 when nothing fails, 1 when any object fails or cannot be
// judged (warnings do not fail), 2 for usage errors, invalid rules or an
// unreachable API.
int run_audit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace releasegate::cli
