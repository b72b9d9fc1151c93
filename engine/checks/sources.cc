// Rule source (SPEC 4.4): Flux source objects must fetch from approved URLs
// and refs, and the objects that fetch through sources (Kustomization,
// HelmRelease, HelmChart, Argo CD Application) must name approved ones.
#include "engine/checks.h"

#include <algorithm>
#include <functional>

namespace releasegate::engine {
namespace {

bool allowed_in(const ApprovedSource& source, std::optional<std::size_t> env) {
  return !env || source.environments.test(*env);
}

// The approved sources of the kinds asked for, by URL (or, for references,
// by the object names they allow).
std::string approved_list(const RuleSet& rules, std::optional<std::size_t> env,
                          const std::function<bool(const ApprovedSource&)>& kind_matches, bool by_name = false) {
  std::string out;
  for (const ApprovedSource& s : rules.approved_sources) {
    if (!allowed_in(s, env) || !kind_matches(s)) continue;
    out += (out.empty() ? "" : ", ") + (by_name ? s.names.describe() : s.url_text);
  }
  return out.empty() ? "none" : out;
}

bool is_commit_sha(std::string_view revision) {
  return revision.size() == 40 &&
         std::all_of(revision.begin(), revision.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string allowed_refs(const ApprovedSource& source) {
  std::string out;
  auto add = [&](std::string_view what, const PatternList& list) {
    if (!list.empty()) out += (out.empty() ? "" : "; ") + std::string(what) + " " + list.describe();
  };
  add("branches", source.branches);
  add("tags", source.tags);
  add("semver", source.semver);
  if (source.allow_commits) out += (out.empty() ? "" : "; ") + std::string("commit pins");
  return out.empty() ? "none" : out;
}

// The ref a Flux source follows, in Flux's order of precedence, as
// {what, value}; nullopt when the ref is allowed.
std::optional<std::pair<std::string, std::string>> unapproved_ref(const ApprovedSource& source,
                                                                  const SourceLocation& location) {
  // HelmRepository and Bucket have no refs.
  if (source.any_ref() || source.kind == SourceKind::HelmRepository || source.kind == SourceKind::Bucket) {
    return std::nullopt;
  }
  if (!location.commit.empty() || !location.digest.empty()) {
    if (source.allow_commits) return std::nullopt;
    return location.commit.empty() ? std::pair{"digest", location.digest} : std::pair{"commit", location.commit};
  }
  std::string_view name = location.ref_name;
  if (!name.empty()) {
    if (name.starts_with("refs/heads/") && source.branches.matches(name.substr(11))) return std::nullopt;
    if (name.starts_with("refs/tags/") && source.tags.matches(name.substr(10))) return std::nullopt;
    return std::pair{"ref", location.ref_name};
  }
  if (!location.semver.empty()) {
    if (source.semver.matches(location.semver)) return std::nullopt;
    return std::pair{"semver range", location.semver};
  }
  if (!location.tag.empty()) {
    if (source.tags.matches(location.tag)) return std::nullopt;
    return std::pair{"tag", location.tag};
  }
  // Without a ref Flux follows a GitRepository's "master" branch and an
  // OCIRepository's "latest" tag.
  if (source.kind == SourceKind::OCIRepository) {
    return source.tags.matches("latest") ? std::nullopt : std::optional(std::pair{std::string("tag"), std::string("latest")});
  }
  std::string branch = location.branch.empty() ? "master" : location.branch;
  if (source.branches.matches(branch)) return std::nullopt;
  return std::pair{"branch", branch};
}

// A GitRepository, HelmRepository, OCIRepository or Bucket: its URL and
// ref must be those of an approved source of its kind (and, when the entry
// names objects, its namespace/name).
void check_source_object(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const AdmissionRequest& request = subject.request;
  const ObjectView& object = subject.written();
  std::optional<std::size_t> env = subject.environment;
  SourceKind kind = *subject.kind.source;
  SourceLocation location = object.source_location.value_or(SourceLocation{});
  std::string url = normalize_source_url(location.url);
  std::string object_name = request.namespace_ + "/" + request.name;
  // The first source whose URL (and names) match, with the ref it refuses.
  const ApprovedSource* url_match = nullptr;
  std::pair<std::string, std::string> refused;
  for (const ApprovedSource& source : rules.approved_sources) {
    if (source.kind != kind || !allowed_in(source, env) || !source.urls.matches(url)) continue;
    if (!source.names.empty() && !source.names.matches(object_name)) continue;
    auto ref = unapproved_ref(source, location);
    if (!ref) return;
    if (!url_match) {
      url_match = &source;
      refused = std::move(*ref);
    }
  }
  if (url_match) {
    const auto& ref = refused;
    findings.add(Rule::Source,
        subject.description() + " follows " + ref.first + " \"" + ref.second + "\" of " + location.url +
            ", which the approved source does not allow (allowed: " + allowed_refs(*url_match) +
            "); follow an approved ref, or approve it in the ReleasePolicy's gitops.sources");
    return;
  }
  findings.add(Rule::Source,
      subject.description() + " fetches from " + (location.url.empty() ? std::string("no URL") : location.url) +
          ", which is not an approved " + std::string(to_string(kind)) + " (approved: " +
          approved_list(rules, env, [&](const ApprovedSource& s) { return s.kind == kind; }) +
          "); fetch from an approved source, or approve this one in the ReleasePolicy's gitops.sources through Git");
}

// A Kustomization's sourceRef, a HelmRelease's chart source or chartRef, a
// HelmChart's sourceRef. The source object itself is checked when it is
// admitted; here its kind and namespace/name must be approved. A HelmChart
// (chartRef) is a source of its own, checked when admitted.
void check_reference(const Subject& subject, std::string_view field, const SourceReference& ref,
                     Findings& findings) {
  if (ref.kind == "HelmChart") return;
  const RuleSet& rules = subject.rules;
  std::optional<std::size_t> env = subject.environment;
  std::string ns = ref.namespace_.empty() ? subject.request.namespace_ : ref.namespace_;
  std::string target = ns + "/" + ref.name;
  // A reference to a kind that is no source kind matches no approved source.
  std::optional<SourceKind> kind = source_kind_from_string(ref.kind);
  auto kind_matches = [&](const ApprovedSource& s) { return kind && s.kind == *kind; };
  bool approved = std::any_of(rules.approved_sources.begin(), rules.approved_sources.end(), [&](const ApprovedSource& s) {
    return kind_matches(s) && allowed_in(s, env) && (s.names.empty() || s.names.matches(target));
  });
  if (approved) return;
  findings.add(Rule::Source,
      subject.description() + " " + std::string(field) + " " + (ref.kind.empty() ? std::string("(no kind)") : ref.kind) + "/" +
          target + " is not an approved source" + (env ? " for " + rules.environments[*env].name : std::string()) +
          " (approved: " + approved_list(rules, env, kind_matches, true) +
          "); reference an approved source, or approve it in the ReleasePolicy's gitops.sources through Git");
}

// An Argo CD Application source: repoURL must be an approved source (Git,
// or a Helm/OCI repository when a chart is named), and for Git its
// targetRevision an approved branch, tag, semver range or (if allowed)
// commit. An empty targetRevision means HEAD.
void check_application_source(const Subject& subject, const ApplicationSource& app, Findings& findings) {
  const RuleSet& rules = subject.rules;
  std::optional<std::size_t> env = subject.environment;
  bool helm = !app.chart.empty();
  std::string url = normalize_source_url(app.repo_url);
  // Argo CD writes OCI Helm repositories without a scheme.
  std::string oci_url = normalize_chart_repository_url(app.repo_url);
  auto kind_matches = [&](const ApprovedSource& s) {
    return helm ? s.kind == SourceKind::HelmRepository || s.kind == SourceKind::OCIRepository
                : s.kind == SourceKind::GitRepository;
  };
  std::string revision = app.target_revision.empty() ? "HEAD" : app.target_revision;
  const ApprovedSource* url_match = nullptr;
  for (const ApprovedSource& s : rules.approved_sources) {
    if (!kind_matches(s) || !allowed_in(s, env) || !(s.urls.matches(url) || s.urls.matches(oci_url))) continue;
    // For a chart, targetRevision is its version: chart promotion checks it.
    if (helm || s.any_ref()) return;
    // Argo CD also takes full refs; they match like Flux's spec.ref.name.
    std::string_view rev = revision;
    bool ok = rev.starts_with("refs/heads/") ? s.branches.matches(rev.substr(11))
              : rev.starts_with("refs/tags/") ? s.tags.matches(rev.substr(10))
              : is_commit_sha(revision)       ? s.allow_commits
                                              : s.branches.matches(revision) || s.tags.matches(revision) ||
                                              s.semver.matches(revision);
    if (ok) return;
    url_match = &s;
  }
  std::string env_text = env ? " in " + rules.environments[*env].name : std::string();
  if (url_match) {
    findings.add(Rule::Source,
        subject.description() + " tracks targetRevision \"" + revision + "\" of " + app.repo_url + ", which is not allowed" +
            env_text + " (allowed: " + allowed_refs(*url_match) +
            "); set targetRevision to an approved branch or tag in Git");
    return;
  }
  findings.add(Rule::Source,
      subject.description() + " fetches from " + (app.repo_url.empty() ? std::string("no repoURL") : app.repo_url) +
          ", which is not an approved " + (helm ? "Helm repository" : "Git repository") + env_text +
          " (approved: " + approved_list(rules, env, kind_matches) +
          "); fetch from an approved source, or approve this one in the ReleasePolicy's gitops.sources through Git");
}

}  // namespace

void check_sources(const Subject& subject, Findings& findings) {
  const ObjectView& object = subject.written();
  switch (subject.kind.kind_class) {
    case KindClass::FluxSource: return check_source_object(subject, findings);
    case KindClass::ArgoApplication:
      for (const ApplicationSource& source : object.application_sources) check_application_source(subject, source, findings);
      if (object.application_sources.empty()) check_application_source(subject, {}, findings);
      return;
    case KindClass::FluxDelivery:
    case KindClass::HelmChart:
      if (object.helm_chart) {
        const HelmChart& chart = *object.helm_chart;
        SourceReference ref{chart.source_kind, chart.source_name, chart.source_namespace};
        const char* field = subject.kind.kind_class == KindClass::HelmChart ? "sourceRef"
                            : chart.chart_ref                               ? "chartRef"
                                                                            : "chart source";
        check_reference(subject, field, ref, findings);
      } else if (object.source_ref) {
        check_reference(subject, "sourceRef", *object.source_ref, findings);
      }
      return;
    default: return;
  }
}

}  // namespace releasegate::engine
