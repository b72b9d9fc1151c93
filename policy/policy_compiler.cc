#include "policy/policy_compiler.h"

#include <algorithm>
#include <utility>

#include "core/image_reference.h"
#include "core/time_text.h"
#include "policy/environment_compiler.h"

namespace releasegate::policy {
namespace {

// ---- gitops ------------------------------------------------------------------

// One of kustomization, helmRelease, argoApplication: what a delivery names.
void read_delivery_kind(Reader& reader, const yaml::Node& value, std::string_view key, DeliveryKind kind,
                        Delivery& delivery) {
  auto text = reader.string(value, "delivery " + std::string(key));
  if (!text) return;
  delivery.kind = kind;
  delivery.text = std::string(key) + " " + *text;
  std::string name_text = *text;
  if (kind != DeliveryKind::ArgoApplication) {
    auto slash = text->find('/');
    if (slash == std::string::npos) {
      reader.error(value, std::string(key) + " must be written namespace/name (patterns allowed), not \"" + *text + "\"");
      return;
    }
    delivery.namespace_ = reader.pattern(text->substr(0, slash), value, key);
    name_text = text->substr(slash + 1);
  }
  delivery.name = reader.pattern(name_text, value, key);
}

void read_delivery(Reader& reader, const yaml::Node& item, RuleSet& rules) {
  Delivery delivery;
  int kinds = 0;
  auto kind_field = [&](std::string_view key, DeliveryKind kind) {
    return Field{key, [&, key, kind](const yaml::Node& value) {
                   ++kinds;
                   read_delivery_kind(reader, value, key, kind, delivery);
                 }};
  };
  bool read = reader.fields(item, "delivery", {
      kind_field("kustomization", DeliveryKind::FluxKustomization),
      kind_field("helmRelease", DeliveryKind::FluxHelmRelease),
      kind_field("argoApplication", DeliveryKind::ArgoApplication),
      check([&](const yaml::Node&) {
        if (kinds == 1) return delivery.name.has_value();
        reader.error(item, "a delivery names exactly one of kustomization, helmRelease, argoApplication");
        return false;
      }),
      {"environments",
       [&](const yaml::Node& node) {
         delivery.environments = read_environment_set(reader, rules, node, "delivery environments");
       },
       false, [&] { delivery.environments.set(); }},  // omitted: every environment
  });
  if (read) rules.deliveries.push_back(std::move(delivery));
}

// A source's kind and url, once both are read.
bool read_source_kind_and_url(Reader& reader, const yaml::Node& item, const std::string& kind, const std::string& url,
                              ApprovedSource& source) {
  std::optional<SourceKind> source_kind = source_kind_from_string(kind);
  if (!source_kind) {
    reader.error(item["kind"], "source kind must be GitRepository, HelmRepository, OCIRepository or Bucket, not \"" +
                                   kind + "\"");
    return false;
  }
  source.kind = *source_kind;
  source.url_text = url;
  // Regexes are matched as written; exact and glob URLs are normalised
  // like the URLs they are matched against.
  std::string url_pattern = url.starts_with("regex:") ? url : normalize_source_url(url);
  if (auto p = reader.pattern(url_pattern, item["url"], "source url")) source.urls.add(std::move(*p));
  return true;
}

void read_source_names(Reader& reader, const yaml::Node& node, ApprovedSource& source) {
  for (auto& [text, at] : reader.strings(node, "source names")) {
    if (text.find('/') == std::string::npos) {
      reader.error(at, "source names are written namespace/name (patterns allowed), not \"" + text + "\"");
    } else if (auto p = reader.pattern(text, at, "source names")) {
      source.names.add(std::move(*p));
    }
  }
}

void read_source(Reader& reader, const yaml::Node& item, RuleSet& rules) {
  ApprovedSource source;
  std::optional<std::string> kind, url;
  auto patterns = [&](std::string_view key, std::string what, PatternList& into) {
    return Field{key, [&, what](const yaml::Node& node) { reader.patterns(node, what, into); }};
  };
  bool read = reader.fields(item, "source", {
      {.key = "kind",
       .read = [&](const yaml::Node& node) { return (kind = reader.required_string(node, "source.kind")).has_value(); },
       .required = true, .when = Field::early},
      {"names", [&](const yaml::Node& node) { read_source_names(reader, node, source); }},
      {.key = "url",
       .read = [&](const yaml::Node& node) { return (url = reader.required_string(node, "source.url")).has_value(); },
       .required = true, .when = Field::early},
      {.read = [&](const yaml::Node&) { return read_source_kind_and_url(reader, item, *kind, *url, source); },
       .when = Field::early},
      patterns("branches", "source branches", source.branches),
      patterns("tags", "source tags", source.tags),
      patterns("semver", "source semver", source.semver),
      {"allowCommits",
       [&](const yaml::Node& node) { source.allow_commits = reader.boolean(node, "allowCommits").value_or(false); }},
      {"environments",
       [&](const yaml::Node& node) {
         source.environments = read_environment_set(reader, rules, node, "source environments");
       },
       false, [&] { source.environments.set(); }},  // omitted: every environment
  });
  if (read) rules.approved_sources.push_back(std::move(source));
}

void read_tenant(Reader& reader, const yaml::Node& item, RuleSet& rules) {
  // Both are required: their patterns are compiled once both are there.
  yaml::Node namespaces, service_accounts;
  bool read = reader.fields(item, "tenant", {
      {"namespaces", [&](const yaml::Node& node) { namespaces = node; }, true},
      {"serviceAccounts", [&](const yaml::Node& node) { service_accounts = node; }, true},
  });
  if (!read) return;
  TenantIdentities tenant;
  reader.patterns(namespaces, "tenant namespaces", tenant.namespaces);
  reader.patterns(service_accounts, "tenant serviceAccounts", tenant.service_accounts);
  rules.tenants.push_back(std::move(tenant));
}

// A list of gitops items, each read by `read_item`.
void read_list(Reader& reader, const yaml::Node& node, const char* what, RuleSet& rules,
               void (*read_item)(Reader&, const yaml::Node&, RuleSet&)) {
  if (!node.is_sequence()) {
    reader.error(node, std::string(what) + " must be a list");
    return;
  }
  for (yaml::Node item : node.items()) read_item(reader, item, rules);
}

// The marks a controller writes, known by its service account's name.
std::optional<DeliveryKind> default_delivery_kind(std::string_view username) {
  if (username.ends_with(":kustomize-controller")) return DeliveryKind::FluxKustomization;
  if (username.ends_with(":helm-controller")) return DeliveryKind::FluxHelmRelease;
  if (username.ends_with(":argocd-application-controller")) return DeliveryKind::ArgoApplication;
  return std::nullopt;
}

std::optional<DeliveryKind> delivery_kind_from_string(std::string_view text) {
  if (text == "kustomization") return DeliveryKind::FluxKustomization;
  if (text == "helmRelease") return DeliveryKind::FluxHelmRelease;
  if (text == "argoApplication") return DeliveryKind::ArgoApplication;
  return std::nullopt;
}

// An identity: a username (paired by its name with its controller's
// marks), or {name, delivers, environments}.
void read_identity(Reader& reader, const yaml::Node& item, RuleSet& rules) {
  Identity identity;
  identity.environments.set();
  auto add_name = [&](const yaml::Node& node) {
    auto text = reader.required_string(node, "identity name");
    if (!text) return false;
    auto pattern = reader.pattern(*text, node, "identity");
    if (!pattern) return false;
    identity.usernames.add(std::move(*pattern));
    return true;
  };
  if (item.is_scalar()) {
    if (!add_name(item)) return;
    auto kind = default_delivery_kind(item.scalar());
    if (!kind) {
      reader.error(item, "identity \"" + item.scalar() + "\" is not kustomize-controller, helm-controller or "
                         "argocd-application-controller: say which marks it writes, as {name: ..., delivers: "
                         "[kustomization|helmRelease|argoApplication]}");
      return;
    }
    identity.delivers.set(static_cast<std::size_t>(*kind));
    rules.identities.push_back(std::move(identity));
    return;
  }
  bool read = reader.fields(item, "identity", {
      {"name", add_name, true},
      {"delivers",
       [&](const yaml::Node& node) {
         for (auto& [text, at] : reader.strings(node, "identity delivers")) {
           auto kind = delivery_kind_from_string(text);
           if (!kind) {
             reader.error(at, "delivers must list kustomization, helmRelease or argoApplication, not \"" + text + "\"");
             return false;
           }
           identity.delivers.set(static_cast<std::size_t>(*kind));
         }
         if (identity.delivers.none()) reader.error(node, "identity delivers must not be empty");
         return identity.delivers.any();
       },
       true},
      {"environments", [&](const yaml::Node& node) {
         identity.environments = read_environment_set(reader, rules, node, "identity environments");
         identity.limited = true;
       }},
  });
  if (read) rules.identities.push_back(std::move(identity));
}

void read_gitops(Reader& reader, const yaml::Node& gitops, RuleSet& rules) {
  reader.fields(gitops, "gitops", {
      {"identities", [&](const yaml::Node& node) { read_list(reader, node, "gitops.identities", rules, read_identity); }},
      {"tenants", [&](const yaml::Node& node) { read_list(reader, node, "gitops.tenants", rules, read_tenant); }},
      {"deliveries",
       [&](const yaml::Node& node) { read_list(reader, node, "gitops.deliveries", rules, read_delivery); }},
      {"sources", [&](const yaml::Node& node) { read_list(reader, node, "gitops.sources", rules, read_source); }},
  });
}

// ---- images ------------------------------------------------------------------

bool is_values_path(const std::string& path) {
  return !path.empty() && path.front() != '.' && path.back() != '.' && path.find("..") == std::string::npos;
}

void read_values_image(Reader& reader, const yaml::Node& item, RuleSet& rules) {
  ValuesImagePath path;
  bool valid = true;
  auto path_field = [&](std::string_view key, std::string& into) {
    return Field{key, [&, key](const yaml::Node& node) {
                   auto text = reader.string(node, "helmValues " + std::string(key));
                   if (text && !is_values_path(*text)) {
                     reader.error(node, "helmValues " + std::string(key) +
                                            " must be a dotted path such as image.tag, not \"" + *text + "\"");
                   }
                   if (!text || !is_values_path(*text)) valid = false;
                   else into = *text;
                 }};
  };
  if (!reader.fields(item, "helmValues entry",
                     {path_field("image", path.image), path_field("registry", path.registry),
                      path_field("repository", path.repository), path_field("tag", path.tag),
                      path_field("digest", path.digest)})) {
    return;
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

void read_images(Reader& reader, const yaml::Node& images, RuleSet& rules) {
  reader.fields(images, "images", {
      {"registries", [&](const yaml::Node& node) { reader.patterns(node, "images.registries", rules.registries); }},
      {"forbiddenTags",
       [&](const yaml::Node& node) {
         for (auto& [tag, at] : reader.strings(node, "images.forbiddenTags")) rules.forbidden_tags.insert(tag);
       }},
      {.key = "helmValues",
       .read = [&](const yaml::Node& node) { read_list(reader, node, "images.helmValues", rules, read_values_image); },
       .when = Field::early},
      {"platform", [&](const yaml::Node& node) { reader.patterns(node, "images.platform", rules.platform_images); }},
  });
}

// ---- Modes, drift, exemptions ------------------------------------------------

std::optional<Mode> read_mode(Reader& reader, const yaml::Node& node, std::string_view what) {
  auto text = reader.string(node, what);
  auto mode = text ? mode_from_string(*text) : std::nullopt;
  if (text && !mode) reader.error(node, "mode must be enforce, warn or audit, not \"" + *text + "\"");
  return mode;
}

void read_default_mode(Reader& reader, const yaml::Node& node, RuleSet& rules) {
  if (auto mode = read_mode(reader, node, "mode")) rules.default_mode = *mode;
}

void read_rule_modes(Reader& reader, const yaml::Node& modes, RuleSet& rules) {
  if (!modes.is_map()) {
    reader.error(modes, "ruleModes must be a map of rule name to mode");
    return;
  }
  for (auto [name, mode_node] : modes.entries()) {
    auto rule = rule_from_string(name.scalar());
    if (!rule) {
      std::string known;
      for (const RuleName& r : kRuleNames) known += (known.empty() ? "" : ", ") + std::string(r.name);
      reader.error(name, "unknown rule \"" + name.scalar() + "\" (rules: " + known + ")");
      continue;
    }
    if (auto mode = read_mode(reader, mode_node, "rule mode")) rules.rule_modes[static_cast<std::size_t>(*rule)] = *mode;
  }
}

void read_allowed_drift(Reader& reader, const yaml::Node& node, RuleSet& rules) {
  for (auto& [pointer, at] : reader.strings(node, "allowedDrift")) {
    if (!pointer.starts_with("/")) {
      reader.error(at, "allowedDrift entries are JSON pointers starting with /, not \"" + pointer + "\"");
      continue;
    }
    rules.allowed_drift.push_back(pointer);
  }
}

// An approved Flux delivery in an exempt namespace is not governed itself:
// a hand edit of flux-system/apps-prod would go unchecked.
void warn_exempt_deliveries(Reader& reader, const yaml::Node& node, const RuleSet& rules) {
  for (const Delivery& d : rules.deliveries) {
    if (!d.namespace_) continue;
    for (const Pattern& exempt : rules.exempt_namespaces.patterns()) {
      if (!exempt.covers(*d.namespace_)) continue;
      reader.warning(node, "exempt namespace \"" + exempt.text() + "\" holds the approved delivery " + d.text +
                               ": changes to it by hand are not governed; exempt a narrower set of namespaces");
      break;
    }
  }
}

void read_exempt(Reader& reader, const yaml::Node& exempt, RuleSet& rules) {
  reader.fields(exempt, "exempt", {
      {"namespaces",
       [&](const yaml::Node& node) {
         reader.patterns(node, "exempt.namespaces", rules.exempt_namespaces);
         warn_exempt_deliveries(reader, node, rules);
       }},
      {"users", [&](const yaml::Node& node) { reader.patterns(node, "exempt.users", rules.exempt_users); }},
      {"groups", [&](const yaml::Node& node) { reader.patterns(node, "exempt.groups", rules.exempt_groups); }},
  });
}

void read_break_glass(Reader& reader, const yaml::Node& glass, RuleSet& rules) {
  reader.fields(glass, "breakGlass", {
      {"groups", [&](const yaml::Node& node) { reader.patterns(node, "breakGlass.groups", rules.break_glass_groups); }},
  });
}

// spec.evidence.trust: the keys that sign evidence, each for a cluster
// and the environments it may prove.
void read_trusted_key(Reader& reader, const yaml::Node& item, RuleSet& rules) {
  std::string cluster;
  std::vector<std::string> environments;
  std::optional<UnixSeconds> valid_until;
  std::vector<signing::PublicKey> keys;
  auto read_cluster = [&](const yaml::Node& n) {
    cluster = reader.required_string(n, "evidence.trust[].cluster").value_or("");
    return !cluster.empty();
  };
  auto read_valid_until = [&](const yaml::Node& n) {
    auto text = reader.string(n, "evidence.trust[].validUntil");
    auto time = text ? parse_rfc3339(*text) : std::nullopt;
    if (text && !time) reader.error(n, "evidence.trust[].validUntil must be an RFC 3339 time, not \"" + *text + "\"");
    valid_until = time;
    return time.has_value();
  };
  bool valid = reader.fields(item, "evidence.trust entry", {
      {"cluster", read_cluster, true},
      {"environments",
       [&](const yaml::Node& n) {
         for (auto& [name, at] : reader.strings(n, "evidence.trust[].environments")) {
           if (!rules.environment_named(name)) {
             reader.error(at, "evidence.trust: no environment named \"" + name + "\"");
             return false;
           }
           environments.push_back(name);
         }
         return !environments.empty();
       },
       true},
      {"publicKeys",
       [&](const yaml::Node& n) {
         for (auto& [pem, at] : reader.strings(n, "evidence.trust[].publicKeys")) {
           std::string error;
           auto key = signing::PublicKey::from_pem(pem, &error);
           if (!key) {
             reader.error(at, "evidence.trust: a public key that cannot be used: " + error);
             return false;
           }
           keys.push_back(std::move(*key));
         }
         if (keys.empty()) reader.error(n, "evidence.trust[].publicKeys must list at least one PEM public key");
         return !keys.empty();
       },
       true},
      {"validUntil", read_valid_until},
  });
  if (!valid) return;
  // One entry per key: several during a rotation.
  for (signing::PublicKey& key : keys) {
    rules.evidence_trust.keys.push_back({cluster, environments, std::move(key), valid_until});
  }
}

void read_evidence_settings(Reader& reader, const yaml::Node& evidence, RuleSet& rules) {
  reader.fields(evidence, "evidence", {
      {"trust", [&](const yaml::Node& node) { read_list(reader, node, "evidence.trust", rules, read_trusted_key); }},
  });
}

void read_mutation(Reader& reader, const yaml::Node& mutation, RuleSet& rules) {
  reader.fields(mutation, "mutation", {
      {"workloadTemplates",
       [&](const yaml::Node& node) {
         rules.mutate_workload_templates = reader.boolean(node, "mutation.workloadTemplates").value_or(false);
       }},
  });
}

}  // namespace

void compile_policy(Reader& reader, const yaml::Node& spec, RuleSet& rules) {
  auto read = [&](void (*read_field)(Reader&, const yaml::Node&, RuleSet&)) {
    return [&reader, &rules, read_field](const yaml::Node& node) { read_field(reader, node, rules); };
  };
  // Known fields are listed in this order. allowedDrift and breakGlass are
  // read first and images and exempt last, as always; environments before
  // defaultEnvironment and gitops, which refer to them.
  reader.fields(spec, "ReleasePolicy spec", {
      {"mode", read(read_default_mode)},
      {"ruleModes", read(read_rule_modes)},
      {"environments", read(read_environments), false,
       [&] { reader.error(spec, "spec.environments must be a non-empty list"); }},
      {"defaultEnvironment", read(read_default_environment)},
      {"gitops", read(read_gitops)},
      {.key = "images", .read = read(read_images), .when = Field::late},
      {.key = "allowedDrift",
       .read = read(read_allowed_drift),
       // SPEC defaults: scaling, `kubectl rollout restart`, and Flux's
       // `flux reconcile` request.
       .absent = [&] { rules.allowed_drift = {"/spec/replicas",
                                              "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
                                              "/metadata/annotations/reconcile.fluxcd.io~1requestedAt"}; },
       .when = Field::early},
      {.key = "breakGlass", .read = read(read_break_glass), .when = Field::early},
      {.key = "exempt", .read = read(read_exempt), .when = Field::late},
      {"mutation", read(read_mutation)},
      {"evidence", read(read_evidence_settings)},
  });
}

void add_default_exemptions(RuleSet& rules, const LoadOptions& options) {
  auto add = [](PatternList& list, const std::string& text) { list.add(std::move(*Pattern::compile(text).pattern)); };
  add(rules.exempt_namespaces, "kube-system");
  add(rules.exempt_namespaces, options.own_namespace);
  for (std::string_view controller : kExemptControllers) {
    add(rules.exempt_users, "system:serviceaccount:kube-system:" + std::string(controller));
  }
  add(rules.exempt_users, "system:kube-controller-manager");
  add(rules.exempt_users, "system:serviceaccount:" + options.own_namespace + ":" + options.own_service_account);
  add(rules.exempt_groups, "system:nodes");
}

}  // namespace releasegate::policy
