// Approved identities and the marks of their own controllers: each GitOps
// controller counts only with the marks it writes, and an identity may be
// limited to some environments.
#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "tests/engine/engine_fixture.h"

namespace releasegate {
namespace {

// helm-controller (or the Argo CD controller) applying an object that
// carries a Kustomization's labels copied by hand proves nothing.
TEST_F(Engine, AnIdentityCountsOnlyWithItsOwnControllersMarks) {
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  EXPECT_EQ(run(spec).outcome, Outcome::Allow);
  for (const char* other : {"system:serviceaccount:flux-system:helm-controller",
                            "system:serviceaccount:argocd:argocd-application-controller"}) {
    spec.user = other;
    Evaluated e = run(spec);
    EXPECT_TRUE(e.has(Rule::Provenance)) << other;
    EXPECT_NE(e.message(Rule::Provenance).find("that this controller applies"), std::string::npos) << e.messages();
  }
}

// The test rules with `identities` (YAML list items) in place of theirs.
policy::LoadResult with_identities(const std::string& identities) {
  std::string policy = testing::kTestPolicy;
  auto at = policy.find("    identities:\n");
  auto end = policy.find("    deliveries:");
  policy.replace(at, end - at, "    identities:\n" + identities);
  return policy::compile_rules({{"p.yaml", policy}, {"q.yaml", testing::kTestPromotion}});
}

std::shared_ptr<const RuleSet> rules_with_identities(const std::string& identities) {
  policy::LoadResult loaded = with_identities(identities);
  if (!loaded.rules) ADD_FAILURE() << loaded.errors.front().to_string();
  return loaded.rules;
}

// A preview deployer that applies with Kustomization marks, in dev only.
TEST_F(Engine, AnIdentityLimitedToSomeEnvironmentsDeliversThereOnly) {
  auto limited = rules_with_identities(
      "      - system:serviceaccount:flux-system:kustomize-controller\n"
      "      - {name: \"system:serviceaccount:ci:preview\", delivers: [kustomization], environments: [dev]}\n");
  ASSERT_TRUE(limited);
  ReviewSpec dev = flux_deployment("dev", "ghcr.io/acme/podinfo:6.5.0");
  dev.user = "system:serviceaccount:ci:preview";
  EXPECT_EQ(evaluate(dev, *limited).outcome, Outcome::Allow) << evaluate(dev, *limited).messages();
  ReviewSpec staging = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  staging.user = "system:serviceaccount:ci:preview";
  EXPECT_TRUE(evaluate(staging, *limited).has(Rule::Provenance));
  staging.user = testing::kFluxKustomizeController;
  EXPECT_EQ(evaluate(staging, *limited).outcome, Outcome::Allow);
}

// An identity whose controller is not known by name says which marks it
// writes; a typo in what it delivers is a located error.
TEST(Identities, UnknownControllersSayWhichMarksTheyWrite) {
  policy::LoadResult unpaired = with_identities("      - system:serviceaccount:ci:deployer\n");
  ASSERT_FALSE(unpaired.rules);
  EXPECT_NE(unpaired.errors.front().message.find("say which marks it writes"), std::string::npos)
      << unpaired.errors.front().to_string();
  policy::LoadResult typo =
      with_identities("      - {name: \"system:serviceaccount:ci:deployer\", delivers: [kustomizations]}\n");
  ASSERT_FALSE(typo.rules);
  EXPECT_NE(typo.errors.front().message.find("delivers must list kustomization"), std::string::npos)
      << typo.errors.front().to_string();
}

}  // namespace
}  // namespace releasegate
