// `releasegate serve`: load and watch the rules, start the listeners, serve
// until SIGTERM or SIGINT.
#pragma once

#include <string>
#include <vector>

namespace releasegate::cli {

// Rules are reloaded when their directories change; invalid rules keep the
// server not ready (first load) or keep the last good rule set (reloads).
// Returns the process exit code: 0 after a clean shutdown, 1 when the
// listeners cannot be set up, 2 for usage errors.
int run_serve(const std::vector<std::string>& args);

}  // namespace releasegate::cli
