// The compiled rule set: every pattern compiled and every Promotion record
// indexed when the rules are loaded, then shared read-only (as
// std::shared_ptr<const RuleSet>) by all request threads. Nothing here is
// parsed or scanned per request beyond the short pattern lists.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/cluster.h"
#include "core/evidence_trust.h"
#include "core/decision.h"
#include "core/evidence.h"
#include "core/kinds.h"
#include "core/pattern.h"
#include "core/promotion_index.h"

namespace releasegate {

using EnvironmentSet = std::bitset<kMaxEnvironments>;

struct Environment {
  std::string name;
  PatternList namespaces;
  std::optional<ClusterSelector> clusters;  // the clusters hosting it; absent: every cluster
  // Whether the cluster the rules were compiled for hosts it (set when
  // linking): only hosted environments govern namespaces here; the others
  // stay, for the promotion graph and for names in records.
  bool hosted = true;
  // The environments a version must have passed before it is promoted
  // here: each of them, or with `after_any` any one of them. By default the
  // one before it in the list (none for the first).
  std::vector<std::size_t> after;
  bool after_any = false;
  // Depth in the promotion graph (0 for an environment that comes after
  // none): an environment is stricter than every one it comes after. Of two
  // at the same depth, the later in the list is the stricter.
  std::size_t rank = 0;
  bool promotion_open = false;  // registry and tag hygiene only, no promotion check
  bool require_digest = false;
  // `requires: {evidenceFrom, soak}`: a version is admitted here only after
  // it ran healthy for `soak_seconds` without interruption in each of
  // `from` (with `any`, in one of them): see core/evidence.h.
  struct EvidenceRequirement {
    std::vector<std::size_t> from;
    bool any = false;
    std::int64_t soak_seconds = 0;
  };
  std::optional<EvidenceRequirement> evidence_required;
};

// An approved GitOps identity, paired with the marks its own controller
// writes: kustomize-controller with a Kustomization's, helm-controller with
// a HelmRelease's, the Argo CD application controller with an
// Application's. Another controller's marks prove nothing (helm-controller
// could copy a Kustomization's labels).
struct Identity {
  PatternList usernames;  // one pattern, as written
  std::bitset<kDeliveryKinds> delivers;  // by DeliveryKind
  EnvironmentSet environments;  // where it may deliver; all when not limited
  bool limited = false;         // `environments` was written
  bool delivers_kind(DeliveryKind kind) const { return delivers.test(static_cast<std::size_t>(kind)); }
};

// A GitOps delivery whose objects may run in some environments, recognised
// by the marks its controller puts on every object it applies.
struct Delivery {
  DeliveryKind kind = DeliveryKind::FluxKustomization;
  std::optional<Pattern> namespace_;  // Flux: the Kustomization/HelmRelease namespace
  std::optional<Pattern> name;        // Flux object name, or Argo CD application name
  EnvironmentSet environments;
  std::string text;  // as written, for messages
};

// A source the policy approves: Flux source objects of this kind must fetch
// from a matching URL and ref, and Kustomizations, HelmReleases and Argo CD
// Applications may only fetch from approved sources (SPEC section 4.4).
struct ApprovedSource {
  SourceKind kind = SourceKind::GitRepository;
  PatternList names;  // "namespace/name" of the source objects; empty: any
  PatternList urls;   // normalised (normalize_source_url)
  // Refs a source may follow; an empty list allows none of that kind of
  // ref, and all three empty allow any ref.
  PatternList branches;  // Git branches; Argo CD targetRevision "HEAD" is matched as a branch
  PatternList tags;      // Git or OCI tags
  PatternList semver;    // semver ranges, matched as written
  bool allow_commits = false;  // a commit (or OCI digest) pin; a fork's commits are reachable in GitHub
  EnvironmentSet environments;  // where objects fetching from it may deliver; all when not set
  std::string url_text;  // as written, for messages

  bool any_ref() const { return branches.empty() && tags.empty() && semver.empty(); }
};

// Flux multi-tenancy: kustomize- and helm-controller impersonate the
// service account named in spec.serviceAccountName of the Kustomization or
// HelmRelease. Such an account is an approved identity for objects in its
// own namespace only.
struct TenantIdentities {
  PatternList namespaces;
  PatternList service_accounts;  // names within the namespace
};

// Where a HelmRelease's values hold an image, as dotted paths into
// spec.values: either a whole reference (`image`) or its parts.
struct ValuesImagePath {
  std::string image;       // e.g. "sidecar.image"
  std::string registry;    // e.g. "image.registry"; optional
  std::string repository;  // e.g. "image.repository"
  std::string tag;         // e.g. "image.tag"; optional
  std::string digest;      // e.g. "image.digest"; optional
};

// Hashing that lets maps keyed by std::string be searched with a
// std::string_view, without building a string per lookup.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct RuleSet {
  // Counts published rule sets: 1 for the first load, +1 per reload.
  std::uint64_t generation = 0;
  Mode default_mode = Mode::Enforce;
  std::array<std::optional<Mode>, kRuleCount> rule_modes;  // per-rule overrides

