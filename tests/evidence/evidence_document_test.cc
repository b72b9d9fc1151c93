// Evidence documents: what export writes reads back as the same records.
#include "evidence/evidence_document.h"

#include <gtest/gtest.h>

#include "tests/support/evidence_fixtures.h"

namespace releasegate::evidence {
namespace {

using testing::kT0;

// The test key trusted for cluster eu-1's staging and dev.
EvidenceTrust eu_trust() {
  return {{{"eu-1", {"staging", "dev"}, testing::test_signing_key().public_key(), std::nullopt}}};
}

TEST(EvidenceDocument, RoundTrips) {
  EvidenceSet set;
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", testing::kDigest651, "staging", "eu-1", kT0, kT0, true,
           0, "Deployment staging/podinfo", ""});
  set.add({EvidenceOf::Chart, "HelmRepository/flux-system/podinfo podinfo", "6.5.1", "", "staging", "eu-1", kT0,
           kT0 + 600, false, 0, "", ""});
  set.add({EvidenceOf::Chart, "oci://ghcr.io/acme/charts podinfo", "1.0.0", "", "dev", "eu-1", kT0, kT0 + 60, false,
           0, "", ""});
  set.add({EvidenceOf::Image, "ghcr.io/acme/broken", "1.0.0", "", "staging", "eu-1", 0, 0, false, kT0, "", ""});
  std::string text = render_evidence(set, kT0 + 1800, testing::test_signing_key());
  std::vector<policy::LoadError> errors;
  std::vector<EvidenceRecord> read = read_evidence(text, "evidence.yaml", eu_trust(), errors);
  ASSERT_TRUE(errors.empty()) << errors.front().to_string() << "\n" << text;
  ASSERT_EQ(read.size(), 3u) << text;  // the degraded record proves nothing
  std::map<std::string, const EvidenceRecord*> by_key;
  for (const EvidenceRecord& r : read) by_key[r.key] = &r;
  const EvidenceRecord& image = *by_key.at("ghcr.io/acme/podinfo");
  EXPECT_EQ(image.digest, testing::kDigest651);
  EXPECT_EQ(image.cluster, "eu-1");
  EXPECT_FALSE(image.ongoing);
  EXPECT_EQ(image.healthy_for(kT0 + 86400), 1800) << "an ongoing period is written as observed until now";
  EXPECT_EQ(image.object, "Deployment staging/podinfo");
  EXPECT_EQ(by_key.at("HelmRepository/flux-system/podinfo podinfo")->healthy_for(kT0 + 86400), 600);
  EXPECT_EQ(by_key.at("oci://ghcr.io/acme/charts podinfo")->environment, "dev");
  EXPECT_NE(text.find("name: \"eu-1-staging\""), std::string::npos) << text;
}

TEST(EvidenceDocument, AnyTextReadsBackAsWritten) {
  // What YAML refuses raw (DEL, a C1 control, a tab) and what it does not ("é", quotes).
  const std::string object = "Deployment st\x7f\xc2\x85" "aging/p\"o\\d\t\xc3\xa9";
  EvidenceSet set;
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "staging", "eu-1", kT0, kT0 + 60, false, 0, object,
           ""});
  std::vector<policy::LoadError> errors;
  auto read = read_evidence(render_evidence(set, kT0 + 120, testing::test_signing_key()), "evidence.yaml", eu_trust(),
                            errors);
  ASSERT_TRUE(errors.empty()) << errors.front().to_string();
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].object, object);
}

TEST(EvidenceDocument, ReadsOnlyEvidence) {
  std::vector<policy::LoadError> errors;
  EXPECT_TRUE(read_evidence("", "empty.yaml", eu_trust(), errors).empty());
  EXPECT_TRUE(errors.empty());
  read_evidence("kind: [", "broken.yaml", eu_trust(), errors);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().file, "broken.yaml");
}

// ECDSA signs differently each time: whether evidence changed is told by
// its statements, which the signature does not touch.
TEST(EvidenceDocument, StatementsTellWhetherTheEvidenceChanged) {
  signing::SigningKey ecdsa = signing::SigningKey::generate(signing::KeyType::EcdsaP256);
  EvidenceSet set;
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "staging", "eu-1", kT0, kT0 + 60, false, 0, "", ""});
  EXPECT_NE(render_evidence(set, kT0 + 120, ecdsa), render_evidence(set, kT0 + 120, ecdsa));
  EXPECT_EQ(evidence_statements(set, kT0 + 120), evidence_statements(set, kT0 + 120));
  EvidenceSet later = set;
  later.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.2", "", "staging", "eu-1", kT0, kT0 + 90, false, 0, "", ""});
  EXPECT_NE(evidence_statements(later, kT0 + 120), evidence_statements(set, kT0 + 120));
}

// What another key signed, or what claims an environment the key may not
// prove, is dropped and said; the rest of the text still reads.
TEST(EvidenceDocument, WhatNoTrustedKeySignedIsDroppedAndSaid) {
  EvidenceSet set;
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "staging", "eu-1", kT0, kT0 + 60, false, 0, "", ""});
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "prod", "eu-1", kT0, kT0 + 60, false, 0, "", ""});
  std::vector<policy::LoadError> errors;
  auto read = read_evidence(render_evidence(set, kT0 + 120, testing::test_signing_key()), "cm", eu_trust(), errors);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].environment, "staging");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("is trusted for environment prod"), std::string::npos) << errors[0].to_string();
  signing::SigningKey other = signing::SigningKey::generate(signing::KeyType::EcdsaP256);
  errors.clear();
  EXPECT_TRUE(read_evidence(render_evidence(set, kT0 + 120, other), "cm", eu_trust(), errors).empty());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[1].message.find("does not verify"), std::string::npos) << errors[1].to_string();
}

}  // namespace
}  // namespace releasegate::evidence
