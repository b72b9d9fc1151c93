// Rule chart-promotion (SPEC 4.6): the chart version a HelmRelease, a Flux
// HelmChart or an Argo CD Application installs is an exact version
// promoted to the environment.
#include "engine/promotion_checks.h"

#include <algorithm>

namespace releasegate::engine {
namespace {

// A HelmRelease's spec.chartRef to a HelmChart: the version it installs is
// the HelmChart's, checked against the promotions of the HelmChart's own
// environment when it is admitted. That holds for this HelmRelease only
// when the HelmChart is governed as the same environment.
void check_chart_ref(const Subject& subject, const HelmChart& chart, Findings& findings) {
  const RuleSet& rules = subject.rules;
  if (rules.environments[*subject.environment].promotion_open) return;
  const std::string& ns = chart.source_namespace.empty() ? subject.request.namespace_ : chart.source_namespace;
  std::optional<std::size_t> there =
      rules.exempt_namespaces.matches(ns) ? std::nullopt : rules.environment_for_namespace(ns);
  if (there == subject.environment) return;
  const std::string& env = subject.environment_name();
  findings.add(Rule::ChartPromotion,
               subject.description() + " installs the chart of HelmChart " + ns + "/" + chart.source_name +
                   " (spec.chartRef), which is governed as " +
                   (there ? "environment " + rules.environments[*there].name : std::string("no environment")) +
                   ", so its version is not checked against what is promoted to " + env +
                   "; put the HelmChart in a namespace of " + env + ", or use spec.chart with a promoted version");
}

}  // namespace

namespace {

bool application_source_unchanged(const AdmissionRequest& r, const ApplicationSource& source) {
  if (r.operation != Operation::Update || !r.old_object) return false;
  const auto& before = r.old_object->application_sources;
  return std::any_of(before.begin(), before.end(), [&](const ApplicationSource& old) {
    return old.repo_url == source.repo_url && old.chart == source.chart && old.target_revision == source.target_revision;
  });
}

}  // namespace

bool helm_chart_unchanged(const AdmissionRequest& r) {
  if (r.operation != Operation::Update || !r.old_object || !r.old_object->helm_chart || !r.object ||
      !r.object->helm_chart) {
    return false;
  }
  const HelmChart& before = *r.old_object->helm_chart;
  const HelmChart& after = *r.object->helm_chart;
  return before.chart == after.chart && before.version == after.version && before.source_kind == after.source_kind &&
         before.source_name == after.source_name && before.source_namespace == after.source_namespace;
}

std::vector<ChartUse> new_chart_uses(const Subject& subject) {
  std::vector<ChartUse> uses;
  const ObjectView& object = subject.written();
  const AdmissionRequest& r = subject.request;
  if (const auto& chart = object.helm_chart; chart && !chart->chart_ref && !helm_chart_unchanged(r)) {
    std::string ns = chart->source_namespace.empty() ? r.namespace_ : chart->source_namespace;
    bool helm_chart_object = subject.kind.kind_class == KindClass::HelmChart;
    uses.push_back({"chart " + chart->chart + " from " + chart->source_kind + "/" + ns + "/" + chart->source_name,
                    chart->chart, RuleSet::chart_key(chart->source_kind, ns, chart->source_name, chart->chart),
                    chart->version, helm_chart_object ? "spec.version" : "spec.chart.spec.version"});
  }
  for (const ApplicationSource& source : object.application_sources) {
    if (source.chart.empty() || application_source_unchanged(r, source)) continue;
    uses.push_back({"chart " + source.chart + " from " + source.repo_url, source.chart,
                    RuleSet::chart_key(source.repo_url, source.chart), source.target_revision,
                    "spec.source.targetRevision"});
  }
  return uses;
}

void check_charts(const Subject& subject, Findings& findings) {
  // With spec.chartRef the version is the OCIRepository's tag (checked as
  // a source) or the HelmChart's version, checked where it is admitted.
  if (const auto& chart = subject.written().helm_chart; chart && chart->chart_ref &&
                                                         chart->source_kind == "HelmChart" &&
                                                         !helm_chart_unchanged(subject.request)) {
    check_chart_ref(subject, *chart, findings);
  }
  for (const ChartUse& use : new_chart_uses(subject)) check_chart(subject.rules, *subject.environment, use, findings);
}

}  // namespace releasegate::engine
