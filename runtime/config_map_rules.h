// Rules compiled from ConfigMaps read through the API, one source per
// ConfigMap key, named in every error as
// `ConfigMap releasegate-system/promotion-checkout key checkout.yaml:12:3`.
//
// A broken ConfigMap does not freeze the others, and a stored one does not
// freeze another team's edits. The rule, exactly: starting from the rule
// set in force, the changes since (ConfigMaps added, edited or deleted) are
// tried in order: the policy's ConfigMaps first, then by creation time. A
// change is accepted when the rules compile with it and with every change
// accepted before it; otherwise it is held: an edited ConfigMap stays at
// its content in force, a new one is left out, a deleted one stays in
// force. So what is in force keeps what it holds: a ConfigMap that now
// claims another's repository is held, whatever its name or age, and an
// edit that only removes promotions (which cannot conflict with anything
// in force) is never held because of another ConfigMap. Changes to
// ConfigMaps created in the same second are tried together, each alone,
// then those that compile alone together: if those conflict, all of them
// are held, so a tie is never decided by a name an applier chose. At a
// first compile (a restart) nothing is in force: every ConfigMap is a
// change, so the older of two claiming a repository keeps it; if the
// policy itself does not compile, nothing is in force and the server
// stays not ready. What is in force lives in memory: a restarted
// releasegate has no last good content, and leaves a broken ConfigMap out
// whole until it is fixed. (All changes compiling together cost one link,
// as before; k bad ones among n cost about k log n links.)
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/shared_text.h"
#include "policy/compiler.h"
#include "policy/incremental_compiler.h"

namespace releasegate::runtime {

// A rules ConfigMap as the API holds it.
struct RulesConfigMap {
  std::string namespace_;
  std::string name;
  std::string created;  // metadata.creationTimestamp (RFC 3339, so it sorts as text)
  std::map<std::string, SharedText> data;   // its keys (text held once); only *.yaml and *.yml are rules
  std::vector<std::string> binary_keys;     // binaryData: refused, rules are text a reviewer reads
  bool operator==(const RulesConfigMap&) const = default;
};
// By "namespace/name".
using RulesConfigMaps = std::map<std::string, RulesConfigMap>;

// A ConfigMap whose latest content is not in force, and why.
struct HeldConfigMap {
  std::string config_map;  // namespace/name
  std::vector<policy::LoadError> errors;
};

struct ConfigMapCompile {
  policy::LoadResult result;  // rules set when valid
  // Whether result.rules differ from the rules in force until now (false:
  // the same rules again, nothing to publish).
  bool in_force_changed = false;
  std::vector<HeldConfigMap> held;
};

// Whether the ConfigMap is releasegate's evidence store
// (LoadOptions::evidence_config_map): refused as rules, whatever it holds.
bool is_evidence_store(const RulesConfigMap& config_map, const policy::LoadOptions& options);

// Who a rules ConfigMap's documents say they are in (RuleSource::config_map):
// the bare name in releasegate's own namespace, where --policy-config-map
// names the policy's ConfigMaps, and namespace/name elsewhere. The one
// definition of a source's identity: the rules-edit webhook compares
// documents with it, so that a same-named ConfigMap in another rules
// namespace is another source.
std::string rules_source_owner(const std::string& ns, const std::string& name, const std::string& own_namespace);

// The ConfigMap's rules sources. A ReleasePolicy is accepted only from the
// policy ConfigMaps of `own_namespace` (LoadOptions::policy_config_maps).
std::vector<policy::RuleSource> sources_of(const RulesConfigMap& config_map, const std::string& own_namespace);

class ConfigMapRules {
 public:
  // The ConfigMaps as they are now. Unchanged sources are not compiled
  // again (policy::IncrementalCompiler), so calling it again with the same
  // ConfigMaps costs their hashing and a link.
  ConfigMapCompile compile(RulesConfigMaps now, const policy::LoadOptions& options);

 private:
  struct Settling;
  policy::LoadResult compile_all(const RulesConfigMaps& config_maps, const policy::LoadOptions& options);
  void find_changes(Settling& s) const;
  void settle(Settling& s, std::size_t begin, std::size_t end);
  void settle_group(Settling& s, const std::vector<std::string>& group, std::vector<policy::LoadError> errors);

  RulesConfigMaps in_force_;    // what the rule set in force was compiled from
  bool has_in_force_ = false;
  policy::IncrementalCompiler compiler_;
};

}  // namespace releasegate::runtime
