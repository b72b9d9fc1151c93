// `releasegate serve`: load the rules, start the listeners, serve until
// SIGTERM or SIGINT.
#pragma once

#include <string>
#include <vector>

namespace releasegate::webhook {

// Returns the process exit code: 0 after a clean shutdown, 1 when the rules
// or the listeners cannot be set up, 2 for usage errors.
int run_serve(const std::vector<std::string>& args);

}  // namespace releasegate::webhook
