// Rule evidence: in an environment that requires it (`requires:
// {evidenceFrom, soak}`), a Deployment, StatefulSet or DaemonSet image, or
// a HelmRelease chart version, is admitted only once it ran healthy long
// enough in the environments before (engine/evidence_requirement.h).
// Only what an object changes is judged, as for promotion, so that scaling
// or re-applying a running version never waits for evidence; versions not
// promoted here are left to the promotion rules.
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

// A HelmRelease's spec.chart version, when it changes to an exact version
// promoted to the environment.
std::optional<EvidenceVersion> new_chart(const Subject& subject) {
  const auto& chart = subject.written().helm_chart;
  const AdmissionRequest& r = subject.request;
  if (!chart || chart->chart_ref || helm_chart_unchanged(r)) return std::nullopt;
  const std::string& ns = chart->source_namespace.empty() ? r.namespace_ : chart->source_namespace;
  std::string key = RuleSet::chart_key(chart->source_kind, ns, chart->source_name, chart->chart);
  if (!subject.rules.chart_promotions.find(key, *subject.environment).find_tag(chart->version)) return std::nullopt;
  return EvidenceVersion{EvidenceOf::Chart, key, chart->version, {},
                         "chart " + chart->chart + " " + chart->version + " (spec.chart.spec.version)"};
}

}  // namespace

void check_evidence(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const Environment& environment = rules.environments[*subject.environment];
  if (!environment.evidence_required || environment.promotion_open || subject.at_rest ||
      !is_evidence_kind(subject.kind.kind)) {
    return;
  }
  std::vector<EvidenceVersion> versions = new_images(subject);
  if (auto chart = new_chart(subject)) versions.push_back(std::move(*chart));
  if (versions.empty()) return;
  findings.evidence_dependent();
  std::vector<std::string> missing;
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
