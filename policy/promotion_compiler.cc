#include "policy/promotion_compiler.h"

#include <string_view>
#include <utility>

#include "core/chart_version.h"
#include "core/image_reference.h"
#include "policy/policy_compiler.h"

namespace releasegate::policy {
namespace {

// The versions written for one environment, into `versions`; `written`
// gets where each was written.
void read_environment_versions(Reader& reader, const std::string& key, const std::string& env_name,
                               const yaml::Node& list, const VersionParser& parse, EnvironmentVersions& versions,
                               std::vector<yaml::Node>& written) {
  for (auto& [text, at] : reader.strings(list, "promoted versions")) {
    std::string error;
    std::optional<PromotedVersion> version = parse(text, &error);
    if (!version) {
      reader.error(at, "invalid version \"" + text + "\" for " + key + ": " + error);
      continue;
    }
    std::size_t index = versions.versions.size();
    if (!version->tag.empty() && !versions.by_tag.emplace(version->tag, index).second) {
      reader.error(at, "version " + version->tag + " is listed twice for " + key + " in " + env_name);
      continue;
    }
    if (!version->digest.empty() && !versions.by_digest.emplace(version->digest, index).second) {
      reader.error(at, "digest " + version->digest + " is listed twice for " + key + " in " + env_name);
      continue;
    }
    versions.versions.push_back(std::move(*version));
    written.push_back(at);
  }
}

// The `environments` field of a record, required once the record names
// something valid.
Field environments_field(Reader& reader, const yaml::Node& item, std::string_view what,
                         FieldStep<const yaml::Node&> read) {
  return Field{"environments", std::move(read), false, [&reader, &item, what] {
                 reader.error(item, std::string(what) + ": missing required field \"environments\"");
               }};
}

// A list of records in a Promotion spec (`images` or `charts`).
template <class CompileRecord>
Field record_list(std::string_view field, Reader& reader, CompileRecord compile_record) {
  return Field{field, [&reader, field, compile_record](const yaml::Node& list) {
                 if (!list.is_sequence()) {
                   reader.error(list, "spec." + std::string(field) + " must be a list");
                   return;
                 }
                 for (yaml::Node item : list.items()) compile_record(item);
               }};
}

// A promoted image's repository: its record key, unless invalid or
// already recorded.
bool read_image_repository(Reader& reader, const yaml::Node& item, const yaml::Node& node, RecordLocations& seen,
                           std::string& key) {
  auto repository_text = reader.required_string(node, "promoted image.repository");
  if (!repository_text) return false;
  ImageParseResult repository = parse_repository(*repository_text);
  if (!repository.reference) {
    reader.error(node, "invalid repository \"" + *repository_text + "\": " + repository.error);
    return false;
  }
  key = repository.reference->repository();
  if (auto [it, inserted] = seen.emplace(key, reader.location(item)); !inserted) {
    reader.error(node, "repository " + key + " already has a Promotion record at " + it->second);
    return false;
  }
  return true;
}

void compile_promoted_image(Reader& reader, const yaml::Node& item, RuleSet& rules, RecordLocations& seen) {
  std::string key;
  // A version is a tag, tag@digest or a bare digest: parsed as part of a
  // full reference so the grammar has one implementation.
  auto parse = [&key](const std::string& text, std::string* error) -> std::optional<PromotedVersion> {
    bool digest_only = text.starts_with("sha256:") || text.starts_with("sha512:");
    ImageParseResult parsed = parse_image_reference(key + (digest_only ? "@" : ":") + text);
    if (!parsed.reference) {
      *error = parsed.error;
      return std::nullopt;
    }
    return PromotedVersion{parsed.reference->tag, parsed.reference->digest};
  };
  reader.fields(item, "promoted image", {
      {"repository", [&](const yaml::Node& node) { return read_image_repository(reader, item, node, seen, key); },
       true},
      environments_field(reader, item, "promoted image",
                         [&](const yaml::Node& node) {
                           compile_versions(reader, rules, key, node, parse, rules.promotions[key]);
                         }),
  });
}

// A promoted chart's record key, from its source and chart: Kind/namespace/name,
// as Flux's sourceRef names the source, or the repository URL an Argo CD
// Application names in repoURL. Unless invalid or already recorded.
bool read_chart_key(Reader& reader, const yaml::Node& item, const std::string& source, const std::string& chart,
                    RecordLocations& seen, std::string& key) {
  auto first = source.find('/');
  std::string_view kind = std::string_view(source).substr(0, first);
  auto second = first == std::string::npos ? first : source.find('/', first + 1);
  bool named = source_kind_from_string(kind) || kind == "HelmChart";
  if (named && second != std::string::npos && second + 1 != source.size() && second != first + 1) {
    key = RuleSet::chart_key(kind, source.substr(first + 1, second - first - 1), source.substr(second + 1), chart);
  } else if (!named && (source.find("://") != std::string::npos || kind.find('.') != std::string_view::npos)) {
    key = RuleSet::chart_key(source, chart);
  } else {
    reader.error(item["source"], "source must be Kind/namespace/name (e.g. HelmRepository/flux-system/acme) or "
                                 "a repository URL, not \"" + source + "\"");
    return false;
  }
  if (auto [it, inserted] = seen.emplace(key, reader.location(item)); !inserted) {
    reader.error(item["chart"], "chart " + key + " already has a Promotion record at " + it->second);
    return false;
  }
  return true;
}

void compile_promoted_chart(Reader& reader, const yaml::Node& item, RuleSet& rules, RecordLocations& seen) {
  std::optional<std::string> source, chart;
  std::string key;
  auto parse = [](const std::string& text, std::string* error) -> std::optional<PromotedVersion> {
    if (!is_exact_chart_version(text)) {
      *error = "a promoted chart version is an exact SemVer version, not a range";
      return std::nullopt;
    }
    return PromotedVersion{text, {}};
  };
  reader.fields(item, "promoted chart", {
      {"source", [&](const yaml::Node& node) { return bool(source = reader.required_string(node, "promoted chart.source")); },
       true},
      {"chart", [&](const yaml::Node& node) { return bool(chart = reader.required_string(node, "promoted chart.chart")); },
       true},
      check([&](const yaml::Node&) { return read_chart_key(reader, item, *source, *chart, seen, key); }),
      environments_field(reader, item, "promoted chart",
                         [&](const yaml::Node& node) {
                           compile_versions(reader, rules, key, node, parse, rules.chart_promotions[key]);
                         }),
  });
}

}  // namespace

void check_promotion_chain(Reader& reader, const RuleSet& rules, const std::string& repository,
                           const std::vector<EnvironmentVersions>& per_env,
                           const std::vector<std::vector<yaml::Node>>& written) {
  for (std::size_t env = 1; env < rules.environments.size(); ++env) {
    const Environment& previous = rules.environments[env - 1];
    if (rules.environments[env].promotion_open || previous.promotion_open) continue;
    const EnvironmentVersions& before = per_env[env - 1];
    for (std::size_t i = 0; i < per_env[env].versions.size(); ++i) {
      const PromotedVersion& v = per_env[env].versions[i];
      const std::string& env_name = rules.environments[env].name;
      auto by_tag = v.tag.empty() ? before.by_tag.end() : before.by_tag.find(v.tag);
      if (by_tag != before.by_tag.end()) {
        const std::string& digest_before = before.versions[by_tag->second].digest;
        if (!v.digest.empty() && !digest_before.empty() && digest_before != v.digest) {
          reader.error(written[env][i], repository + ":" + v.tag + " is promoted to " + env_name + " as " + v.digest +
                                            " but to " + previous.name + " as " + digest_before +
                                            "; promote the digest that passed " + previous.name);
        }
        continue;
      }
      if (!v.digest.empty() && before.by_digest.contains(v.digest)) continue;
      reader.error(written[env][i], "version " + v.text() + " of " + repository + " is promoted to " + env_name +
                                        " but not to " + previous.name + "; promote it to " + previous.name +
                                        " first");
    }
  }
}

void compile_versions(Reader& reader, const RuleSet& rules, const std::string& key, const yaml::Node& environments,
                      const VersionParser& parse, std::vector<EnvironmentVersions>& per_env) {
  if (!environments.is_map()) {
    reader.error(environments, "environments must be a map of environment name to promoted versions");
    return;
  }
  std::size_t errors_before = reader.error_count();
  per_env.resize(rules.environments.size());
  // Where each version was written, for the promotion-chain check below.
  std::vector<std::vector<yaml::Node>> written(rules.environments.size());
  for (auto [name, list] : environments.entries()) {
    const std::string& env_name = name.scalar();
    auto env = environment_index(rules, env_name);
    if (!env) {
      reader.error(name, unknown_environment(rules, env_name));
      continue;
    }
    read_environment_versions(reader, key, env_name, list, parse, per_env[*env], written[*env]);
  }
  // A record with errors of its own would only add consequential ones.
  if (reader.error_count() == errors_before) check_promotion_chain(reader, rules, key, per_env, written);
}

void compile_promotion(Reader& reader, const yaml::Node& spec, RuleSet& rules, RecordLocations& seen) {
  reader.fields(spec, "Promotion spec", {
      record_list("images", reader, [&](const yaml::Node& item) { compile_promoted_image(reader, item, rules, seen); }),
      record_list("charts", reader, [&](const yaml::Node& item) { compile_promoted_chart(reader, item, rules, seen); }),
  });
}

}  // namespace releasegate::policy
