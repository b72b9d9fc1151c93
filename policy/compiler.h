// Loading rules: YAML documents (ReleasePolicy and Promotion, directly or in
// ConfigMap manifests labelled releasegate.io/rules: "true") are validated
// completely and compiled into an immutable RuleSet. Every error says where:
// file, ConfigMap and key when there is one, line and column.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/rule_set.h"

namespace releasegate::policy {

struct LoadError {
  std::string file;
  std::string context;  // e.g. `ConfigMap flux-system/releasegate-rules, key podinfo.yaml`; may be empty
  int line = 0;         // 1-based; 0 when the error is about the whole file
  int column = 0;       // 1-based
  std::string message;

  // "file:line:col: message (context)"
  std::string to_string() const;
};

// How rule sets are compiled.
struct LoadOptions {
  // The webhook's own namespace and service account are always exempt.
  std::string own_namespace = "releasegate-system";
  std::string own_service_account = "releasegate";
  // The generation the compiled rule set carries (see RuleSet::generation).
  std::uint64_t generation = 0;
  // The only ConfigMaps a ReleasePolicy is accepted from (serve
  // --policy-config-map); every other rules ConfigMap holds Promotions only.
  std::vector<std::string> policy_config_maps{"releasegate-policy"};
  // The ConfigMap of own_namespace that releasegate writes itself (serve
  // --evidence-config-map): never rules, whatever its labels, so that
  // releasegate's own write rights (patch on that one name) cannot write
  // promotions.
  std::string evidence_config_map = "releasegate-evidence";
  // The cluster the rules are compiled for: only the environments it hosts
  // govern its namespaces (Environment::hosted).
  ClusterIdentity cluster;
};

// One rules file (or ConfigMap key) as read: YAML, possibly several documents.
struct RuleSource {
  std::string file;  // a path or another name for messages
  std::string content;
  std::string config_map = {};  // the ConfigMap whose key this is, when known
};

struct Fragment;  // policy/fragment.h

// What a rule set was compiled from, and how: its sources' fragments (no
// source text). Kept beside the rule set (runtime::RuleStore), not in it,
// so that a rules edit arriving at admission can be linked with the rest.
struct CompiledFrom {
  std::vector<std::shared_ptr<const Fragment>> fragments;
  LoadOptions options;
  std::string environments;  // the policy's environment_signature() (policy/linker.h)
};

struct LoadResult {
  std::shared_ptr<const RuleSet> rules;  // null when there are errors
  std::shared_ptr<const CompiledFrom> from;  // set with rules
  std::vector<LoadError> errors;
  // Valid but surely unintended (an environment no namespace can reach):
  // the rules load, `lint` fails.
  std::vector<LoadError> warnings;
};

// A document's identity across edits: its kind and metadata.name.
struct DocumentKey {
  std::string kind;
  std::string name;
  auto operator<=>(const DocumentKey&) const = default;
};

// An edit to a rule set: the documents it replaces (by key) and its own
// sources, e.g. a rules ConfigMap being created or updated.
struct RulesEdit {
  std::set<DocumentKey> replaced;
  std::vector<RuleSource> sources;
};

// Compiles a rule set from in-memory sources, in parallel across the
// cores.
LoadResult compile_rules(const std::vector<RuleSource>& sources, const LoadOptions& options = {});

// The rule set in force with an edit: the documents it replaces left out of
// the fragments in force and the edit's sources added. Only the edit's
// sources are compiled and checked; the rest is linked as it is. A version
// the edit newly promotes must have passed the environment before it in
// `in_force_rules` (policy/linker.h, check_new_promotions).
LoadResult compile_edit(const RuleSet& in_force_rules, const CompiledFrom& in_force, const RulesEdit& edit);

// The keys of the rules documents in a source (ConfigMap manifests are
// looked into); unparseable documents have none.
std::set<DocumentKey> document_keys(const RuleSource& source);

}  // namespace releasegate::policy

// read_rule_sources and load_rules: rules files from directories.
#include "policy/rule_files.h"  // IWYU pragma: export