  std::vector<Environment> environments;  // ordered: promotion flows down the list
  std::optional<std::size_t> default_environment;

  std::vector<Identity> identities;  // the approved GitOps controllers
  std::vector<TenantIdentities> tenants;
  std::vector<Delivery> deliveries;
  std::vector<ApprovedSource> approved_sources;  // empty: sources are not checked

  PatternList registries;  // empty: any registry
  // Repositories of images the platform injects (mesh sidecars, log
  // agents): registry, tag and digest rules only, never promoted. Empty by
  // default.
  PatternList platform_images;
  std::unordered_set<std::string, StringHash, std::equal_to<>> forbidden_tags;
  std::vector<ValuesImagePath> values_images;  // HelmRelease spec.values paths checked like images
  // /mutate pins images in workload pod templates too, not only in Pods.
  bool mutate_workload_templates = false;

  // JSON pointers an out-of-band UPDATE may change (a pointer also allows
  // everything below it).
  std::vector<std::string> allowed_drift;
  PatternList break_glass_groups;  // may make out-of-band changes with the annotation

  PatternList exempt_namespaces;  // not governed at all
  PatternList exempt_users;       // exempt from provenance only
  PatternList exempt_groups;

  // By normalised repository ("ghcr.io/acme/podinfo").
  PromotionIndex promotions;
  // By chart key (chart_key(), or "<repository URL> <chart>" for Argo CD);
  // versions in `tag`.
  PromotionIndex chart_promotions;
  // The keys trusted to sign Evidence documents (spec.evidence.trust).
  EvidenceTrust evidence_trust;
  // Evidence records of the rules (kind Evidence): what other clusters,
  // or this one before, proved, each verified with evidence_trust.
  EvidenceSet evidence;

  Mode mode_of(Rule rule) const {
    const auto& override_mode = rule_modes[static_cast<std::size_t>(rule)];
    return override_mode ? *override_mode : default_mode;
  }
  // "HelmRepository/flux-system/acme podinfo": a chart from one source.
  static std::string chart_key(std::string_view source_kind, std::string_view source_namespace,
                               std::string_view source_name, std::string_view chart) {
    std::string key;
    key.append(source_kind).append("/").append(source_namespace).append("/").append(source_name);
    return key.append(" ").append(chart);
  }

  // "<normalize_chart_repository_url> <chart>": a chart from a repository URL.
  static std::string chart_key(std::string_view repository_url, std::string_view chart);

  // The environment index for a namespace of this cluster (the first
  // hosted environment matching it, else a hosted default), or nullopt.
  std::optional<std::size_t> environment_for_namespace(std::string_view ns) const;
  // The environment of that name, hosted or not.
  std::optional<std::size_t> environment_named(std::string_view name) const;
  // The first hosted environment whose namespaces match, without the default.
  std::optional<std::size_t> environment_matching(std::string_view ns) const;
  // Whether environment `a` is stricter than `b` (Environment::rank).
  bool stricter(std::size_t a, std::size_t b) const {
    const Environment &x = environments[a], &y = environments[b];
    return x.rank != y.rank ? x.rank > y.rank : a > b;
  }
};

// What a version must have passed before it is promoted to `env`, for
// messages: "staging-europe", "each of staging-us, prod-europe" or "any of
// ..."; empty for an environment that comes after none.
std::string predecessors_text(const RuleSet& rules, const Environment& env);
// Likewise for any list of environments: "staging", "each of a, b", "any of a, b".
std::string environments_text(const RuleSet& rules, const std::vector<std::size_t>& environments, bool any);

// Source URLs compare without a trailing "/" or ".git" and with a lower-case
// scheme and host: https://GitHub.com/acme/fleet.git = https://github.com/acme/fleet.
std::string normalize_source_url(std::string_view url);

// A Helm chart repository's URL, normalised: Argo CD writes an OCI
// repository without its scheme (ghcr.io/acme/charts), so a URL without
// one is oci://.
std::string normalize_chart_repository_url(std::string_view url);

}  // namespace releasegate
