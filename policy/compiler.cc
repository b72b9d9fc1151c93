#include "policy/compiler.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <sstream>

#include "core/chart_version.h"
#include "core/marks.h"
#include "core/image_reference.h"

namespace releasegate::policy {
namespace {

constexpr std::string_view kApiVersion = "releasegate.io/v1alpha1";

// Where a YAML document's text sits in its file. Documents embedded in a
// ConfigMap's literal block (`key: |`) are shifted by the block's position
// so that errors point at the line a human edits.
struct Origin {
  std::string file;
  std::string context;
  int line_offset = 0;
  int column_offset = 0;
};

struct Document {
  Origin origin;
  YAML::Node node;
};

// Collects errors for one document and reads its typed fields. Every read
// checks the YAML shape first: yaml-cpp throws on conversions, and a rules
// typo must become an error with a location, never an exception.
class Reader {
 public:
  Reader(const Origin& origin, std::vector<LoadError>& errors) : origin_(origin), errors_(errors) {}

  void error(const YAML::Mark& mark, std::string message) {
    int line = mark.line < 0 ? 0 : mark.line + 1 + origin_.line_offset;
    int column = mark.column < 0 ? 0 : mark.column + 1 + origin_.column_offset;
    errors_.push_back({origin_.file, origin_.context, line, column, std::move(message)});
  }
  void error(const YAML::Node& at, std::string message) { error(at.Mark(), std::move(message)); }
  std::size_t error_count() const { return errors_.size(); }

