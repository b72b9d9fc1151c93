// Compiling Promotion documents, internal to the rules compiler: which
// versions of each image repository and chart are promoted to which
// environments, checked against the promotion chain.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/rule_set.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// Where each repository's (or chart's) record was first written
// ("file:line"), to report duplicates across documents.
using RecordLocations = std::map<std::string, std::string>;

// Compiles a Promotion's spec into `rules`; needs the policy's
// environments. Errors go to the reader.
void compile_promotion(Reader& reader, const yaml::Node& spec, RuleSet& rules, RecordLocations& seen);

// Turns one written version into a PromotedVersion, or says why not.
using VersionParser = std::function<std::optional<PromotedVersion>(const std::string& text, std::string* error)>;

// Reads what a record promotes, its `environments` (environment name ->
// list of versions), into `per_env`, with duplicate and promotion-chain
// checks.
void compile_versions(Reader& reader, const RuleSet& rules, const std::string& key, const yaml::Node& environments,
                      const VersionParser& parse, std::vector<EnvironmentVersions>& per_env);

// A version promoted to an environment must have passed the one before it
// (unless that one is `promotion: open`): found there by tag or digest, and
// never under the same tag with another digest. `written` holds where each
// version was written.
void check_promotion_chain(Reader& reader, const RuleSet& rules, const std::string& repository,
                           const std::vector<EnvironmentVersions>& per_env,
                           const std::vector<std::vector<yaml::Node>>& written);

}  // namespace releasegate::policy
