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

bool application_source_unchanged(const AdmissionRequest& r, const ApplicationSource& source) {
  if (r.operation != Operation::Update || !r.old_object) return false;
  const auto& before = r.old_object->application_sources;
  return std::any_of(before.begin(), before.end(), [&](const ApplicationSource& old) {
    return old.repo_url == source.repo_url && old.chart == source.chart && old.target_revision == source.target_revision;
  });
}

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

void check_charts(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const ObjectView& object = subject.written();
  std::size_t env = *subject.environment;
  // With spec.chartRef the version is the OCIRepository's tag (checked as
  // a source) or the HelmChart's version, checked where it is admitted.
  if (const auto& chart = object.helm_chart; chart && chart->chart_ref && chart->source_kind == "HelmChart" &&
                                             !helm_chart_unchanged(subject.request)) {
    check_chart_ref(subject, *chart, findings);
  } else if (chart && !chart->chart_ref && !helm_chart_unchanged(subject.request)) {
    std::string ns = chart->source_namespace.empty() ? subject.request.namespace_ : chart->source_namespace;
    std::string source = chart->source_kind + "/" + ns + "/" + chart->source_name;
    bool helm_chart_object = subject.kind.kind_class == KindClass::HelmChart;
    check_chart(rules, env,
                {"chart " + chart->chart + " from " + source,
                 RuleSet::chart_key(chart->source_kind, ns, chart->source_name, chart->chart), chart->version,
                 helm_chart_object ? "spec.version" : "spec.chart.spec.version"},
                findings);
  }
  for (const ApplicationSource& source : object.application_sources) {
    if (source.chart.empty() || application_source_unchanged(subject.request, source)) continue;
    check_chart(rules, env,
                {"chart " + source.chart + " from " + source.repo_url, RuleSet::chart_key(source.repo_url, source.chart),
                 source.target_revision, "spec.source.targetRevision"},
                findings);
  }
}

}  // namespace releasegate::engine