  // True when `node` is a map whose keys are all in `allowed`; reports the
  // unknown ones (typos must never be silently ignored).
  bool map(const YAML::Node& node, std::string_view what, std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      error(node, std::string(what) + " must be a map");
      return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        error(it->first, std::string(what) + ": keys must be strings");
        continue;
      }
      const std::string& key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string known;
        for (std::string_view k : allowed) known += (known.empty() ? "" : ", ") + std::string(k);
        error(it->first, "unknown field \"" + key + "\" in " + std::string(what) + " (known fields: " + known + ")");
      }
    }
    return true;
  }

  std::optional<std::string> string(const YAML::Node& node, std::string_view what) {
    if (!node.IsScalar()) {
      error(node, std::string(what) + " must be a string");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<std::string> required_string(const YAML::Node& parent, const char* key, std::string_view what) {
    YAML::Node node = parent[key];
    if (!node) {
      error(parent, std::string(what) + ": missing required field \"" + key + "\"");
      return std::nullopt;
    }
    auto value = string(node, std::string(what) + "." + key);
    if (value && value->empty()) {
      error(node, std::string(what) + "." + key + " must not be empty");
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> boolean(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar() && node.Tag() != "!") {
      if (node.Scalar() == "true") return true;
      if (node.Scalar() == "false") return false;
    }
    error(node, std::string(what) + " must be true or false");
    return std::nullopt;
  }

  // A list of strings; returns each with its node for located errors.
  std::vector<std::pair<std::string, YAML::Node>> strings(const YAML::Node& node, std::string_view what) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (!node.IsSequence()) {
      error(node, std::string(what) + " must be a list of strings");
      return out;
    }
    for (const YAML::Node& item : node) {
      if (auto s = string(item, std::string(what) + " item")) out.emplace_back(*s, item);
    }
    return out;
  }

  std::optional<Pattern> pattern(const std::string& text, const YAML::Node& at, std::string_view what) {
    Pattern::Compiled compiled = Pattern::compile(text);
    if (!compiled.pattern) error(at, std::string(what) + " \"" + text + "\": " + compiled.error);
    return std::move(compiled.pattern);
  }

  void patterns(const YAML::Node& node, std::string_view what, PatternList& into) {
    for (auto& [text, at] : strings(node, what)) {
      if (auto p = pattern(text, at, what)) into.add(std::move(*p));
    }
  }

 private:
  const Origin& origin_;
  std::vector<LoadError>& errors_;
};

std::string location_of(const Origin& origin, const YAML::Node& node) {
  return origin.file + ":" + std::to_string(node.Mark().line + 1 + origin.line_offset);
}

// ---- Splitting sources into documents --------------------------------------

void parse_documents(const Origin& origin, const std::string& content, std::vector<Document>& out,
                     std::vector<LoadError>& errors);

// The column where a literal block's content starts: its first non-blank
// line's indentation in the file.
int block_indent(const std::string& content, int block_start_line) {
  std::istringstream in(content);
  std::string line;
  for (int i = 0; std::getline(in, line); ++i) {
    if (i < block_start_line) continue;
    auto first = line.find_first_not_of(' ');
    if (first != std::string::npos) return static_cast<int>(first);
  }
  return 0;
}

void expand_config_map(const Document& doc, const std::string& file_content, std::vector<Document>& out,
                       std::vector<LoadError>& errors) {
  Reader reader(doc.origin, errors);
  const YAML::Node& node = doc.node;
  YAML::Node metadata = node["metadata"];
  std::string name = metadata && metadata["name"] && metadata["name"].IsScalar() ? metadata["name"].Scalar() : "";
  std::string ns = metadata && metadata["namespace"] && metadata["namespace"].IsScalar() ? metadata["namespace"].Scalar() : "";
  YAML::Node label = metadata && metadata["labels"] && metadata["labels"].IsMap() ? metadata["labels"][std::string(marks::kRules)] : YAML::Node();
  if (!label || !label.IsScalar() || label.Scalar() != "true") {
    reader.error(node, "ConfigMap " + name + " is not labelled " + std::string(marks::kRules) +
                           ": \"true\"; only rules ConfigMaps belong in a rules directory");
    return;
  }
  YAML::Node data = node["data"];
  if (!data) return;
  if (!data.IsMap()) {
    reader.error(data, "ConfigMap data must be a map");
    return;
  }
  for (auto it = data.begin(); it != data.end(); ++it) {
    std::string key = it->first.Scalar();
    if (!key.ends_with(".yaml") && !key.ends_with(".yml")) continue;
    if (!it->second.IsScalar()) {
      reader.error(it->second, "ConfigMap key " + key + " must hold a string of YAML documents");
      continue;
    }
    Origin inner = doc.origin;
    inner.context = "ConfigMap " + (ns.empty() ? name : ns + "/" + name) + ", key " + key;
    // A literal block's text starts on the line after the key.
    int value_line = it->second.Mark().line + doc.origin.line_offset;
    inner.line_offset = value_line + 1;
    inner.column_offset = block_indent(file_content, value_line + 1);
    parse_documents(inner, it->second.Scalar(), out, errors);
  }
}

void parse_documents(const Origin& origin, const std::string& content, std::vector<Document>& out,
                     std::vector<LoadError>& errors) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(content);
  } catch (const YAML::Exception& e) {
    Reader(origin, errors).error(e.mark, "YAML syntax error: " + e.msg);
    return;
  }
  for (YAML::Node& node : nodes) {
    if (node.IsNull()) continue;  // empty document between separators
    Document doc{origin, node};
    if (node.IsMap() && node["kind"] && node["kind"].IsScalar() && node["kind"].Scalar() == "ConfigMap" &&
        origin.context.empty()) {
      expand_config_map(doc, content, out, errors);
      continue;
    }
    out.push_back(std::move(doc));
  }
}

// ---- Compiling ---------------------------------------------------------------

std::optional<std::size_t> environment_index(const RuleSet& rules, std::string_view name) {
  for (std::size_t i = 0; i < rules.environments.size(); ++i) {
    if (rules.environments[i].name == name) return i;
  }
  return std::nullopt;
}

std::string environment_names(const RuleSet& rules) {
  std::string out;
  for (const Environment& env : rules.environments) out += (out.empty() ? "" : ", ") + env.name;
  return out;
}

EnvironmentSet read_environment_set(Reader& reader, const RuleSet& rules, const YAML::Node& node, std::string_view what) {
  EnvironmentSet set;
  if (!node) {
    set.set();  // omitted: every environment
    return set;
  }
  for (auto& [name, at] : reader.strings(node, what)) {
    if (auto index = environment_index(rules, name)) {
      set.set(*index);
    } else {
      reader.error(at, "unknown environment \"" + name + "\" (environments: " + environment_names(rules) + ")");
    }
  }
  return set;
}

