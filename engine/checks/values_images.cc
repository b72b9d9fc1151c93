// Images a HelmRelease sets in spec.values at the paths the policy names
// (images.helmValues), checked like container images.
#include "engine/promotion_checks.h"

namespace releasegate::engine {

void check_values_images(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const ObjectView& object = subject.written();
  std::size_t env = *subject.environment;
  if (object.helm_values.entries().empty() && !object.helm_values_truncated) return;
  // Fail closed: a path not found in values read only in part may be in the
  // part left unread, so the image it names could not be checked.
  auto unread = [&](const std::string& at) {
    findings.add(Rule::ImageReference, subject.description() + " sets spec.values beyond what releasegate reads " +
                                           "(1,024 leaves, 8 levels), so the image at values " + at +
                                           " cannot be checked; keep the values smaller in Git, or move them to a "
                                           "values file of the chart");
  };
  for (const ValuesImagePath& path : rules.values_images) {
    if (!path.image.empty()) {
      if (auto image = object.helm_values.find(path.image)) {
        check_image(rules, env, "values " + path.image, *image, findings);
      } else if (object.helm_values_truncated) {
        unread(path.image);
      }
      continue;
    }
    auto repository = object.helm_values.find(path.repository);
    if (!repository && object.helm_values_truncated) unread(path.repository);
    if (!repository) continue;  // the chart's default image: promoted with the chart
    std::string image;
    auto part = [&](const std::string& p) { return p.empty() ? std::nullopt : object.helm_values.find(p); };
    if (auto registry = part(path.registry); registry && !registry->empty()) image.append(*registry).append("/");
    image.append(*repository);
    auto tag = part(path.tag);
    auto digest = part(path.digest);
    if (tag && !tag->empty()) image.append(":").append(*tag);
    if (digest && !digest->empty()) image.append("@").append(*digest);
    bool tag_from_chart = (!tag || tag->empty()) && (!digest || digest->empty());
    check_image(rules, env, "values " + path.repository, image, findings, tag_from_chart);
  }
}

}  // namespace releasegate::engine
