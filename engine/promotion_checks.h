// One image or one chart version against the environment's rules: the
// shared core of the container, values and chart checks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/checks.h"

namespace releasegate::engine {

// One image and where it was found ("container \"web\" (containers)"):
// reference syntax, registry, forbidden tags, digest requirement, promotion.
// registry_only: the tag is a chart's default, which is not visible here.
void check_image(const RuleSet& rules, std::size_t env, std::string_view where, std::string_view image,
                 Findings& findings, bool registry_only = false);

// A chart version, as a HelmRelease, a HelmChart or an Argo CD Application
// writes it. It must be an exact version promoted to the environment: a
// range or a missing version lets the controller install any release.
struct ChartUse {
  std::string subject;  // "chart podinfo from HelmRepository/flux-system/podinfo"
  std::string chart;    // "podinfo"
  std::string key;      // into RuleSet::chart_promotions
  std::string version;  // as written
  std::string field;    // where it is written, for the fix
};
void check_chart(const RuleSet& rules, std::size_t env, const ChartUse& use, Findings& findings);

// An UPDATE that leaves a HelmRelease's or HelmChart's chart (name,
// version, source) as it was: its version is not judged again, so that
// helm-controller removing a finalizer never waits on a version unpromoted
// since (core/request.h, image_unchanged, is the same rule for images).
bool helm_chart_unchanged(const AdmissionRequest& request);

// The chart versions the written object newly installs: a HelmRelease's
// spec.chart, a HelmChart's spec.version, an Application's chart sources
// (each unless an UPDATE leaves it as it was; a chartRef is not one). What
// the chart rule and the evidence rule judge.
std::vector<ChartUse> new_chart_uses(const Subject& subject);

}  // namespace releasegate::engine
