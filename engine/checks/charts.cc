// Rule chart-promotion (SPEC 4.6): the chart version a HelmRelease, a Flux
// HelmChart or an Argo CD Application installs is an exact version
// promoted to the environment.
#include "engine/promotion_checks.h"

namespace releasegate::engine {

void check_charts(const Subject& subject, Findings& findings) {
  const RuleSet& rules = subject.rules;
  const ObjectView& object = subject.written();
  std::size_t env = *subject.environment;
  // With spec.chartRef the version is the OCIRepository's tag or the
  // HelmChart's version, checked where that object is admitted.
  if (const auto& chart = object.helm_chart; chart && !chart->chart_ref) {
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
    if (source.chart.empty()) continue;
    check_chart(rules, env,
                {"chart " + source.chart + " from " + source.repo_url, RuleSet::chart_key(source.repo_url, source.chart),
                 source.target_revision, "spec.source.targetRevision"},
                findings);
  }
}

}  // namespace releasegate::engine
