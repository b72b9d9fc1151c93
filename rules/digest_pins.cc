#include "rules/digest_pins.h"

#include "rules/engine.h"
#include "rules/image_reference.h"

namespace releasegate::rules {

std::vector<ImagePin> digest_pins(const RuleSet& rules, const AdmissionRequest& request) {
  std::vector<ImagePin> pins;
  // Pods only: pinning a Deployment's template would make GitOps tools see
  // drift between Git and the cluster on every reconcile.
  bool pod = request.kind.group.empty() && request.kind.kind == "Pod";
  bool writes = request.operation == Operation::Create || request.operation == Operation::Update;
  if (!pod || !writes || !request.object) return pins;
  auto env = governed_environment(rules, request);
  if (!env) return pins;
  for (const ContainerImage& image : request.object->images) {
    ImageParseResult parsed = parse_image_reference(image.image);
    if (!parsed.reference || !parsed.reference->digest.empty() || parsed.reference->tag.empty()) continue;
    auto repo = rules.promotions.find(parsed.reference->repository());
    if (repo == rules.promotions.end()) continue;
    const EnvironmentVersions& versions = repo->second[*env];
    auto tag = versions.by_tag.find(parsed.reference->tag);
    if (tag == versions.by_tag.end()) continue;
    const std::string& digest = versions.versions[tag->second].digest;
    if (digest.empty()) continue;
    pins.push_back({image.list, image.index, image.image + "@" + digest});
  }
  return pins;
}

}  // namespace releasegate::rules
