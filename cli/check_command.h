// `releasegate check`: the webhook's engine run offline over manifests, for
// CI on pull requests. Prints one decision per object.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace releasegate::cli {

// Exit code: 0 when every object is allowed, 1 when any is denied, 2 for
// usage or input errors (unreadable manifests, invalid rules).
int run_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace releasegate::cli
