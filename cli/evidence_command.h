// `releasegate evidence export`: what a cluster has proven, as Evidence
// documents for CI to commit beside the Promotion records (how the
// environments of other clusters learn of it). It lists the cluster's
// workloads and HelmReleases once, judges them as the server's observer
// does, and adds what the observer persisted.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace releasegate::cli {

// Exit code: 0 when written, 1 when a kind could not be listed (nothing is
// written: a partial export would drop evidence), 2 for usage errors,
// invalid rules or an unreachable API.
int run_evidence(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace releasegate::cli
