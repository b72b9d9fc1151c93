// Rule evidence: in an environment that requires it (`requires:
// {evidenceFrom, soak}`), every version that can run there is admitted only
// once it ran healthy long enough in the environments before
// (engine/evidence_requirement.h): the images of every workload kind and
// of Pods, the chart version of a HelmRelease (spec.chart), a Flux
// HelmChart and an Argo CD Application. A HelmRelease whose spec.chartRef
// names an OCIRepository installs whatever tag the source holds, which no
// evidence can be asked of: it is denied there.
// Only what an object changes is judged, as for promotion, so that scaling
// or re-applying a running version never waits for evidence; versions not
// promoted here are left to the promotion rules. What kube-controller-
// manager makes for an owner (a ReplicaSet's Pods, a Deployment's
// ReplicaSets) runs what the owner was admitted with, and is not judged
// again: a drain or a scale-up never waits for evidence
// (core/evidence.h's kOwnedObjectMakers).
#include <algorithm>

#include "core/image_reference.h"
#include "engine/evidence_requirement.h"
#include "engine/promotion_checks.h"

namespace releasegate::engine {
namespace {

bool is_promoted_image(const RuleSet& rules, std::size_t env, const ImageReference& ref, EvidenceVersion& version) {
  PromotedVersions promoted = rules.promotions.find(version.key, env);
  if (!ref.digest.empty()) return promoted.has_digest(ref.digest);
  auto found = promoted.find_tag(ref.effective_tag());
  if (found) version.digest = std::string(found->digest);
  return found.has_value();
}

// The image versions the object newly runs, promoted to the environment.
std::vector<EvidenceVersion> new_images(const Subject& subject) {
  const RuleSet& rules = subject.rules;
  std::vector<EvidenceVersion> versions;
  const std::vector<ContainerImage>& images = subject.written().images;
  if (images.size() > kMaxImagesChecked) return versions;  // refused by the image checks
  for (const ContainerImage& image : images) {
    if (image.list == ContainerList::EphemeralContainers || image_unchanged(subject.request, image)) continue;
    ImageParseResult parsed = parse_image_reference(image.image);
    if (!parsed.reference) continue;
    const ImageReference& ref = *parsed.reference;
    EvidenceVersion version{EvidenceOf::Image, ref.repository(), std::string(ref.effective_tag()), ref.digest,
                            image.where() + ": image " + image.image};
    if (!ref.digest.empty() && ref.tag.empty()) version.tag.clear();
    if (rules.platform_images.matches(version.key) || !is_promoted_image(rules, *subject.environment, ref, version)) {
      continue;
    }
    versions.push_back(std::move(version));
  }
  return versions;
}

// The chart versions the object newly installs (new_chart_uses) that are
// promoted to the environment (the promotion rules deny the others).
std::vector<EvidenceVersion> new_charts(const Subject& subject) {
  std::vector<EvidenceVersion> versions;
  for (ChartUse& use : new_chart_uses(subject)) {
    if (!subject.rules.chart_promotions.find(use.key, *subject.environment).find_tag(use.version)) continue;
    versions.push_back({EvidenceOf::Chart, std::move(use.key), use.version, {},
                        "chart " + use.chart + " " + use.version + " (" + use.field + ")"});
  }
  return versions;
}

// A HelmRelease's spec.chartRef to an OCIRepository, newly: its version is
// the source's tag of the moment, which no evidence can be asked of. (A
// chartRef to a HelmChart is judged at the HelmChart, which the chart
// rules keep in the same environment.)
std::optional<std::string> unjudgeable_chart(const Subject& subject) {
  const auto& chart = subject.written().helm_chart;
  if (!chart || !chart->chart_ref || chart->source_kind == "HelmChart" || helm_chart_unchanged(subject.request)) {
    return std::nullopt;
  }
  const std::string& ns = chart->source_namespace.empty() ? subject.request.namespace_ : chart->source_namespace;
  const std::string& env = subject.environment_name();
  return "installs the chart of " + chart->source_kind + " " + ns + "/" + chart->source_name +
         " (spec.chartRef), whose version is the source's tag of the moment and cannot be held to evidence; " + env +
         " requires evidence (requires.evidenceFrom): use spec.chart with a promoted version, or a chartRef to a "
         "HelmChart in " + env;
}

}  // namespace

void check_evidence(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const Environment& environment = rules.environments[*subject.environment];
  if (!environment.evidence_required || environment.promotion_open || subject.at_rest ||
      makes_owned_objects(subject.kind.kind, subject.request.username)) {
    return;
  }
  std::vector<EvidenceVersion> versions = new_images(subject);
  for (EvidenceVersion& chart : new_charts(subject)) versions.push_back(std::move(chart));
  std::optional<std::string> unjudgeable = unjudgeable_chart(subject);
  if (versions.empty() && !unjudgeable) return;
  if (!versions.empty()) findings.evidence_dependent();
  std::vector<std::string> missing;
  if (unjudgeable) missing.push_back(std::move(*unjudgeable));
  for (const EvidenceVersion& version : versions) {
    if (auto why = missing_evidence(rules, *subject.environment, version, subject.observations)) {
      missing.push_back(std::move(*why));
    }
  }
  if (missing.empty()) return;
  if (auto reason = break_glass_reason(rules, subject.request, subject.object)) {
    return findings.break_glass(std::move(*reason));
  }
  for (std::string& why : missing) {
    findings.add(Rule::Evidence, subject.description() + ": " + why +
                                     "; wait, or let it run healthy there first (break-glass waives this)");
  }
}

}  // namespace releasegate::engine
