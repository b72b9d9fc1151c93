// A HelmRelease's spec.chartRef to a HelmChart installs the HelmChart's
// version, which is checked where the HelmChart is admitted: against the
// HelmRelease's environment only when the HelmChart is governed as it.
#include <gtest/gtest.h>

#include "tests/engine/engine_fixture.h"

namespace releasegate {
namespace {

// A HelmRelease in `ns` taking its chart from `kind` in `ref_ns`.
nlohmann::json with_chart_ref(const std::string& ns, const std::string& kind, const std::string& ref_ns) {
  nlohmann::json hr = helm_release({}, ns);
  hr["spec"].erase("chart");
  hr["spec"]["chartRef"] = {{"kind", kind}, {"name", "podinfo"}, {"namespace", ref_ns}};
  return hr;
}

TEST_F(Charts, AChartRefToAHelmChartGovernedAsAnotherEnvironmentIsDenied) {
  // flux-system is exempt: a HelmChart there may carry a range (`6.x`).
  Evaluated exempt = release(with_chart_ref("staging", "HelmChart", "flux-system"), "staging");
  EXPECT_EQ(exempt.outcome, Outcome::Deny);
  ASSERT_TRUE(exempt.has(Rule::ChartPromotion)) << exempt.messages();
  EXPECT_NE(exempt.message(Rule::ChartPromotion).find("HelmChart flux-system/podinfo (spec.chartRef), which is "
                                                      "governed as no environment"),
            std::string::npos)
      << exempt.messages();
  Evaluated dev = release(with_chart_ref("prod", "HelmChart", "dev"), "prod");
  EXPECT_NE(dev.message(Rule::ChartPromotion).find("governed as environment dev"), std::string::npos)
      << dev.messages();
  // In the HelmRelease's own environment, the HelmChart's version was
  // checked against the same promotions when it was admitted.
  EXPECT_FALSE(release(with_chart_ref("staging", "HelmChart", "staging"), "staging").has(Rule::ChartPromotion));
  EXPECT_FALSE(release(with_chart_ref("staging", "HelmChart", ""), "staging").has(Rule::ChartPromotion));
  // An OCIRepository's tag is a source's ref, checked by the source rules.
  EXPECT_FALSE(release(with_chart_ref("staging", "OCIRepository", "flux-system"), "staging").has(Rule::ChartPromotion));
  // Where promotion is open, nothing is promoted to check against.
  EXPECT_FALSE(release(with_chart_ref("dev", "HelmChart", "flux-system"), "dev").has(Rule::ChartPromotion));
}

}  // namespace
}  // namespace releasegate