void read_environments(Reader& reader, const YAML::Node& spec, RuleSet& rules) {
  YAML::Node node = spec["environments"];
  if (!node || !node.IsSequence() || node.size() == 0) {
    reader.error(node ? node : spec, "spec.environments must be a non-empty list");
    return;
  }
  if (node.size() > kMaxEnvironments) {
    reader.error(node, "at most " + std::to_string(kMaxEnvironments) + " environments are supported");
    return;
  }
  for (const YAML::Node& item : node) {
    if (!reader.map(item, "environment", {"name", "namespaces", "promotion", "requireDigest"})) continue;
    Environment env;
    auto name = reader.required_string(item, "name", "environment");
    if (!name) continue;
    if (environment_index(rules, *name)) {
      reader.error(item["name"], "environment \"" + *name + "\" is defined twice");
      continue;
    }
    env.name = *name;
    if (item["namespaces"]) reader.patterns(item["namespaces"], "environment " + env.name + " namespaces", env.namespaces);
    if (YAML::Node promotion = item["promotion"]) {
      auto value = reader.string(promotion, "promotion");
      if (value && *value == "open") {
        env.promotion_open = true;
      } else if (value && *value != "enforced") {
        reader.error(promotion, "promotion must be \"enforced\" or \"open\", not \"" + *value + "\"");
      }
    }
    if (YAML::Node digest = item["requireDigest"]) env.require_digest = reader.boolean(digest, "requireDigest").value_or(false);
    rules.environments.push_back(std::move(env));
  }
}

void read_deliveries(Reader& reader, const YAML::Node& node, RuleSet& rules) {
  if (!node.IsSequence()) {
    reader.error(node, "gitops.deliveries must be a list");
    return;
  }
  for (const YAML::Node& item : node) {
    if (!reader.map(item, "delivery", {"kustomization", "helmRelease", "argoApplication", "environments"})) continue;
    Delivery delivery;
    int kinds = 0;
    for (auto [key, kind] : {std::pair{"kustomization", DeliveryKind::FluxKustomization},
                             std::pair{"helmRelease", DeliveryKind::FluxHelmRelease},
                             std::pair{"argoApplication", DeliveryKind::ArgoApplication}}) {
      YAML::Node value = item[key];
      if (!value) continue;
      ++kinds;
      auto text = reader.string(value, std::string("delivery ") + key);
      if (!text) continue;
      delivery.kind = kind;
      delivery.text = std::string(key) + " " + *text;
      std::string name_text = *text;
      if (kind != DeliveryKind::ArgoApplication) {
        auto slash = text->find('/');
        if (slash == std::string::npos) {
          reader.error(value, std::string(key) + " must be written namespace/name (patterns allowed), not \"" + *text + "\"");
          continue;
        }
        delivery.namespace_ = reader.pattern(text->substr(0, slash), value, key);
        name_text = text->substr(slash + 1);
      }
      delivery.name = reader.pattern(name_text, value, key);
    }
    if (kinds != 1) {
      reader.error(item, "a delivery names exactly one of kustomization, helmRelease, argoApplication");
      continue;
    }
    if (!delivery.name) continue;
    delivery.environments = read_environment_set(reader, rules, item["environments"], "delivery environments");
    rules.deliveries.push_back(std::move(delivery));
  }
}

void read_sources(Reader& reader, const YAML::Node& node, RuleSet& rules) {
  if (!node.IsSequence()) {
    reader.error(node, "gitops.sources must be a list");
    return;
  }
  for (const YAML::Node& item : node) {
    if (!reader.map(item, "source",
                    {"kind", "names", "url", "branches", "tags", "semver", "allowCommits", "environments"})) {
      continue;
    }
    ApprovedSource source;
    auto kind = reader.required_string(item, "kind", "source");
    auto url = reader.required_string(item, "url", "source");
    if (!kind || !url) continue;
    std::optional<SourceKind> source_kind = source_kind_from_string(*kind);
    if (!source_kind) {
      reader.error(item["kind"], "source kind must be GitRepository, HelmRepository, OCIRepository or Bucket, not \"" +
                                     *kind + "\"");
      continue;
    }
    source.kind = *source_kind;
    source.url_text = *url;
    // Regexes are matched as written; exact and glob URLs are normalised
    // like the URLs they are matched against.
    std::string url_pattern = url->starts_with("regex:") ? *url : normalize_source_url(*url);
    if (auto p = reader.pattern(url_pattern, item["url"], "source url")) source.urls.add(std::move(*p));
    if (item["names"]) {
      for (auto& [text, at] : reader.strings(item["names"], "source names")) {
        if (text.find('/') == std::string::npos) {
          reader.error(at, "source names are written namespace/name (patterns allowed), not \"" + text + "\"");
        } else if (auto p = reader.pattern(text, at, "source names")) {
          source.names.add(std::move(*p));
        }
      }
    }
    if (item["branches"]) reader.patterns(item["branches"], "source branches", source.branches);
    if (item["tags"]) reader.patterns(item["tags"], "source tags", source.tags);
    if (item["semver"]) reader.patterns(item["semver"], "source semver", source.semver);
    if (YAML::Node commits = item["allowCommits"]) source.allow_commits = reader.boolean(commits, "allowCommits").value_or(false);
    source.environments = read_environment_set(reader, rules, item["environments"], "source environments");
    rules.approved_sources.push_back(std::move(source));
  }
}

