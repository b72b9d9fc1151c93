// Compiling a ReleasePolicy spec, internal to the rules compiler; with the
// environment helpers the Promotion compiler shares.
#pragma once

#include "policy/yaml_tree.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/rule_set.h"
#include "policy/compiler.h"
#include "policy/yaml_reader.h"

namespace releasegate::policy {

// The index in rules.environments of the environment of that name.
std::optional<std::size_t> environment_index(const RuleSet& rules, std::string_view name);

// "unknown environment \"<name>\" (environments: dev, staging, prod)".
std::string unknown_environment(const RuleSet& rules, const std::string& name);

// A list of environment names (each must be defined), as a set.
EnvironmentSet read_environment_set(Reader& reader, const RuleSet& rules, const yaml::Node& node,
                                    std::string_view what);

// Compiles a ReleasePolicy's spec into `rules`; errors go to the reader.
void compile_policy(Reader& reader, const yaml::Node& spec, RuleSet& rules);

// kube-system, the nodes, and the webhook's own namespace and service
// account are always exempt.
void add_default_exemptions(RuleSet& rules, const LoadOptions& options);

}  // namespace releasegate::policy
