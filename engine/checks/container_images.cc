// Rules image-* (SPEC 4.5): every image of a pod spec or pod template
// (containers, initContainers, ephemeralContainers, image volumes).
#include "engine/promotion_checks.h"

namespace releasegate::engine {

void check_container_images(const Subject& subject, Findings& findings) {
  const std::vector<ContainerImage>& images = subject.written().images;
  if (images.size() > kMaxImagesChecked) {
    findings.add(Rule::ImageReference,
                 "the pod spec names " + std::to_string(images.size()) + " images; releasegate checks at most " +
                     std::to_string(kMaxImagesChecked) + " per object and refuses more: split the workload");
    return;
  }
  for (const ContainerImage& image : images) {
    if (image_unchanged(subject.request, image)) continue;
    check_image(subject.rules, *subject.environment, image.where(), image.image, findings);
  }
}

}  // namespace releasegate::engine