void read_tenants(Reader& reader, const YAML::Node& node, RuleSet& rules) {
  if (!node.IsSequence()) {
    reader.error(node, "gitops.tenants must be a list");
    return;
  }
  for (const YAML::Node& item : node) {
    if (!reader.map(item, "tenant", {"namespaces", "serviceAccounts"})) continue;
    TenantIdentities tenant;
    for (const char* field : {"namespaces", "serviceAccounts"}) {
      if (!item[field]) reader.error(item, std::string("tenant: missing required field \"") + field + "\"");
    }
    if (!item["namespaces"] || !item["serviceAccounts"]) continue;
    reader.patterns(item["namespaces"], "tenant namespaces", tenant.namespaces);
    reader.patterns(item["serviceAccounts"], "tenant serviceAccounts", tenant.service_accounts);
    rules.tenants.push_back(std::move(tenant));
  }
}

bool is_values_path(const std::string& path) {
  return !path.empty() && path.front() != '.' && path.back() != '.' && path.find("..") == std::string::npos;
}

void read_values_images(Reader& reader, const YAML::Node& node, RuleSet& rules) {
  if (!node.IsSequence()) {
    reader.error(node, "images.helmValues must be a list");
    return;
  }
  for (const YAML::Node& item : node) {
    if (!reader.map(item, "helmValues entry", {"image", "registry", "repository", "tag", "digest"})) continue;
    ValuesImagePath path;
    bool valid = true;
    for (auto [field, into] : {std::pair{"image", &path.image}, std::pair{"registry", &path.registry},
                               std::pair{"repository", &path.repository}, std::pair{"tag", &path.tag},
                               std::pair{"digest", &path.digest}}) {
      if (!item[field]) continue;
      auto text = reader.string(item[field], std::string("helmValues ") + field);
      if (text && !is_values_path(*text)) {
        reader.error(item[field], std::string("helmValues ") + field + " must be a dotted path such as image.tag, not \"" +
                                      *text + "\"");
      }
      if (!text || !is_values_path(*text)) valid = false;
      else *into = *text;
    }
    if (valid && path.image.empty() == path.repository.empty()) {
      reader.error(item, "a helmValues entry names either image (a whole reference) or repository (with optional "
                         "registry, tag and digest)");
      valid = false;
    }
    if (valid && !path.image.empty() && (!path.registry.empty() || !path.tag.empty() || !path.digest.empty())) {
      reader.error(item, "registry, tag and digest go with repository, not with image");
      valid = false;
    }
    if (valid) rules.values_images.push_back(std::move(path));
  }
}

