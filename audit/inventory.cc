#include "audit/inventory.h"

#include "core/image_reference.h"
#include "kube/object_fields.h"

namespace releasegate::audit {
namespace {

using nlohmann::json;

using kube::text_at;
constexpr auto at = kube::field_at;

// "docker-pullable://ghcr.io/acme/web@sha256:..." or "ghcr.io/...@sha256:..."
// (the kubelet's and the runtime's forms): the digest after '@'.
std::string digest_of(const std::string& image_id) {
  auto at_sign = image_id.rfind('@');
  if (at_sign != std::string::npos) return image_id.substr(at_sign + 1);
  return image_id.starts_with("sha256:") ? image_id : std::string();
}

}  // namespace

void InventoryBuilder::add_pod(const std::string& environment, const ListedObject& pod, const ObjectView& spec) {
  if (pod.phase == "Succeeded" || pod.phase == "Failed") return;
  auto add = [&](const std::string& image_text, const std::string& image_id) {
    auto parsed = parse_image_reference(image_text);
    if (!parsed.reference) return;
    const ImageReference& image = *parsed.reference;
    count(environment, image.repository(), image.tag, image_id.empty() ? image.digest : digest_of(image_id), false);
  };
  if (!pod.container_statuses.empty()) {
    for (const auto& [image, image_id] : pod.container_statuses) add(image, image_id);
    return;
  }
  for (const ContainerImage& image : spec.images) {
    if (image.list == ContainerList::Containers) add(image.image, "");
  }
}

void InventoryBuilder::add_helm_release(const std::string& environment, const json& release) {
  // helm-controller v2 records each release in status.history (newest
  // first); v2beta releases say status.lastAppliedRevision.
  std::string chart = text_at(release, "/status/history/0/chartName");
  std::string version = text_at(release, "/status/history/0/chartVersion");
  if (version.empty()) version = text_at(release, "/status/lastAppliedRevision");
  if (chart.empty()) chart = text_at(release, "/spec/chart/spec/chart");
  if (chart.empty()) chart = text_at(release, "/spec/chartRef/name");
  if (version.empty()) version = text_at(release, "/spec/chart/spec/version") + " (not yet applied)";
  if (chart.empty()) return;
  std::string key;  // none for spec.chartRef: no evidence to look up
  if (const json* source = at(release, "/spec/chart/spec/sourceRef"); source && source->is_object()) {
    std::string ns = text_at(*source, "/namespace");
    if (ns.empty()) ns = text_at(release, "/metadata/namespace");
    key = RuleSet::chart_key(text_at(*source, "/kind"), ns, text_at(*source, "/name"), chart);
  }
  count(environment, chart, version, "", true, key);
}

void InventoryBuilder::count(const std::string& environment, const std::string& artifact, const std::string& version,
                             const std::string& digest, bool chart, const std::string& chart_key) {
  ++counts_[{environment, artifact, version, digest, chart, chart_key}];
}

Inventory InventoryBuilder::finish(const RuleSet& rules, const engine::Observations& observations) const {
  Inventory out;
  out.reserve(counts_.size());
  for (const auto& [key, n] : counts_) {
    const auto& [environment, artifact, version, digest, chart, chart_key] = key;
    RunningVersion v{environment, artifact, version, digest, chart, n, chart_key, "none"};
    engine::EvidenceVersion of{chart ? EvidenceOf::Chart : EvidenceOf::Image, chart ? chart_key : artifact, version,
                               digest, {}};
    if (!chart || !chart_key.empty()) v.evidence = engine::evidence_summary(rules, environment, of, observations);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace releasegate::audit
