// The same object and user, decided by the releasegate of clusters with
// different labels: each hosts the environments its labels select.
#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "tests/engine/engine_fixture.h"

namespace releasegate {
namespace {

const char* const kPromotion = R"(apiVersion: releasegate.io/v1alpha1
kind: Promotion
metadata:
  name: podinfo
spec:
  images:
    - repository: ghcr.io/acme/podinfo
      environments:
        staging-europe: ["6.5.0", "6.5.1"]
        prod-europe: ["6.5.0", "6.5.1"]
        staging-us: ["6.5.0", "6.5.1"]
        prod-us: ["6.5.0"]
)";

std::shared_ptr<const RuleSet> rules_of(const ClusterIdentity& cluster) {
  policy::LoadOptions options;
  options.cluster = cluster;
  policy::LoadResult loaded =
      policy::compile_rules({{"p.yaml", testing::kFleetPolicy}, {"q.yaml", kPromotion}}, options);
  if (!loaded.rules) ADD_FAILURE() << loaded.errors.front().to_string();
  return loaded.rules;
}

ReviewSpec prod_deployment(const std::string& image) {
  ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.object = testing::deployment("prod", image);
  return spec;
}

TEST(Clusters, TheSameDeploymentIsJudgedByTheEnvironmentItsClusterHosts) {
  auto europe = rules_of({"prod-eu-1", {{"region", "europe"}}});
  auto us = rules_of({"prod-us-1", {{"region", "us"}}});
  ASSERT_TRUE(europe && us);
  ReviewSpec spec = prod_deployment("ghcr.io/acme/podinfo:6.5.1");
  Evaluated in_europe = evaluate(spec, *europe);
  EXPECT_EQ(in_europe.outcome, Outcome::Allow) << in_europe.messages();
  EXPECT_EQ(in_europe.decision.environment, "prod-europe");
  Evaluated in_us = evaluate(spec, *us);
  EXPECT_TRUE(in_us.has(Rule::ImagePromotion)) << in_us.messages();
  EXPECT_NE(in_us.message(Rule::ImagePromotion).find("not promoted to prod-us"), std::string::npos);
  EXPECT_EQ(evaluate(prod_deployment("ghcr.io/acme/podinfo:6.5.0"), *us).outcome, Outcome::Allow);
  // A cluster that hosts none of them (not told its labels) governs nothing.
  auto unknown = rules_of({});
  EXPECT_EQ(evaluate(spec, *unknown).outcome, Outcome::NotGoverned);
}

// A hub cluster's Application or Kustomization that delivers to another
// cluster: the hub hosts none of the fleet's environments, but the
// delivery is governed by the strictest one its target namespace has in
// any cluster, so a hand edit of its revision is out-of-band.
TEST(Clusters, ADeliveryToAnotherClusterIsGovernedByEnvironmentsTheHubDoesNotHost) {
  auto hub = rules_of({"hub", {{"role", "management"}}});
  ASSERT_TRUE(hub);
  nlohmann::json app{{"apiVersion", "argoproj.io/v1alpha1"},
                     {"kind", "Application"},
                     {"metadata", {{"name", "podinfo-eu"}, {"namespace", "argocd"}}},
                     {"spec",
                      {{"project", "default"},
                       {"source", {{"repoURL", "https://github.com/acme/fleet"}, {"path", "podinfo"}}},
                       {"destination", {{"server", "https://eu-1.acme.example:6443"}, {"namespace", "prod"}}}}}};
  ReviewSpec spec;
  spec.group = "argoproj.io";
  spec.version = "v1alpha1";
  spec.kind = "Application";
  spec.namespace_ = "argocd";
  spec.name = "podinfo-eu";
  spec.user = "alice@acme.example";
  spec.object = app;
  Evaluated remote = evaluate(spec, *hub);
  EXPECT_TRUE(remote.has(Rule::Provenance)) << remote.messages();
  EXPECT_EQ(remote.decision.environment, "prod-us");  // the strictest prod, by the graph
  // The same Application delivering into the hub itself: the hub hosts no
  // prod, so it is not governed there.
  spec.object["spec"]["destination"]["server"] = "https://kubernetes.default.svc";
  EXPECT_EQ(evaluate(spec, *hub).outcome, Outcome::NotGoverned);
}

}  // namespace
}  // namespace releasegate
