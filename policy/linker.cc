#include "policy/linker.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "policy/policy_compiler.h"

namespace releasegate::policy {
namespace {

// "ConfigMap a" or "ConfigMaps a, b".
std::string describe_names(const std::vector<std::string>& names) {
  std::string out = names.size() == 1 ? "ConfigMap " : "ConfigMaps ";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return names.empty() ? "no ConfigMap" : out;
}

bool dropped(const LinkSource& source, std::uint32_t document) {
  const auto& key = source.fragment->documents[document].key;
  return source.replaced && key && source.replaced->contains(*key);
}

using LocalIds = std::vector<std::optional<PromotionTable::EnvironmentId>>;

// The table's id of each of the policy's environments, when it names it.
LocalIds local_ids(const PromotionTable& table, const RuleSet& rules) {
  LocalIds local(rules.environments.size());
  const auto& names = table.environment_names();
  for (std::size_t env = 0; env < rules.environments.size(); ++env) {
    for (std::size_t id = 0; id < names.size(); ++id) {
      if (names[id] == rules.environments[env].name) local[env] = static_cast<PromotionTable::EnvironmentId>(id);
    }
  }
  return local;
}

// Whether `promoted` has the version: by tag (under the same digest when
// both are pinned) or by digest.
bool has_version(const PromotedVersions& promoted, const PromotedVersion& v) {
  if (!v.tag.empty()) {
    if (auto found = promoted.find_tag(v.tag)) return v.digest.empty() || found->digest.empty() || found->digest == v.digest;
  }
  return promoted.has_digest(v.digest);
}

// The environments before `env` in the promotion graph that a version has
// not passed (`passed` says, for each), as a message names them:
// "staging-asia", or "any of staging-europe, staging-us" with afterAny;
// empty when it has passed enough of them. Each is asked once.
template <class Passed>
std::string not_passed(const RuleSet& rules, const Environment& env, Passed&& passed) {
  std::string missing;
  std::size_t count = 0;
  for (std::size_t p : env.after) {
    if (passed(p)) {
      ++count;
    } else {
      missing += (missing.empty() ? "" : ", ") + rules.environments[p].name;
    }
  }
  if (env.after_any ? count > 0 : missing.empty()) return {};
  return env.after_any && env.after.size() > 1 ? "any of " + missing : missing;
}

// The environment and promotion-chain checks of one table's records.
class TableCheck {
 public:
  TableCheck(const Fragment& fragment, const PromotionTable& table, const RuleSet& rules,
             std::vector<LinkFinding>& findings)
      : fragment_(fragment), table_(table), rules_(rules), findings_(findings), local_(local_ids(table, rules)) {}

  void check(std::uint32_t r) {
    const PromotionTable::Record& record = table_.record(r);
    if (record.has_errors) return;
    bool known = true;
    for (const PromotionTable::EnvironmentUse& use : table_.uses(r)) {
      const std::string& name = table_.environment_names()[use.environment];
      if (!rules_.environment_named(name)) {
        add(record, use.at, unknown_environment(rules_, name));
        known = false;
      }
    }
    if (known) check_chain(r);
  }

 private:
  void add(const PromotionTable::Record& record, WrittenAt at, std::string message) {
    findings_.push_back({record.document, fragment_.error_at(record.document, at, std::move(message))});
  }

  // A version promoted to an environment must have passed the ones before
  // it in the promotion graph (each, or any one with afterAny; an open one
  // always counts as passed): found there by tag or digest, and never under
  // the same tag with another digest.
  void check_chain(std::uint32_t r) {
    const PromotionTable::Record& record = table_.record(r);
    std::string_view key = table_.key(r);
    for (std::size_t env = 0; env < rules_.environments.size(); ++env) {
      const Environment& current = rules_.environments[env];
      if (current.promotion_open || current.after.empty() || !local_[env]) continue;
      for (const PromotionTable::Version& stored : table_.versions(r)) {
        if (stored.environment != *local_[env]) continue;
        PromotedVersion v = table_.version(stored);
        std::string before =
            not_passed(rules_, current, [&](std::size_t p) { return passed_one(r, stored, key, v, current, p); });
        if (before.empty()) continue;
        add(record, stored.at, "version " + v.text() + " of " + std::string(key) + " is promoted to " + current.name +
                                   " but not to " + before + "; promote it to " + before + " first");
      }
    }
  }