void compile_policy(Reader& reader, const YAML::Node& spec, RuleSet& rules) {
  if (!reader.map(spec, "ReleasePolicy spec",
                  {"mode", "ruleModes", "environments", "defaultEnvironment", "gitops", "images", "allowedDrift",
                   "breakGlass", "exempt", "mutation"})) {
    return;
  }
  if (YAML::Node drift = spec["allowedDrift"]) {
    for (auto& [pointer, at] : reader.strings(drift, "allowedDrift")) {
      if (!pointer.starts_with("/")) {
        reader.error(at, "allowedDrift entries are JSON pointers starting with /, not \"" + pointer + "\"");
        continue;
      }
      rules.allowed_drift.push_back(pointer);
    }
  } else {
    // SPEC defaults: scaling, `kubectl rollout restart`, and Flux's
    // `flux reconcile` request.
    rules.allowed_drift = {"/spec/replicas", "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
                           "/metadata/annotations/reconcile.fluxcd.io~1requestedAt"};
  }
  if (YAML::Node glass = spec["breakGlass"]; glass && reader.map(glass, "breakGlass", {"groups"})) {
    if (glass["groups"]) reader.patterns(glass["groups"], "breakGlass.groups", rules.break_glass_groups);
  }
  if (YAML::Node mode = spec["mode"]) {
    auto text = reader.string(mode, "mode");
    if (auto m = text ? mode_from_string(*text) : std::nullopt) {
      rules.default_mode = *m;
    } else if (text) {
      reader.error(mode, "mode must be enforce, warn or audit, not \"" + *text + "\"");
    }
  }
  if (YAML::Node modes = spec["ruleModes"]) {
    if (!modes.IsMap()) {
      reader.error(modes, "ruleModes must be a map of rule name to mode");
    } else {
      for (auto it = modes.begin(); it != modes.end(); ++it) {
        auto rule = rule_from_string(it->first.Scalar());
        if (!rule) {
          std::string known;
          for (const RuleName& r : kRuleNames) known += (known.empty() ? "" : ", ") + std::string(r.name);
          reader.error(it->first, "unknown rule \"" + it->first.Scalar() + "\" (rules: " + known + ")");
          continue;
        }
        auto text = reader.string(it->second, "rule mode");
        if (auto m = text ? mode_from_string(*text) : std::nullopt) {
          rules.rule_modes[static_cast<std::size_t>(*rule)] = *m;
        } else if (text) {
          reader.error(it->second, "mode must be enforce, warn or audit, not \"" + *text + "\"");
        }
      }
    }
  }
  read_environments(reader, spec, rules);
  if (YAML::Node def = spec["defaultEnvironment"]) {
    if (auto name = reader.string(def, "defaultEnvironment")) {
      rules.default_environment = environment_index(rules, *name);
      if (!rules.default_environment) reader.error(def, "unknown environment \"" + *name + "\" (environments: " + environment_names(rules) + ")");
    }
  }
  if (YAML::Node gitops = spec["gitops"];
      gitops && reader.map(gitops, "gitops", {"identities", "tenants", "deliveries", "sources"})) {
    if (gitops["identities"]) reader.patterns(gitops["identities"], "gitops.identities", rules.identities);
    if (gitops["tenants"]) read_tenants(reader, gitops["tenants"], rules);
    if (gitops["deliveries"]) read_deliveries(reader, gitops["deliveries"], rules);
    if (gitops["sources"]) read_sources(reader, gitops["sources"], rules);
  }
  if (YAML::Node mutation = spec["mutation"]; mutation && reader.map(mutation, "mutation", {"workloadTemplates"})) {
    if (YAML::Node templates = mutation["workloadTemplates"]) {
      rules.mutate_workload_templates = reader.boolean(templates, "mutation.workloadTemplates").value_or(false);
    }
  }
  if (YAML::Node images = spec["images"];
      images && reader.map(images, "images", {"registries", "forbiddenTags", "helmValues"})) {
    if (images["helmValues"]) read_values_images(reader, images["helmValues"], rules);
    if (images["registries"]) reader.patterns(images["registries"], "images.registries", rules.registries);
    if (images["forbiddenTags"]) {
      for (auto& [tag, at] : reader.strings(images["forbiddenTags"], "images.forbiddenTags")) rules.forbidden_tags.insert(tag);
    }
  }
  if (YAML::Node exempt = spec["exempt"]; exempt && reader.map(exempt, "exempt", {"namespaces", "users", "groups"})) {
    if (exempt["namespaces"]) reader.patterns(exempt["namespaces"], "exempt.namespaces", rules.exempt_namespaces);
    if (exempt["users"]) reader.patterns(exempt["users"], "exempt.users", rules.exempt_users);
    if (exempt["groups"]) reader.patterns(exempt["groups"], "exempt.groups", rules.exempt_groups);
  }
}

