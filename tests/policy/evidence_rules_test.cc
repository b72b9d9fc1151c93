// requires: {evidenceFrom, soak} on environments, and Evidence documents.
#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "tests/support/evidence_fixtures.h"

namespace releasegate {
namespace {

using testing::evidence_rules;

std::string errors_of(const policy::LoadResult& result) {
  std::string out;
  for (const auto& e : result.errors) out += e.to_string() + "\n";
  return out;
}

const Environment& environment(const RuleSet& rules, const std::string& name) {
  for (const Environment& env : rules.environments) {
    if (env.name == name) return env;
  }
  throw std::runtime_error("no environment " + name);
}

TEST(EvidenceRequirement, DefaultsToThePredecessors) {
  policy::LoadResult loaded = evidence_rules();
  ASSERT_TRUE(loaded.rules) << errors_of(loaded);
  const Environment& prod = environment(*loaded.rules, "prod");
  ASSERT_TRUE(prod.evidence_required);
  EXPECT_EQ(prod.evidence_required->soak_seconds, 1800);
  EXPECT_EQ(prod.evidence_required->from, std::vector<std::size_t>{1});  // staging
  EXPECT_FALSE(prod.evidence_required->any);
  EXPECT_FALSE(environment(*loaded.rules, "staging").evidence_required);
}

TEST(EvidenceRequirement, NamesAnyEarlierEnvironment) {
  policy::LoadResult loaded = evidence_rules({}, "requires: {evidenceFromAny: [dev, staging], soak: 1h30m}");
  ASSERT_TRUE(loaded.rules) << errors_of(loaded);
  const auto& requirement = *environment(*loaded.rules, "prod").evidence_required;
  EXPECT_EQ(requirement.from, (std::vector<std::size_t>{0, 1}));
  EXPECT_TRUE(requirement.any);
  EXPECT_EQ(requirement.soak_seconds, 5400);
}

TEST(EvidenceRequirement, RefusesWhatCannotBeMet) {
  struct Case {
    std::string requires_text;
    std::string error;
  } cases[] = {
      {"requires: {evidenceFrom: [prod], soak: 30m}", "which it does not come after"},
      {"requires: {evidenceFrom: [qa], soak: 30m}", "unknown environment \"qa\""},
      {"requires: {soak: 30}", "soak must be a duration"},
      {"requires: {soak: 31d}", "soak must be a duration"},
      {"requires: {evidenceFrom: [staging]}", "missing required field \"soak\""},
      {"requires: {evidenceFrom: [staging], evidenceFromAny: [dev], soak: 5m}", "keep one"},
      {"requires: {soak: 5m, sok: 5m}", "unknown field \"sok\""},
  };
  for (const Case& c : cases) {
    policy::LoadResult loaded = evidence_rules({}, c.requires_text);
    EXPECT_FALSE(loaded.rules) << c.requires_text;
    EXPECT_NE(errors_of(loaded).find(c.error), std::string::npos) << c.requires_text << "\n" << errors_of(loaded);
  }
}

TEST(EvidenceRequirement, TheFirstEnvironmentHasNoneToTakeFrom) {
  std::string policy = testing::evidence_policy();
  policy.replace(policy.find("      promotion: open\n"), 0, "      requires: {soak: 5m}\n");
  policy::LoadResult loaded = policy::compile_rules({{"policy.yaml", policy}});
  ASSERT_FALSE(loaded.rules);
  EXPECT_NE(errors_of(loaded).find("comes after no environment"), std::string::npos) << errors_of(loaded);
}

const std::string kEvidence = R"(apiVersion: releasegate.io/v1alpha1
kind: Evidence
metadata:
  name: staging-eu-1-staging
spec:
  cluster: staging-eu-1
  environment: staging
  images:
    - repository: ghcr.io/acme/podinfo
      tag: "6.5.1"
      digest: sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
      healthySince: "2026-12-02T14:02:00Z"
      observedUntil: "2026-12-02T14:45:00Z"
      object: Deployment staging/podinfo
  charts:
    - source: HelmRepository/flux-system/podinfo
      chart: podinfo
      version: 6.5.1
      healthySince: "2026-12-02T14:02:00Z"
      observedUntil: "2026-12-02T14:12:00+00:00"
)";

TEST(EvidenceDocument, CompilesIntoTheRuleSet) {
  policy::LoadResult loaded = evidence_rules({{"evidence.yaml", kEvidence}});
  ASSERT_TRUE(loaded.rules) << errors_of(loaded);
  const EvidenceSet& evidence = loaded.rules->evidence;
  ASSERT_EQ(evidence.size(), 2u);
  auto image = evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", testing::kDigest651);
  ASSERT_EQ(image.size(), 1u);
  EXPECT_EQ(image[0]->cluster, "staging-eu-1");
  EXPECT_EQ(image[0]->healthy_for(testing::kT0 + 86400), 43 * 60);
  EXPECT_EQ(image[0]->object, "Deployment staging/podinfo");
  EXPECT_NE(image[0]->origin.find("evidence.yaml:9"), std::string::npos) << image[0]->origin;
  // A digest decides when both sides have one; a tag when either lacks it.
  EXPECT_TRUE(evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", testing::kDigestOther).empty());
  EXPECT_EQ(evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", "").size(), 1u);
  EXPECT_TRUE(evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "prod", "6.5.1", "").empty());
  auto chart = evidence.find(EvidenceOf::Chart, "HelmRepository/flux-system/podinfo podinfo", "staging", "6.5.1", "");
  ASSERT_EQ(chart.size(), 1u);
  EXPECT_EQ(chart[0]->healthy_for(testing::kT0 + 86400), 600);
}

TEST(EvidenceDocument, ARecordCannotProveTimeToCome) {
  std::string future = kEvidence;
  future.replace(future.find("2026-12-02T14:45:00Z"), 20, "2030-01-01T00:00:00Z");
  policy::LoadResult loaded = evidence_rules({{"evidence.yaml", future}});
  ASSERT_TRUE(loaded.rules) << errors_of(loaded);
  auto image = loaded.rules->evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", "");
  ASSERT_EQ(image.size(), 1u);
  EXPECT_EQ(image[0]->healthy_for(testing::kT0 + 600), 600);
}

TEST(EvidenceDocument, ErrorsSayWhere) {
  struct Case {
    std::string from, to, error;
  } cases[] = {
      {"environment: staging", "environment: qa", "unknown environment \"qa\""},
      {"  cluster: staging-eu-1\n", "", "missing required field \"cluster\""},
      {"healthySince: \"2026-12-02T14:02:00Z\"\n      observedUntil: \"2026-12-02T14:45:00Z\"",
       "healthySince: \"2026-12-02T15:02:00Z\"\n      observedUntil: \"2026-12-02T14:45:00Z\"",
       "observedUntil is before healthySince"},
      {"\"2026-12-02T14:45:00Z\"", "yesterday", "must be an RFC 3339 time"},
      {"      tag: \"6.5.1\"\n      digest: sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n", "",
       "needs a tag, a digest or both"},
      {"version: 6.5.1", "version: \">=6.5.0\"", "exact SemVer version"},
      {"source: HelmRepository/flux-system/podinfo", "source: podinfo", "source must be Kind/namespace/name"},
      {"      object: Deployment staging/podinfo\n", "      objekt: x\n", "unknown field \"objekt\""},
  };
  for (const Case& c : cases) {
    std::string text = kEvidence;
    ASSERT_NE(text.find(c.from), std::string::npos) << c.from;
    text.replace(text.find(c.from), c.from.size(), c.to);
    policy::LoadResult loaded = evidence_rules({{"evidence.yaml", text}});
    EXPECT_FALSE(loaded.rules) << c.error;
    std::string errors = errors_of(loaded);
    EXPECT_NE(errors.find(c.error), std::string::npos) << c.error << "\n" << errors;
    EXPECT_NE(errors.find("evidence.yaml:"), std::string::npos) << errors;
  }
}

}  // namespace
}  // namespace releasegate
