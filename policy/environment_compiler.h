// Compiling a ReleasePolicy's environments: namespaces and the clusters
// that host them, promotion modes, the promotion graph (`after`,
// `afterAny`), and the checks across environments (a namespace of a
// cluster in two environments, a cycle in the graph). Internal to the
// rules compiler; the environment helpers are shared with the rest of it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/rule_set.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// spec.environments, then spec.defaultEnvironment.
void read_environments(Reader& reader, const yaml::Node& node, RuleSet& rules);
void read_default_environment(Reader& reader, const yaml::Node& node, RuleSet& rules);

// "unknown environment \"<name>\" (environments: dev, staging, prod)".
std::string unknown_environment(const RuleSet& rules, const std::string& name);

// A list of environment names (each must be defined), as a set.
EnvironmentSet read_environment_set(Reader& reader, const RuleSet& rules, const yaml::Node& node,
                                    std::string_view what);

}  // namespace releasegate::policy
