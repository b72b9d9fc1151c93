#include "engine/digest_pins.h"

#include "engine/subject.h"
#include "core/image_reference.h"

namespace releasegate::engine {

namespace {

// Where a kind keeps its pod spec; empty when it has none. Workload
// templates only when opted in: pinning a Deployment's template makes GitOps
// tools report drift between Git and the cluster on every reconcile.
std::string_view pod_spec_pointer(const RuleSet& rules, const KindInfo* kind) {
  if (!kind) return {};
  if (kind->kind_class == KindClass::Pod) return kind->pod_spec;
  if (kind->kind_class == KindClass::Workload && rules.mutate_workload_templates) return kind->pod_spec;
  return {};
}

}  // namespace

std::vector<ImagePin> digest_pins(const RuleSet& rules, const AdmissionRequest& request) {
  std::vector<ImagePin> pins;
  const KindInfo* kind = find_kind(request.kind.group, request.kind.kind);
  std::string_view pod_spec = pod_spec_pointer(rules, kind);
  bool writes = request.operation == Operation::Create || request.operation == Operation::Update;
  if (pod_spec.empty() || !writes || !request.object) return pins;
  auto env = governed_environment(rules, request);
  if (!env || request.object->images.size() > kMaxImagesChecked) return pins;
  bool pod_update = request.operation == Operation::Update && kind->kind_class == KindClass::Pod;
  for (const ContainerImage& image : request.object->images) {
    // Ephemeral containers change only through their subresource, never by
    // a patch to the Pod: the apiserver refuses such a patch, and with it
    // the whole update.
    if (image.list == ContainerList::EphemeralContainers) continue;
    // A Pod's volumes are immutable once created: pinned on CREATE only.
    if (image.list == ContainerList::ImageVolumes && pod_update) continue;
    if (image_unchanged(request, image)) continue;
    ImageParseResult parsed = parse_image_reference(image.image);
    if (!parsed.reference || !parsed.reference->digest.empty() || parsed.reference->tag.empty()) continue;
    auto promoted = rules.promotions.find(parsed.reference->repository(), *env).find_tag(parsed.reference->tag);
    if (!promoted || promoted->digest.empty()) continue;
    pins.push_back({std::string(pod_spec) + "/" + image.field(), image.image + "@" + std::string(promoted->digest)});
  }
  return pins;
}

}  // namespace releasegate::engine
