// Reading rules files from directories (a mounted ConfigMap volume, or a
// checkout) into sources for compile_rules. Included by policy/compiler.h.
#pragma once

#include <string>
#include <vector>

#include "policy/compiler.h"

namespace releasegate::policy {

struct SourcesRead {
  std::vector<RuleSource> sources;
  std::vector<LoadError> errors;  // unreadable directories or files
};

// Reads every *.yaml / *.yml file (following symlinks, skipping hidden
// entries such as kubelet's `..data`) of each directory, in a stable order.
SourcesRead read_rule_sources(const std::vector<std::string>& directories);

// read_rule_sources, then compile_rules.
LoadResult load_rules(const std::vector<std::string>& directories, const LoadOptions& options = {});

}  // namespace releasegate::policy
