// Rules image-* (SPEC 4.5): every container image of a pod spec or pod
// template (containers, initContainers, ephemeralContainers).
#include "engine/promotion_checks.h"

namespace releasegate::engine {

void check_container_images(const Subject& subject, Findings& findings) {
  for (const ContainerImage& image : subject.written().images) {
    std::string where = "container \"" + image.container + "\" (" + std::string(to_string(image.list)) + ")";
    check_image(subject.rules, *subject.environment, where, image.image, findings);
  }
}

}  // namespace releasegate::engine