  // Whether version `v` of `current` has passed environment `p`; reports a
  // tag promoted there with another digest.
  bool passed_one(std::uint32_t r, const PromotionTable::Version& stored, std::string_view key,
                  const PromotedVersion& v, const Environment& current, std::size_t p) {
    const PromotionTable::Record& record = table_.record(r);
    const Environment& previous = rules_.environments[p];
    if (previous.promotion_open) return true;
    if (!local_[p]) return false;
    if (const PromotionTable::Version* before = table_.find_tag(r, *local_[p], v.tag)) {
      std::string_view digest_before = table_.text(before->digest);
      if (!v.digest.empty() && !digest_before.empty() && digest_before != v.digest) {
        add(record, stored.at, std::string(key) + ":" + std::string(v.tag) + " is promoted to " + current.name +
                                   " as " + std::string(v.digest) + " but to " + previous.name + " as " +
                                   std::string(digest_before) + "; promote the digest that passed " + previous.name);
      }
      return true;
    }
    return table_.has_digest(r, *local_[p], v.digest);
  }

  const Fragment& fragment_;
  const PromotionTable& table_;
  const RuleSet& rules_;
  std::vector<LinkFinding>& findings_;
  LocalIds local_;  // policy environment -> table id
};

std::vector<LinkFinding> check_fragment(const Fragment& fragment, const RuleSet& rules) {
  std::vector<LinkFinding> findings;
  for (const auto* table : {fragment.images.get(), fragment.charts.get()}) {
    TableCheck check(fragment, *table, rules, findings);
    for (std::uint32_t r = 0; r < table->size(); ++r) check.check(r);
  }
  return findings;
}

// Indexes a source's records of one table, reporting a key recorded twice.
// `holders` has the fragment of each table already in the index.
void index_records(const LinkSource& source, const std::shared_ptr<const PromotionTable>& table,
                   std::string_view what, const std::vector<std::string>& environments, PromotionIndex& index,
                   std::vector<const Fragment*>& holders, std::vector<LoadError>& errors) {
  const Fragment& fragment = *source.fragment;
  std::uint32_t t = index.add_table(table, environments);
  holders.push_back(&fragment);
  for (std::uint32_t r = 0; r < table->size(); ++r) {
    const PromotionTable::Record& record = table->record(r);
    if (dropped(source, record.document)) continue;
    auto first = index.add_record(t, r);
    if (!first) continue;
    WrittenAt first_at = index.table(first->table).record(first->record).at;
    errors.push_back(fragment.error_at(record.document, record.at,
                                       std::string(what) + " " + std::string(table->key(r)) +
                                           " already has a Promotion record at " +
                                           holders[first->table]->location(first_at)));
  }
}

// check_new_promotions for one table of a fragment.
void check_new_in_table(const Fragment& fragment, const PromotionTable& table, const PromotionIndex& in_force,
                        const RuleSet& base, const RuleSet& next, std::vector<LoadError>& errors) {
  LocalIds local = local_ids(table, next);
  for (std::size_t env = 0; env < next.environments.size(); ++env) {
    const Environment& current = next.environments[env];
    if (current.promotion_open || current.after.empty() || !local[env]) continue;
    auto base_current = base.environment_named(current.name);
    for (std::uint32_t r = 0; r < table.size(); ++r) {
      std::string_view key = table.key(r);
      PromotedVersions listed = base_current ? in_force.find(key, *base_current) : PromotedVersions{};
      for (const PromotionTable::Version& stored : table.versions(r)) {
        if (stored.environment != *local[env]) continue;
        PromotedVersion v = table.version(stored);
        if (has_version(listed, v)) continue;
        std::string before = not_passed(next, current, [&](std::size_t p) {
          const Environment& previous = next.environments[p];
          auto base_previous = base.environment_named(previous.name);
          return previous.promotion_open || (base_previous && has_version(in_force.find(key, *base_previous), v));
        });
        if (before.empty()) continue;
        errors.push_back(fragment.error_at(table.record(r).document, stored.at,
                                           "version " + v.text() + " of " + std::string(key) +
                                               " is newly promoted to " + current.name + " but is not promoted to " +
                                               before + " in the rules in force; promote it to " + before +
                                               " first, in a change of its own"));
      }
    }
  }
}

}  // namespace

std::vector<LoadError> check_new_promotions(const RuleSet& base, const RuleSet& next,
                                            const std::vector<std::shared_ptr<const Fragment>>& fragments) {
  std::vector<LoadError> errors;
  for (const auto& fragment : fragments) {
    check_new_in_table(*fragment, *fragment->images, base.promotions, base, next, errors);
    check_new_in_table(*fragment, *fragment->charts, base.chart_promotions, base, next, errors);
  }
  return errors;
}

std::string environment_signature(const RuleSet& rules) {
  std::string signature;
  // Each name length-prefixed: no name can pass for two.
  for (const Environment& env : rules.environments) {
    signature.append(std::to_string(env.name.size())).append(":").append(env.name);
    signature.append(env.promotion_open ? "1" : "0").append(env.after_any ? "any" : "all");
    for (std::size_t before : env.after) signature.append(",").append(std::to_string(before));
    signature.append(";");
  }
  return signature;
}

// A Promotion (kind and name) is declared once across the rule set: a
// second declaration is an error, never a silent replacement of the first.
void check_documents_declared_once(const std::vector<LinkSource>& sources, std::vector<LoadError>& errors) {
  std::unordered_map<std::string, std::pair<const Fragment*, WrittenAt>> declared;
  for (const LinkSource& source : sources) {
    const Fragment& fragment = *source.fragment;
    for (std::uint32_t d = 0; d < fragment.documents.size(); ++d) {
      const Fragment::Document& doc = fragment.documents[d];
      if (!doc.key || doc.key->kind == "ReleasePolicy" || dropped(source, d)) continue;  // one policy: checked below
      auto [first, inserted] = declared.try_emplace(doc.key->kind + "/" + doc.key->name, &fragment, doc.at);
      if (inserted) continue;
      errors.push_back(fragment.error_at(d, doc.at, doc.key->kind + " " + doc.key->name + " is already declared at " +
                                                        first->second.first->location(first->second.second) +
                                                        "; each rules document is declared once, in one ConfigMap"));
    }
  }
}

namespace {

// The one ReleasePolicy of the sources, with an error for each other one
// and each one outside the policy's ConfigMaps; null when there is none.
const Fragment::Policy* find_policy(const std::vector<LinkSource>& sources, const LoadOptions& options,
                                    std::vector<LoadError>& errors) {
  const Fragment* policy_fragment = nullptr;
  const Fragment::Policy* policy = nullptr;
  const auto& allowed = options.policy_config_maps;
  for (const LinkSource& source : sources) {
    const Fragment& fragment = *source.fragment;
    for (const Fragment::Policy& p : fragment.policies) {
      if (dropped(source, p.document)) continue;
      const std::string& config_map = fragment.documents[p.document].config_map;
      if (!config_map.empty() && std::find(allowed.begin(), allowed.end(), config_map) == allowed.end()) {
        errors.push_back(fragment.error_at(p.document, p.at,
                                           "ConfigMap " + config_map + " holds a ReleasePolicy, which only " +
                                               describe_names(allowed) +
                                               " may hold (serve --policy-config-map); other rules ConfigMaps "
                                               "hold Promotion records only"));
        continue;
      }
      if (!policy) {
        policy_fragment = &fragment;
        policy = &p;
        continue;
      }
      errors.push_back(fragment.error_at(p.document, p.at, "a second ReleasePolicy (the first is at " +
                                                               policy_fragment->location(policy->at) +
                                                               "); a rule set has exactly one"));
    }
  }
  return policy;
}

// A source's Evidence records into `rules`, each for an environment of the
// policy (hosted here or not: evidence comes from other clusters), and
// each signed by a key the policy trusts for its cluster and environment:
// one that is not is an error, so that lint, check and the rules-edit
// webhook refuse it and say why.
void index_evidence(const LinkSource& source, RuleSet& rules, std::vector<LoadError>& errors) {
  const Fragment& fragment = *source.fragment;
  EvidenceVerifier verifier(rules.evidence_trust);
  for (const WrittenEvidence& written : fragment.evidence) {
    if (dropped(source, written.document)) continue;
    if (!rules.environment_named(written.record.environment)) {
      errors.push_back(fragment.error_at(written.document, written.at,
                                         "Evidence for " + unknown_environment(rules, written.record.environment)));
      continue;
    }
    EvidenceVerifier::Verdict verdict = verifier.verify(written);
    if (verdict.report) errors.push_back(fragment.error_at(written.document, written.at, "Evidence not trusted: " + *verdict.report));
    if (verdict.trusted) rules.evidence.add(written.record);
  }
}

// Indexes every record into `rules` and runs the environment and chain
// checks of each fragment (kept in the cache when there is one).
void index_and_check(const std::vector<LinkSource>& sources, RuleSet& rules, LinkCache* cache,
                     std::vector<LoadError>& errors) {
  std::vector<std::string> environments;
  for (const Environment& env : rules.environments) environments.push_back(env.name);
  std::size_t images = 0, charts = 0;
  for (const LinkSource& source : sources) {
    images += source.fragment->images->size();
    charts += source.fragment->charts->size();
  }
  rules.promotions.reserve(images);
  rules.chart_promotions.reserve(charts);
  std::vector<const Fragment*> image_fragments, chart_fragments;
  for (const LinkSource& source : sources) {
    const Fragment& fragment = *source.fragment;
    index_records(source, fragment.images, "repository", environments, rules.promotions, image_fragments, errors);
    index_records(source, fragment.charts, "chart", environments, rules.chart_promotions, chart_fragments, errors);
    std::vector<LinkFinding> checked;
    const std::vector<LinkFinding>* findings = &checked;
    if (cache) {
      auto it = cache->checked.find(&fragment);
      if (it == cache->checked.end()) it = cache->checked.emplace(&fragment, check_fragment(fragment, rules)).first;
      findings = &it->second;
    } else {
      checked = check_fragment(fragment, rules);
    }
    for (const LinkFinding& finding : *findings) {
      if (!dropped(source, finding.document)) errors.push_back(finding.error);
    }
    index_evidence(source, rules, errors);
  }
}

}  // namespace

LoadResult link(const std::vector<LinkSource>& sources, const LoadOptions& options, LinkCache* cache) {
  LoadResult result;
  std::vector<LoadError>& errors = result.errors;
  for (const LinkSource& source : sources) {
    const Fragment& fragment = *source.fragment;
    errors.insert(errors.end(), fragment.errors.begin(), fragment.errors.end());
    result.warnings.insert(result.warnings.end(), fragment.warnings.begin(), fragment.warnings.end());
  }
  const Fragment::Policy* policy = find_policy(sources, options, errors);
  check_documents_declared_once(sources, errors);
  if (!policy) {
    // A policy document with errors of its own was already reported.
    if (errors.empty()) {
      errors.push_back({sources.empty() ? "<rules>" : sources.front().fragment->source, {}, 0, 0,
                        "no ReleasePolicy document found; a rule set has exactly one"});
    }
    return result;
  }
  auto rules = std::make_shared<RuleSet>(*policy->rules);
  std::string signature = environment_signature(*rules);
  if (cache && cache->environments != signature) *cache = LinkCache{signature, {}};
  index_and_check(sources, *rules, cache, errors);
  if (!errors.empty()) return result;
  add_default_exemptions(*rules, options);
  for (Environment& env : rules->environments) env.hosted = !env.clusters || env.clusters->matches(options.cluster);
  rules->generation = options.generation;
  auto from = std::make_shared<CompiledFrom>();
  from->options = options;
  from->environments = std::move(signature);
  for (const LinkSource& source : sources) from->fragments.push_back(source.fragment);
  result.rules = std::move(rules);
  result.from = std::move(from);
  return result;
}

}  // namespace releasegate::policy