// A version promoted to an environment must have passed the one before it
// (unless that one is `promotion: open`): found there by tag or digest, and
// never under the same tag with another digest.
void check_promotion_chain(Reader& reader, const RuleSet& rules, const std::string& repository,
                           const std::vector<EnvironmentVersions>& per_env,
                           const std::vector<std::vector<YAML::Node>>& written) {
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

// Where each repository's record was first written, to report duplicates.
using RecordLocations = std::map<std::string, std::string>;

// Reads what a record promotes: `environments` (environment name -> list of
// versions) into `per_env`, with duplicate and promotion-chain checks.
// `parse` turns one written version into a PromotedVersion, or says why not.
using VersionParser = std::function<std::optional<PromotedVersion>(const std::string& text, std::string* error)>;

void compile_versions(Reader& reader, const RuleSet& rules, const std::string& key, const YAML::Node& item,
                      std::string_view what, const VersionParser& parse, std::vector<EnvironmentVersions>& per_env) {
  YAML::Node envs = item["environments"];
  if (!envs) {
    reader.error(item, std::string(what) + ": missing required field \"environments\"");
    return;
  }
  if (!envs.IsMap()) {
    reader.error(envs, "environments must be a map of environment name to promoted versions");
    return;
  }
  std::size_t errors_before = reader.error_count();
  per_env.resize(rules.environments.size());
  // Where each version was written, for the promotion-chain check below.
  std::vector<std::vector<YAML::Node>> written(rules.environments.size());
  for (auto it = envs.begin(); it != envs.end(); ++it) {
    const std::string& env_name = it->first.Scalar();
    auto env = environment_index(rules, env_name);
    if (!env) {
      reader.error(it->first, "unknown environment \"" + env_name + "\" (environments: " + environment_names(rules) + ")");
      continue;
    }
    EnvironmentVersions& versions = per_env[*env];
    for (auto& [text, at] : reader.strings(it->second, "promoted versions")) {
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
      written[*env].push_back(at);
    }
  }
  // A record with errors of its own would only add consequential ones.
  if (reader.error_count() == errors_before) check_promotion_chain(reader, rules, key, per_env, written);
}

// A list of records in a Promotion spec (`images` or `charts`).
bool record_list(Reader& reader, const YAML::Node& spec, const char* field) {
  YAML::Node list = spec[field];
  if (!list) return false;
  if (!list.IsSequence()) {
    reader.error(list, std::string("spec.") + field + " must be a list");
    return false;
  }
  return true;
}

void compile_promotion(Reader& reader, const Document& doc, const YAML::Node& spec, RuleSet& rules,
                       RecordLocations& seen) {
  if (!reader.map(spec, "Promotion spec", {"images", "charts"})) return;
  if (record_list(reader, spec, "images")) {
    for (const YAML::Node& item : spec["images"]) {
      if (!reader.map(item, "promoted image", {"repository", "environments"})) continue;
      auto repository_text = reader.required_string(item, "repository", "promoted image");
      if (!repository_text) continue;
      ImageParseResult repository = parse_repository(*repository_text);
      if (!repository.reference) {
        reader.error(item["repository"], "invalid repository \"" + *repository_text + "\": " + repository.error);
        continue;
      }
      std::string key = repository.reference->repository();
      if (auto [it, inserted] = seen.emplace(key, location_of(doc.origin, item)); !inserted) {
        reader.error(item["repository"], "repository " + key + " already has a Promotion record at " + it->second);
        continue;
      }
      // A version is a tag, tag@digest or a bare digest: parsed as part of
      // a full reference so the grammar has one implementation.
      auto parse = [&key](const std::string& text, std::string* error) -> std::optional<PromotedVersion> {
        bool digest_only = text.starts_with("sha256:") || text.starts_with("sha512:");
        ImageParseResult parsed = parse_image_reference(key + (digest_only ? "@" : ":") + text);
        if (!parsed.reference) {
          *error = parsed.error;
          return std::nullopt;
        }
        return PromotedVersion{parsed.reference->tag, parsed.reference->digest};
      };
      compile_versions(reader, rules, key, item, "promoted image", parse, rules.promotions[key]);
    }
  }
  if (record_list(reader, spec, "charts")) {
    for (const YAML::Node& item : spec["charts"]) {
      if (!reader.map(item, "promoted chart", {"source", "chart", "environments"})) continue;
      auto source = reader.required_string(item, "source", "promoted chart");
      auto chart = reader.required_string(item, "chart", "promoted chart");
      if (!source || !chart) continue;
      // Kind/namespace/name, as Flux's sourceRef names it, or the
      // repository URL an Argo CD Application names in repoURL.
      std::string key;
      auto first = source->find('/');
      std::string_view kind = std::string_view(*source).substr(0, first);
      if (source_kind_from_string(kind) || kind == "HelmChart") {
        auto second = first == std::string::npos ? first : source->find('/', first + 1);
        if (second == std::string::npos || second + 1 == source->size() || second == first + 1) {
          reader.error(item["source"], "source must be Kind/namespace/name (e.g. HelmRepository/flux-system/acme) or "
                                       "a repository URL, not \"" + *source + "\"");
          continue;
        }
        key = RuleSet::chart_key(kind, source->substr(first + 1, second - first - 1), source->substr(second + 1), *chart);
      } else if (source->find("://") != std::string::npos || kind.find('.') != std::string_view::npos) {
        key = RuleSet::chart_key(*source, *chart);
      } else {
        reader.error(item["source"], "source must be Kind/namespace/name (e.g. HelmRepository/flux-system/acme) or "
                                     "a repository URL, not \"" + *source + "\"");
        continue;
      }
      if (auto [it, inserted] = seen.emplace(key, location_of(doc.origin, item)); !inserted) {
        reader.error(item["chart"], "chart " + key + " already has a Promotion record at " + it->second);
        continue;
      }
      auto parse = [](const std::string& text, std::string* error) -> std::optional<PromotedVersion> {
        if (!is_exact_chart_version(text)) {
          *error = "a promoted chart version is an exact SemVer version, not a range";
          return std::nullopt;
        }
        return PromotedVersion{text, {}};
      };
      compile_versions(reader, rules, key, item, "promoted chart", parse, rules.chart_promotions[key]);
    }
  }
}

// Checks apiVersion/kind/metadata; returns the kind when the document is a
// rules document.
std::optional<std::string> document_kind(Reader& reader, const YAML::Node& node) {
  if (!node.IsMap()) {
    reader.error(node, "a rules document must be a map with apiVersion and kind");
    return std::nullopt;
  }
  YAML::Node kind = node["kind"];
  YAML::Node api_version = node["apiVersion"];
  if (!kind || !kind.IsScalar() || !api_version || !api_version.IsScalar()) {
    reader.error(node, "a rules document needs apiVersion and kind");
    return std::nullopt;
  }
  if (kind.Scalar() != "ReleasePolicy" && kind.Scalar() != "Promotion") {
    reader.error(kind, "unknown kind \"" + kind.Scalar() + "\" (rules documents are ReleasePolicy and Promotion)");
    return std::nullopt;
  }
  if (api_version.Scalar() != kApiVersion) {
    reader.error(api_version, "apiVersion must be " + std::string(kApiVersion) + ", not \"" + api_version.Scalar() + "\"");
    return std::nullopt;
  }
  if (!reader.map(node, kind.Scalar(), {"apiVersion", "kind", "metadata", "spec"})) return std::nullopt;
  YAML::Node metadata = node["metadata"];
  if (!metadata || !metadata.IsMap() || !metadata["name"] || !metadata["name"].IsScalar()) {
    reader.error(metadata ? metadata : node, kind.Scalar() + " needs metadata.name");
    return std::nullopt;
  }
  if (!node["spec"]) {
    reader.error(node, kind.Scalar() + " needs a spec");
    return std::nullopt;
  }
  return kind.Scalar();
}

void add_default_exemptions(RuleSet& rules, const LoadOptions& options) {
  auto add = [](PatternList& list, const std::string& text) { list.add(std::move(*Pattern::compile(text).pattern)); };
  add(rules.exempt_namespaces, "kube-system");
  add(rules.exempt_namespaces, options.own_namespace);
  add(rules.exempt_users, "system:serviceaccount:kube-system:*");
  add(rules.exempt_users, "system:serviceaccount:" + options.own_namespace + ":" + options.own_service_account);
  add(rules.exempt_groups, "system:nodes");
}

}  // namespace

