// Rules image-* (SPEC 4.5): every container image of a pod spec or pod
// template (containers, initContainers, ephemeralContainers).
#include "engine/promotion_checks.h"

namespace releasegate::engine {

void check_container_images(const Subject& subject, Findings& findings) {
  const std::vector<ContainerImage>& images = subject.written().images;
  if (images.size() > kMaxImagesChecked) {
    findings.add(Rule::ImageReference,
                 "the pod spec lists " + std::to_string(images.size()) + " containers; releasegate checks at most " +
                     std::to_string(kMaxImagesChecked) + " per object and refuses more: split the workload");
    return;
  }
  for (const ContainerImage& image : images) {
    std::string where = "container \"" + image.container + "\" (" + std::string(to_string(image.list)) + ")";
    check_image(subject.rules, *subject.environment, where, image.image, findings);
  }
}

}  // namespace releasegate::engine
