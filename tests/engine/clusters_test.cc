// The same object and user, decided by the releasegate of clusters with
// different labels: each hosts the environments its labels select.
#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "tests/engine/engine_fixture.h"

namespace releasegate {
namespace {

const char* const kPolicy = R"(apiVersion: releasegate.io/v1alpha1
kind: ReleasePolicy
metadata:
  name: fleet
spec:
  environments:
    - name: staging-europe
      clusters: {labels: {region: europe}}
      namespaces: [staging]
      after: []
    - name: prod-europe
      clusters: {labels: {region: europe}}
      namespaces: ["prod"]
      after: [staging-europe]
    - name: staging-us
      clusters: {labels: {region: us}}
      namespaces: [staging]
      after: []
    - name: prod-us
      clusters: {labels: {region: us}}
      namespaces: ["prod"]
      after: [staging-us, prod-europe]
  gitops:
    identities: [system:serviceaccount:flux-system:kustomize-controller]
    deliveries:
      - kustomization: flux-system/apps
)";

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
  policy::LoadResult loaded = policy::compile_rules({{"p.yaml", kPolicy}, {"q.yaml", kPromotion}}, options);
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

}  // namespace
}  // namespace releasegate