std::string LoadError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": " + message;
  if (!context.empty()) out += " (" + context + ")";
  return out;
}

namespace {

std::optional<DocumentKey> key_of(const YAML::Node& node) {
  if (!node.IsMap() || !node["kind"] || !node["kind"].IsScalar()) return std::nullopt;
  YAML::Node metadata = node["metadata"];
  if (!metadata || !metadata.IsMap() || !metadata["name"] || !metadata["name"].IsScalar()) return std::nullopt;
  return DocumentKey{node["kind"].Scalar(), metadata["name"].Scalar()};
}

}  // namespace

LoadResult compile_rules(const std::vector<RuleSource>& sources, const LoadOptions& options, const RulesEdit* edit) {
  LoadResult result;
  auto rules = std::make_shared<RuleSet>();
  // Files are parsed and compiled one at a time, so that the YAML node trees
  // of a large rule set (over 20 times the size of its text) never exist all
  // at once. The policy defines the environments every
  // Promotion refers to: Promotions read before it wait for it.
  std::optional<std::string> policy_at;  // where the ReleasePolicy was found
  std::vector<Document> waiting;          // Promotions read before the policy
  RecordLocations seen;
  auto compile_document = [&](Document& doc) {
    Reader reader(doc.origin, result.errors);
    auto kind = document_kind(reader, doc.node);
    if (!kind) return;
    if (*kind == "Promotion") {
      if (!policy_at) {
        waiting.push_back(std::move(doc));
        return;
      }
      compile_promotion(reader, doc, doc.node["spec"], *rules, seen);
      return;
    }
    if (policy_at) {
      reader.error(doc.node, "a second ReleasePolicy (the first is at " + *policy_at + "); a rule set has exactly one");
      return;
    }
    policy_at = location_of(doc.origin, doc.node);
    compile_policy(reader, doc.node["spec"], *rules);
    for (Document& promotion : waiting) {
      Reader promotion_reader(promotion.origin, result.errors);
      compile_promotion(promotion_reader, promotion, promotion.node["spec"], *rules, seen);
    }
    waiting.clear();
  };
  auto compile_source = [&](const RuleSource& source, bool replaceable) {
    std::vector<Document> documents;
    parse_documents(Origin{source.file, {}, 0, 0}, source.content, documents, result.errors);
    for (Document& doc : documents) {
      if (replaceable && edit) {
        // A rules edit replaces the documents of the same kind and name.
        auto key = key_of(doc.node);
        if (key && edit->replaced.contains(*key)) continue;
      }
      compile_document(doc);
    }
  };
  // Sources that mention a ReleasePolicy go first (a text search, cheap
  // beside the parse), so that Promotions rarely have to wait for it.
  auto mentions_policy = [](const RuleSource& source) {
    return source.content.find("ReleasePolicy") != std::string::npos;
  };
  for (bool policy_pass : {true, false}) {
    for (const RuleSource& source : sources) {
      if (mentions_policy(source) == policy_pass) compile_source(source, true);
    }
    if (!edit) continue;
    for (const RuleSource& source : edit->sources) {
      if (mentions_policy(source) == policy_pass) compile_source(source, false);
    }
  }
  if (!policy_at) {
    // A policy document with errors of its own was already reported.
    if (!result.errors.empty()) return result;
    result.errors.push_back({sources.empty() ? "<rules>" : sources.front().file, {}, 0, 0,
                             "no ReleasePolicy document found; a rule set has exactly one"});
    return result;
  }
  if (!result.errors.empty()) return result;
  add_default_exemptions(*rules, options);
  rules->generation = options.generation;
  auto from = std::make_shared<CompiledFrom>(CompiledFrom{sources, options});
  if (edit) from->sources.insert(from->sources.end(), edit->sources.begin(), edit->sources.end());
  result.rules = std::move(rules);
  result.from = std::move(from);
  return result;
}

