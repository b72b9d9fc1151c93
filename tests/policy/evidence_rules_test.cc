// requires: {evidenceFrom, soak} on environments, and Evidence documents.
#include <gtest/gtest.h>

#include <functional>

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

// What staging-eu-1 proved in staging: the predicate of a signed statement.
nlohmann::json staging_predicate() {
  return {{"cluster", "staging-eu-1"},
          {"environment", "staging"},
          {"images",
           {{{"repository", "ghcr.io/acme/podinfo"},
             {"tag", "6.5.1"},
             {"digest", testing::kDigest651},
             {"healthySince", "2026-12-02T14:02:00Z"},
             {"observedUntil", "2026-12-02T14:45:00Z"},
             {"object", "Deployment staging/podinfo"}}}},
          {"charts",
           {{{"source", "HelmRepository/flux-system/podinfo"},
             {"chart", "podinfo"},
             {"version", "6.5.1"},
             {"healthySince", "2026-12-02T14:02:00Z"},
             {"observedUntil", "2026-12-02T14:12:00+00:00"}}}}};
}

const std::string kEvidenceName = "staging-eu-1-staging";

TEST(EvidenceDocument, CompilesIntoTheRuleSet) {
  policy::LoadResult loaded = evidence_rules({{"evidence.yaml", testing::signed_evidence(kEvidenceName, staging_predicate())}});
  ASSERT_TRUE(loaded.rules) << errors_of(loaded);
  const EvidenceSet& evidence = loaded.rules->evidence;
  ASSERT_EQ(evidence.size(), 2u);
  auto image = evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", testing::kDigest651);
  ASSERT_EQ(image.size(), 1u);
  EXPECT_EQ(image[0]->cluster, "staging-eu-1");
  EXPECT_EQ(image[0]->healthy_for(testing::kT0 + 86400), 43 * 60);
  EXPECT_EQ(image[0]->object, "Deployment staging/podinfo");
  EXPECT_NE(image[0]->origin.find("evidence.yaml:"), std::string::npos) << image[0]->origin;
  // A digest decides when both sides have one; a tag when either lacks it.
  EXPECT_TRUE(evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", testing::kDigestOther).empty());
  EXPECT_EQ(evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", "").size(), 1u);
  EXPECT_TRUE(evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "prod", "6.5.1", "").empty());
  auto chart = evidence.find(EvidenceOf::Chart, "HelmRepository/flux-system/podinfo podinfo", "staging", "6.5.1", "");
  ASSERT_EQ(chart.size(), 1u);
  EXPECT_EQ(chart[0]->healthy_for(testing::kT0 + 86400), 600);
}

TEST(EvidenceDocument, ARecordCannotProveTimeToCome) {
  nlohmann::json future = staging_predicate();
  future["images"][0]["observedUntil"] = "2030-01-01T00:00:00Z";
  policy::LoadResult loaded = evidence_rules({{"evidence.yaml", testing::signed_evidence(kEvidenceName, future)}});
  ASSERT_TRUE(loaded.rules) << errors_of(loaded);
  auto image = loaded.rules->evidence.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", "");
  ASSERT_EQ(image.size(), 1u);
  EXPECT_EQ(image[0]->healthy_for(testing::kT0 + 600), 600);
}

TEST(EvidenceDocument, ErrorsInTheSignedStatementSayWhere) {
  struct Case {
    std::function<void(nlohmann::json&)> change;
    std::string error;
  } cases[] = {
      {[](nlohmann::json& p) { p["environment"] = "qa"; }, "unknown environment \"qa\""},
      {[](nlohmann::json& p) { p.erase("cluster"); }, "missing required field \"cluster\""},
      {[](nlohmann::json& p) { p["images"][0]["healthySince"] = "2026-12-02T15:02:00Z"; },
       "observedUntil is before healthySince"},
      {[](nlohmann::json& p) { p["images"][0]["observedUntil"] = "yesterday"; }, "must be an RFC 3339 time"},
      {[](nlohmann::json& p) { p["images"][0].erase("tag"), p["images"][0].erase("digest"); },
       "needs a tag, a digest or both"},
      {[](nlohmann::json& p) { p["charts"][0]["version"] = ">=6.5.0"; }, "exact SemVer version"},
      {[](nlohmann::json& p) { p["charts"][0]["source"] = "podinfo"; }, "source must be Kind/namespace/name"},
      {[](nlohmann::json& p) { p["images"][0]["objekt"] = "x"; }, "unknown field \"objekt\""},
  };
  for (const Case& c : cases) {
    nlohmann::json predicate = staging_predicate();
    c.change(predicate);
    policy::LoadResult loaded = evidence_rules({{"evidence.yaml", testing::signed_evidence(kEvidenceName, predicate)}});
    EXPECT_FALSE(loaded.rules) << c.error;
    std::string errors = errors_of(loaded);
    EXPECT_NE(errors.find(c.error), std::string::npos) << c.error << "\n" << errors;
    EXPECT_NE(errors.find("evidence.yaml"), std::string::npos) << errors;
  }
}

// The subjects are what in-toto tools read: a statement whose subjects do
// not name the digests its predicate proves is refused.
TEST(EvidenceDocument, TheSubjectsMustNameTheDigestsProved) {
  nlohmann::json statement = {{"_type", kInTotoStatementType},
                              {"subject", nlohmann::json::array()},
                              {"predicateType", kEvidencePredicateType},
                              {"predicate", staging_predicate()}};
  signing::Envelope envelope =
      signing::sign_envelope(signing::kInTotoPayloadType, statement.dump(), testing::test_signing_key());
  std::string text = "apiVersion: releasegate.io/v1alpha1\nkind: Evidence\nmetadata: {name: x}\nspec:\n  payloadType: " +
                     envelope.payload_type + "\n  payload: " + signing::base64_encode(envelope.payload) +
                     "\n  signatures: [{sig: " + signing::base64_encode(envelope.signatures[0].sig) + "}]\n";
  policy::LoadResult loaded = evidence_rules({{"evidence.yaml", text}});
  EXPECT_FALSE(loaded.rules);
  EXPECT_NE(errors_of(loaded).find("subjects do not name ghcr.io/acme/podinfo@sha256:"), std::string::npos)
      << errors_of(loaded);
}

// Evidence counts only when a key the policy trusts for the cluster and the
// environment it claims signed it: written in the clear, signed by an
// unknown key, claimed for another cluster or environment, or altered
// after signing, it is refused, saying why.
TEST(EvidenceTrust, OnlyEvidenceSignedByAKeyTrustedForItsClusterAndEnvironmentCounts) {
  signing::SigningKey stranger = signing::SigningKey::generate(signing::KeyType::EcdsaP256);
  nlohmann::json dev = staging_predicate();
  dev["environment"] = "dev";
  nlohmann::json other_cluster = staging_predicate();
  other_cluster["cluster"] = "staging-us-1";
  std::string tampered = testing::signed_evidence(kEvidenceName, staging_predicate());
  {
    // The payload replaced by one proving a week, the signature kept.
    nlohmann::json week = staging_predicate();
    week["images"][0]["healthySince"] = "2026-11-25T14:02:00Z";
    std::string forged = testing::signed_evidence(kEvidenceName, week, stranger);
    auto payload = [](const std::string& doc) {
      auto at = doc.find("payload: ") + 9;
      return doc.substr(at, doc.find('\n', at) - at);
    };
    tampered.replace(tampered.find(payload(tampered)), payload(tampered).size(), payload(forged));
  }
  struct Case {
    std::string name, text, error;
  } cases[] = {
      {"in the clear",
       "apiVersion: releasegate.io/v1alpha1\nkind: Evidence\nmetadata: {name: x}\nspec:\n  cluster: staging-eu-1\n"
       "  environment: staging\n  images: []\n",
       "Evidence x is not signed"},
      {"an unknown key", testing::signed_evidence(kEvidenceName, staging_predicate(), stranger),
       "its signature does not verify with any key trusted for them"},
      {"another cluster", testing::signed_evidence(kEvidenceName, other_cluster),
       "no key is trusted for cluster staging-us-1"},
      {"an environment the key may not prove", testing::signed_evidence(kEvidenceName, dev),
       "is trusted for environment dev"},
      {"altered after signing", tampered, "its signature does not verify"},
  };
  for (const Case& c : cases) {
    policy::LoadResult loaded = evidence_rules({{"evidence.yaml", c.text}});
    EXPECT_FALSE(loaded.rules) << c.name;
    EXPECT_NE(errors_of(loaded).find(c.error), std::string::npos) << c.name << "\n" << errors_of(loaded);
  }
}

// A rotation: the old and the new key trusted together, each verifies
// what it signed; a key trusted for another cluster proves nothing here.
TEST(EvidenceTrust, SeveralKeysForAClusterDuringARotation) {
  signing::SigningKey next = signing::SigningKey::generate(signing::KeyType::EcdsaP256);
  signing::SigningKey us = signing::SigningKey::generate(signing::KeyType::Ed25519);
  std::string more = testing::trust_entry("staging-eu-1", "[staging]", next.public_key()) +
                     testing::trust_entry("staging-us-1", "[staging]", us.public_key());
  nlohmann::json other = staging_predicate();
  other["cluster"] = "staging-us-1";
  std::vector<policy::RuleSource> sources = {
      {"policy.yaml", testing::evidence_policy("requires: {soak: 30m}", more)},
      {"promotion.yaml", testing::kEvidencePromotion},
      {"old.yaml", testing::signed_evidence("old", staging_predicate())},
      {"new.yaml", testing::signed_evidence("new", staging_predicate(), next)},
      {"us.yaml", testing::signed_evidence("us", other, us)}};
  policy::LoadResult loaded = policy::compile_rules(sources);
  ASSERT_TRUE(loaded.rules) << errors_of(loaded);
  EXPECT_EQ(loaded.rules->evidence.size(), 6u);
  sources[4] = {"us.yaml", testing::signed_evidence("us", other, next)};
  EXPECT_NE(errors_of(policy::compile_rules(sources)).find("does not verify"), std::string::npos)
      << "staging-eu-1's key signs nothing for staging-us-1";
}

// A key retired at 14:30 (validUntil) still vouches for what was observed
// before then, and for nothing after: a stolen key cannot extend a soak.
TEST(EvidenceTrust, ARetiredKeyVouchesForNothingObservedAfterItsValidUntil) {
  signing::SigningKey retired = signing::SigningKey::generate(signing::KeyType::EcdsaP256);
  std::string policy = testing::evidence_policy(
      "requires: {soak: 30m}", testing::trust_entry("staging-eu-1", "[staging]", retired.public_key(), "2026-12-02T14:30:00Z"));
  nlohmann::json before = staging_predicate();
  before.erase("charts");
  before["images"][0]["observedUntil"] = "2026-12-02T14:20:00Z";
  nlohmann::json after = before;
  after["images"][0]["observedUntil"] = "2026-12-02T14:45:00Z";
  auto compile = [&](const nlohmann::json& predicate) {
    return policy::compile_rules({{"policy.yaml", policy},
                                  {"promotion.yaml", testing::kEvidencePromotion},
                                  {"evidence.yaml", testing::signed_evidence(kEvidenceName, predicate, retired)}});
  };
  policy::LoadResult ok = compile(before);
  ASSERT_TRUE(ok.rules) << errors_of(ok);
  EXPECT_EQ(ok.rules->evidence.size(), 1u);
  policy::LoadResult refused = compile(after);
  EXPECT_FALSE(refused.rules);
  EXPECT_NE(errors_of(refused).find("a retired key vouches for nothing after it"), std::string::npos)
      << errors_of(refused);
  // The same record signed by a key without validUntil counts.
  EXPECT_TRUE(evidence_rules({{"evidence.yaml", testing::signed_evidence(kEvidenceName, after)}}).rules);
}

TEST(EvidenceTrust, TrustEntriesAreChecked) {
  struct Case {
    std::string entry, error;
  } cases[] = {
      {testing::trust_entry("staging-eu-1", "[qa]", testing::test_signing_key().public_key()),
       "evidence.trust: no environment named \"qa\""},
      {"      - cluster: staging-eu-1\n        environments: [staging]\n        publicKeys: [\"not a key\"]\n",
       "a public key that cannot be used"},
      {"      - cluster: staging-eu-1\n        environments: [staging]\n", "missing required field \"publicKeys\""},
      {testing::trust_entry("staging-eu-1", "[staging]", testing::test_signing_key().public_key(), "soon"),
       "validUntil must be an RFC 3339 time"},
  };
  for (const Case& c : cases) {
    policy::LoadResult loaded = policy::compile_rules({{"policy.yaml", testing::evidence_policy("requires: {soak: 30m}", c.entry)}});
    EXPECT_FALSE(loaded.rules) << c.error;
    EXPECT_NE(errors_of(loaded).find(c.error), std::string::npos) << c.error << "\n" << errors_of(loaded);
  }
}

}  // namespace
}  // namespace releasegate
