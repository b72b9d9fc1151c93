#include "engine/promotion_checks.h"

#include "core/chart_version.h"
#include "core/image_reference.h"

namespace releasegate::engine {
namespace {

// ", after staging" (the environments a version must have passed first);
// nothing for an environment that comes after none.
std::string after_text(const RuleSet& rules, const Environment& env) {
  std::string before = predecessors_text(rules, env);
  return before.empty() ? std::string() : ", after " + before;
}

constexpr std::size_t kVersionsShownInMessages = 5;

std::string short_version(const PromotedVersion& v) {
  // Digests are long; 12 hex characters identify one in a message.
  std::string text = v.text();
  auto colon = text.find("sha256:");
  if (colon != std::string::npos && text.size() > colon + 7 + 12) text = text.substr(0, colon + 7 + 12) + "...";
  return text;
}

std::string promoted_list(const PromotedVersions& promoted) {
  std::vector<PromotedVersion> versions = promoted.in_written_order();
  if (versions.empty()) return "nothing promoted";
  std::string out = "promoted: ";
  std::size_t shown = 0;
  // Newest promotions are usually appended; show the most recent first.
  for (auto it = versions.rbegin(); it != versions.rend() && shown < kVersionsShownInMessages; ++it, ++shown) {
    out += (shown ? ", " : "") + short_version(*it);
  }
  if (versions.size() > shown) out += " and " + std::to_string(versions.size() - shown) + " more";
  return out;
}

}  // namespace

void check_image(const RuleSet& rules, std::size_t env, std::string_view where, std::string_view image_text,
                 Findings& findings, bool registry_only) {
  const Environment& environment = rules.environments[env];
  std::string image(image_text);
  auto add = [&](Rule rule, std::string message) {
    findings.add(rule, std::string(where) + ": " + std::move(message));
  };
  ImageParseResult parsed = parse_image_reference(image);
  if (!parsed.reference) {
    add(Rule::ImageReference, "image \"" + image + "\" is not a valid image reference (" + parsed.error +
                                  "); write registry/repository:tag or @sha256:digest");
    return;
  }
  const ImageReference& ref = *parsed.reference;
  std::string repository = ref.repository();
  PromotedVersions versions = rules.promotions.find(repository, env);
  if (!rules.registries.empty() && !rules.registries.matches(repository)) {
    add(Rule::ImageRegistry, "image " + image + " comes from " + repository +
                                 ", which is not an allowed registry (allowed: " + rules.registries.describe() +
                                 "); push the image to an allowed registry");
  }
  if (registry_only) return;
  if (ref.digest.empty()) {
    std::string_view tag = ref.effective_tag();
    if (rules.forbidden_tags.contains(tag)) {
      add(Rule::ImageForbiddenTag, "image " + image + " uses the tag \"" + std::string(tag) +
                                       "\"" + (ref.tag.empty() ? " (implied by a missing tag)" : "") +
                                       ", which is forbidden; use a versioned tag or a digest");
    }
    if (environment.require_digest) {
      // Name the promoted digest when there is one: the fix is then a copy.
      std::string pinned = ref.normalized() + "@sha256:<digest>";
      auto promoted = versions.find_tag(tag);
      if (promoted && !promoted->digest.empty()) pinned = image + "@" + std::string(promoted->digest);
      add(Rule::ImageDigestRequired, "image " + image + " is not pinned to a digest, which " + environment.name +
                                         " requires; write it as " + pinned);
    }
  }
  if (environment.promotion_open || rules.platform_images.matches(repository)) return;
  bool promoted = ref.digest.empty() ? versions.find_tag(ref.effective_tag()).has_value()
                                     : versions.has_digest(ref.digest);
  if (!promoted) {
    std::string what = ref.digest.empty() ? "tag " + std::string(ref.effective_tag()) : "digest " + ref.digest;
    add(Rule::ImagePromotion, "image " + image + " is not promoted to " + environment.name + " (" + what +
                                  "; " + promoted_list(versions) + "); promote it to " + environment.name +
                                  " in a Promotion record in Git" + after_text(rules, environment));
  }
}

void check_chart(const RuleSet& rules, std::size_t env, const ChartUse& use, Findings& findings) {
  const Environment& environment = rules.environments[env];
  if (environment.promotion_open) return;
  PromotedVersions versions = rules.chart_promotions.find(use.key, env);
  std::string fix = "; pin " + use.field + " to a version promoted to " + environment.name + " (" +
                    promoted_list(versions) + ")";
  std::string problem;
  if (use.version.empty()) {
    problem = use.subject + " has no version, so the latest is installed" + fix;
  } else if (!is_exact_chart_version(use.version)) {
    problem = use.subject + " version \"" + use.version + "\" is a range, not a promoted version" + fix;
  } else if (!versions.find_tag(use.version)) {
    problem = use.subject + " version " + use.version + " is not promoted to " + environment.name + " (" +
              promoted_list(versions) + "); promote it to " + environment.name +
              " in a Promotion record in Git" + after_text(rules, environment);
  }
  if (!problem.empty()) findings.add(Rule::ChartPromotion, std::move(problem));
}

}  // namespace releasegate::engine
