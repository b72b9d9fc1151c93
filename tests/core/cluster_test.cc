// A cluster's identity and the clusters an environment selects.
#include "core/cluster.h"

#include <gtest/gtest.h>

namespace releasegate {
namespace {

Pattern compiled(const std::string& text) { return std::move(*Pattern::compile(text).pattern); }

ClusterSelector selector(std::vector<std::string> names, std::vector<std::pair<std::string, std::string>> labels) {
  ClusterSelector s;
  for (const std::string& n : names) s.names.add(compiled(n));
  for (auto& [key, value] : labels) s.labels.emplace_back(key, compiled(value));
  return s;
}

TEST(ClusterSelector, MatchesAnyNameAndEveryLabel) {
  ClusterIdentity eu{"prod-eu-1", {{"region", "europe"}, {"tier", "prod"}}};
  ClusterIdentity us{"prod-us-1", {{"region", "us"}}};
  EXPECT_TRUE(selector({}, {{"region", "europe"}}).matches(eu));
  EXPECT_FALSE(selector({}, {{"region", "europe"}}).matches(us));
  EXPECT_TRUE(selector({"prod-*"}, {}).matches(us));
  EXPECT_FALSE(selector({"prod-*"}, {{"tier", "prod"}}).matches(us));  // no tier label
  EXPECT_TRUE(selector({"dev", "prod-eu-*"}, {{"region", "eu*"}}).matches(eu));
  EXPECT_FALSE(selector({"uat"}, {}).matches(ClusterIdentity{}));  // an unnamed cluster is selected by no name
  EXPECT_FALSE(selector({"*"}, {}).matches(ClusterIdentity{}));    // not even "*"
}

TEST(ClusterSelector, MayOverlapUnlessANameOrALabelTheyBothNameCannotAgree) {
  EXPECT_FALSE(selector({}, {{"region", "europe"}}).may_overlap(selector({}, {{"region", "us"}})));
  EXPECT_TRUE(selector({}, {{"region", "europe"}}).may_overlap(selector({}, {{"tier", "prod"}})));
  EXPECT_FALSE(selector({"uat"}, {}).may_overlap(selector({"prod"}, {})));
  EXPECT_TRUE(selector({"prod-*"}, {}).may_overlap(selector({}, {{"region", "us"}})));
  EXPECT_EQ(selector({"prod-*"}, {{"region", "europe"}}).describe(), "names prod-* and labels region=europe");
}

TEST(ClusterIdentity, DescribesNameAndSortedLabels) {
  EXPECT_EQ((ClusterIdentity{"eu-1", {{"tier", "prod"}, {"region", "europe"}}}).describe(),
            "eu-1 {region=europe, tier=prod}");
  EXPECT_EQ(ClusterIdentity{}.describe(), "(unnamed cluster)");
  EXPECT_FALSE(ClusterIdentity{}.configured());
}

}  // namespace
}  // namespace releasegate
