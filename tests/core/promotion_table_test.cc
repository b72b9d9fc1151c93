// Promotion tables and the index over them: lookups by tag and digest per
// environment, duplicates refused, written order kept, and the open-
// addressing index finding every key as it grows.
#include "core/promotion_index.h"

#include <gtest/gtest.h>

namespace releasegate {
namespace {

using Added = PromotionTable::Builder::Added;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

std::shared_ptr<const PromotionTable> podinfo_table() {
  PromotionTable::Builder builder;
  builder.begin_record("ghcr.io/acme/podinfo", 0, {7, 19});
  builder.use_environment("staging", {9, 9});
  EXPECT_EQ(builder.add_version("staging", "6.5.1", kDigestB, {9, 19}), Added::Yes);
  EXPECT_EQ(builder.add_version("staging", "6.5.0", "", {9, 30}), Added::Yes);
  builder.use_environment("prod", {10, 9});
  EXPECT_EQ(builder.add_version("prod", "6.5.0", kDigestA, {10, 16}), Added::Yes);
  EXPECT_EQ(builder.add_version("prod", "6.5.0", "", {10, 40}), Added::DuplicateTag);
  EXPECT_EQ(builder.add_version("prod", "", kDigestA, {10, 50}), Added::DuplicateDigest);
  builder.begin_record("ghcr.io/acme/other", 1, {20, 3});
  // The same version in another record or environment is no duplicate.
  EXPECT_EQ(builder.add_version("prod", "6.5.0", kDigestA, {22, 16}), Added::Yes);
  return builder.build();
}

TEST(PromotionTable, FindsVersionsByTagAndDigestPerEnvironment) {
  auto table = podinfo_table();
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ(table->version_count(), 4u);
  EXPECT_EQ(table->key(0), "ghcr.io/acme/podinfo");
  const auto& names = table->environment_names();
  ASSERT_EQ(names.size(), 2u);
  auto staging = static_cast<PromotionTable::EnvironmentId>(0), prod = static_cast<PromotionTable::EnvironmentId>(1);
  ASSERT_TRUE(table->find_tag(0, staging, "6.5.1"));
  EXPECT_EQ(table->version(*table->find_tag(0, staging, "6.5.1")).digest, kDigestB);
  EXPECT_FALSE(table->find_tag(0, prod, "6.5.1"));
  EXPECT_TRUE(table->has_digest(0, prod, kDigestA));
  EXPECT_FALSE(table->has_digest(0, staging, kDigestA));
  EXPECT_FALSE(table->has_digest(0, staging, ""));
  EXPECT_FALSE(table->find_tag(0, staging, ""));
  EXPECT_EQ(table->uses(0).size(), 2u);
  EXPECT_EQ(table->record(1).document, 1u);
}

TEST(PromotionTable, ManyVersionsOfOneRecordAreFoundAndKeepTheirOrder) {
  PromotionTable::Builder builder;
  builder.begin_record("ghcr.io/acme/busy", 0, {1, 1});
  for (int i = 9999; i >= 0; --i) {
    ASSERT_EQ(builder.add_version("dev", "1.0." + std::to_string(i), "", {}), Added::Yes);
  }
  auto table = builder.build();
  PromotionIndex index;
  index.add_record(index.add_table(table, {"dev"}), 0);
  PromotedVersions dev = index.find("ghcr.io/acme/busy", 0);
  for (int i : {0, 1, 4242, 9999}) EXPECT_TRUE(dev.find_tag("1.0." + std::to_string(i))) << i;
  EXPECT_FALSE(dev.find_tag("1.0.10000"));
  std::vector<PromotedVersion> written = dev.in_written_order();
  ASSERT_EQ(written.size(), 10000u);
  EXPECT_EQ(written.front().tag, "1.0.9999");
  EXPECT_EQ(written.back().tag, "1.0.0");
}

TEST(PromotionTable, EnvironmentNamesAreBounded) {
  PromotionTable::Builder builder;
  builder.begin_record("ghcr.io/acme/envs", 0, {});
  for (std::size_t i = 0; i < PromotionTable::kMaxEnvironmentNames; ++i) {
    ASSERT_TRUE(builder.use_environment("env-" + std::to_string(i), {}));
  }
  EXPECT_FALSE(builder.use_environment("one-too-many", {}));
  EXPECT_EQ(builder.add_version("one-too-many", "1.0.0", "", {}), Added::TooManyEnvironments);
  EXPECT_EQ(builder.add_version("env-0", "1.0.0", "", {}), Added::Yes);
}

TEST(PromotionIndex, ResolvesEnvironmentsByThePolicysNames) {
  PromotionIndex index;
  // The policy orders environments dev, staging, prod; the table named prod first.
  std::uint32_t t = index.add_table(podinfo_table(), {"dev", "staging", "prod"});
  EXPECT_FALSE(index.add_record(t, 0));
  EXPECT_FALSE(index.add_record(t, 1));
  EXPECT_TRUE(index.find("ghcr.io/acme/podinfo", 1).find_tag("6.5.0"));
  EXPECT_TRUE(index.find("ghcr.io/acme/podinfo", 2).has_digest(kDigestA));
  EXPECT_FALSE(index.find("ghcr.io/acme/podinfo", 0).find_tag("6.5.0"));  // nothing in dev
  EXPECT_FALSE(index.find("ghcr.io/acme/podinfo", 63).find_tag("6.5.0"));
  EXPECT_FALSE(index.find("ghcr.io/acme/podinfo", 64).find_tag("6.5.0"));  // past kMaxEnvironments
  EXPECT_FALSE(index.find("ghcr.io/acme/missing", 1).find_tag("6.5.0"));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.version_count(), 4u);
}

TEST(PromotionIndex, FindsEveryKeyAsItGrowsAndReportsTheFirstHolderOfADuplicate) {
  PromotionTable::Builder builder;
  for (int i = 0; i < 50'000; ++i) {
    builder.begin_record("ghcr.io/acme/service-" + std::to_string(i), 0, {static_cast<std::uint32_t>(i + 1), 1});
    builder.add_version("staging", "1.0.0", "", {});
  }
  builder.begin_record("ghcr.io/acme/service-123", 0, {99'999, 1});  // recorded again
  auto table = builder.build();
  PromotionIndex index;
  std::uint32_t t = index.add_table(table, {"staging"});
  for (std::uint32_t r = 0; r < 50'000; ++r) ASSERT_FALSE(index.add_record(t, r)) << r;
  auto first = index.add_record(t, 50'000);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->record, 123u);
  EXPECT_EQ(index.size(), 50'000u);
  for (int i = 0; i < 50'000; i += 997) {
    EXPECT_TRUE(index.find("ghcr.io/acme/service-" + std::to_string(i), 0).find_tag("1.0.0")) << i;
  }
  EXPECT_FALSE(index.contains("ghcr.io/acme/service-50000"));
  EXPECT_EQ(index.keys().size(), 50'000u);
}

}  // namespace
}  // namespace releasegate