std::set<DocumentKey> document_keys(const RuleSource& source) {
  std::vector<Document> documents;
  std::vector<LoadError> ignored;
  parse_documents(Origin{source.file, {}, 0, 0}, source.content, documents, ignored);
  std::set<DocumentKey> keys;
  for (const Document& doc : documents) {
    if (auto key = key_of(doc.node)) keys.insert(std::move(*key));
  }
  return keys;
}

SourcesRead read_rule_sources(const std::vector<std::string>& directories) {
  namespace fs = std::filesystem;
  SourcesRead read;
  for (const std::string& dir : directories) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(".")) continue;  // kubelet's ..data and timestamped dirs
      if (!name.ends_with(".yaml") && !name.ends_with(".yml")) continue;
      if (!fs::is_regular_file(entry.path(), ec)) continue;  // follows symlinks
      files.push_back(entry.path());
    }
    if (ec) {
      read.errors.push_back({dir, {}, 0, 0, "cannot read rules directory: " + ec.message()});
      continue;
    }
    std::sort(files.begin(), files.end());  // deterministic error order
    for (const fs::path& path : files) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      if (!in) {
        read.errors.push_back({path.string(), {}, 0, 0, "cannot read file"});
        continue;
      }
      read.sources.push_back({path.string(), content.str()});
    }
  }
  return read;
}

LoadResult load_rules(const std::vector<std::string>& directories, const LoadOptions& options) {
  SourcesRead read = read_rule_sources(directories);
  if (!read.errors.empty()) return {nullptr, nullptr, std::move(read.errors)};
  return compile_rules(read.sources, options);
}

}  // namespace releasegate::policy
