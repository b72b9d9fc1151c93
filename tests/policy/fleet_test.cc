// One policy for a fleet: environments selected by cluster and namespace,
// promotion as a graph, and the fleet file lint checks clusters against.
#include "policy/fleet.h"

#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "policy/linker.h"
#include "tests/support/test_support.h"

namespace releasegate::policy {
namespace {

std::string promotion(const std::string& environments) {
  return "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: podinfo\nspec:\n  images:\n"
         "    - repository: ghcr.io/acme/podinfo\n      environments:\n" + environments;
}

LoadResult compile_fleet(const std::string& environments, const ClusterIdentity& cluster = {},
                         const std::string& policy = testing::kFleetPolicy) {
  LoadOptions options;
  options.cluster = cluster;
  return compile_rules({{"policy.yaml", policy}, {"podinfo.yaml", promotion(environments)}}, options);
}

std::string errors_of(const LoadResult& r) {
  std::string out;
  for (const LoadError& e : r.errors) out += e.to_string() + "\n";
  return out;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

TEST(Fleet, AClustersLabelsChooseTheEnvironmentsItHosts) {
  ClusterIdentity eu{"prod-eu-1", {{"region", "europe"}}};
  LoadResult r = compile_fleet("        staging-europe: [\"1.0.0\"]\n", eu);
  ASSERT_TRUE(r.rules) << errors_of(r);
  EXPECT_EQ(r.rules->environment_for_namespace("prod-payments"), 1u);  // prod-europe
  EXPECT_EQ(r.rules->environment_for_namespace("staging"), 0u);
  ClusterIdentity us{"prod-us-1", {{"region", "us"}}};
  LoadResult in_us = compile_fleet("        staging-europe: [\"1.0.0\"]\n", us);
  EXPECT_EQ(in_us.rules->environment_for_namespace("prod-payments"), 3u);  // prod-us
  // The uat cluster is uat in every namespace; an unnamed cluster hosts
  // none of these environments.
  LoadResult uat = compile_fleet("        staging-europe: [\"1.0.0\"]\n", {"uat", {{"region", "uat"}}});
  EXPECT_EQ(uat.rules->environment_for_namespace("anything"), 4u);
  LoadResult unnamed = compile_fleet("        staging-europe: [\"1.0.0\"]\n");
  EXPECT_EQ(unnamed.rules->environment_for_namespace("prod"), std::nullopt);
}

// A cluster hosting none of the environments that select clusters would
// govern none of their namespaces: an error unless said explicitly.
TEST(Fleet, AClusterHostingNoSelectingEnvironmentIsUnhostedUnlessSaid) {
  LoadResult r = compile_fleet("        staging-europe: [\"1.0.0\"]\n");
  ASSERT_TRUE(r.rules) << errors_of(r);
  EXPECT_TRUE(unhosted_cluster(*r.rules, {}).has_value()) << "no identity";
  EXPECT_TRUE(unhosted_cluster(*r.rules, {"prod-eu-1", {{"region", "EU"}}}).has_value()) << "a label typo";
  EXPECT_FALSE(unhosted_cluster(*r.rules, {"prod-eu-1", {{"region", "europe"}}}).has_value());
  EXPECT_FALSE(unhosted_cluster(*r.rules, {"lab-1", {}, true}).has_value()) << "--cluster-hosts-none";
  LoadResult plain = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}});
  ASSERT_TRUE(plain.rules);
  EXPECT_FALSE(unhosted_cluster(*plain.rules, {}).has_value()) << "no environment selects clusters";
}

TEST(Fleet, AVersionMustHavePassedEachEnvironmentItComesAfter) {
  // prod-us after staging-us and prod-europe: both.
  EXPECT_TRUE(compile_fleet("        staging-europe: [\"1.0.0\"]\n        prod-europe: [\"1.0.0\"]\n"
                            "        staging-us: [\"1.0.0\"]\n        prod-us: [\"1.0.0\"]\n")
                  .rules);
  LoadResult skipped = compile_fleet("        staging-us: [\"1.0.0\"]\n        prod-us: [\"1.0.0\"]\n");
  ASSERT_FALSE(skipped.rules);
  // It passed staging-us; prod-europe is what is missing.
  EXPECT_NE(errors_of(skipped).find("is promoted to prod-us but not to prod-europe; promote it to prod-europe first"),
            std::string::npos)
      << errors_of(skipped);
  // staging-us comes after nothing: a root of the graph, not the
  // environment listed before it.
  EXPECT_TRUE(compile_fleet("        staging-us: [\"2.0.0\"]\n").rules);
}

TEST(Fleet, AfterAnyNeedsOneOfThem) {
  EXPECT_TRUE(compile_fleet("        staging-us: [\"1.0.0\"]\n        uat: [\"1.0.0\"]\n").rules);
  LoadResult none = compile_fleet("        staging-us: [\"1.0.0\"]\n        uat: [\"2.0.0\"]\n");
  ASSERT_FALSE(none.rules);
  EXPECT_NE(errors_of(none).find("not to any of staging-europe, staging-us"), std::string::npos) << errors_of(none);
}

// The two-pull-request rule walks the graph too.
TEST(Fleet, ANewPromotionMustHavePassedItsPredecessorsInTheRulesInForce) {
  LoadResult base = compile_fleet("        staging-europe: [\"1.0.0\"]\n        prod-europe: [\"1.0.0\"]\n"
                                  "        staging-us: [\"1.0.0\"]\n");
  ASSERT_TRUE(base.rules) << errors_of(base);
  std::string both = "        staging-europe: [\"1.0.0\"]\n        prod-europe: [\"1.0.0\"]\n"
                     "        staging-us: [\"1.0.0\", \"1.1.0\"]\n        prod-us: [\"1.0.0\", \"1.1.0\"]\n";
  LoadResult next = compile_fleet(both);
  ASSERT_FALSE(next.rules);  // 1.1.0 never passed prod-europe
  std::string fine = "        staging-europe: [\"1.0.0\"]\n        prod-europe: [\"1.0.0\"]\n"
                     "        staging-us: [\"1.0.0\"]\n        prod-us: [\"1.0.0\"]\n";
  LoadResult promoted = compile_fleet(fine);
  ASSERT_TRUE(promoted.rules) << errors_of(promoted);
  EXPECT_TRUE(check_new_promotions(*base.rules, *promoted.rules, promoted.from->fragments).empty());
  // Listed for staging-us and prod-us in one change: prod-us needs
  // staging-us in the rules in force.
  LoadResult base_without_us = compile_fleet("        staging-europe: [\"1.0.0\"]\n        prod-europe: [\"1.0.0\"]\n");
  std::vector<LoadError> errors = check_new_promotions(*base_without_us.rules, *promoted.rules, promoted.from->fragments);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("newly promoted to prod-us but is not promoted to staging-us in the rules in force"),
            std::string::npos)
      << errors[0].message;
}

TEST(Fleet, ACycleInThePromotionGraphIsAnError) {
  std::string policy = replaced(testing::kFleetPolicy, "      after: []\n    - name: prod-europe",
                                "      after: [prod-europe]\n    - name: prod-europe");
  LoadResult r = compile_fleet("        staging-us: [\"1.0.0\"]\n", {}, policy);
  ASSERT_FALSE(r.rules);
  EXPECT_NE(errors_of(r).find("the promotion graph has a cycle"), std::string::npos) << errors_of(r);
  LoadResult unknown = compile_fleet("        staging-us: [\"1.0.0\"]\n", {},
                                     replaced(testing::kFleetPolicy, "after: [staging-europe]", "after: [staging-eu]"));
  EXPECT_NE(errors_of(unknown).find("policy.yaml:14:15: unknown environment \"staging-eu\""), std::string::npos)
      << errors_of(unknown);
}

// Two environments that may both govern one namespace of one cluster.
TEST(Fleet, AmbiguousEnvironmentsAreAnErrorWithTheirLocation) {
  std::string policy = replaced(testing::kFleetPolicy, "clusters: {labels: {region: us}}\n      namespaces: [\"prod\", \"prod-*\"]",
                                "clusters: {labels: {tier: prod}}\n      namespaces: [\"prod\", \"prod-*\"]");
  LoadResult r = compile_fleet("        staging-us: [\"1.0.0\"]\n", {}, policy);
  ASSERT_FALSE(r.rules);
  EXPECT_NE(errors_of(r).find("environments prod-europe and prod-us may both govern a namespace of one cluster: "
                              "namespace patterns \"prod\" and \"prod\" overlap, and so do their clusters "
                              "(labels region=europe; labels tier=prod)"),
            std::string::npos)
      << errors_of(r);
  EXPECT_NE(errors_of(r).find("policy.yaml:19:7: environments prod-europe and prod-us"), std::string::npos) << errors_of(r);
  // An environment of every cluster overlaps one that selects clusters.
  std::string everywhere = replaced(testing::kFleetPolicy, "    - name: uat\n      clusters: {names: [uat], labels: {region: uat}}\n",
                                    "    - name: uat\n      namespaces: [staging]\n");
  EXPECT_NE(errors_of(compile_fleet("        staging-us: [\"1.0.0\"]\n", {}, everywhere)).find("every cluster"),
            std::string::npos);
}

TEST(FleetFile, EveryClusterHostsWhatItShouldAndEveryEnvironmentIsHosted) {
  LoadResult r = compile_fleet("        staging-europe: [\"1.0.0\"]\n");
  ASSERT_TRUE(r.rules);
  FleetFile fleet = read_fleet_file({"fleet.yaml", R"(clusters:
  - name: eu-1
    labels: {region: europe}
    environments: [staging-europe, prod-europe]
  - name: us-1
    labels: {region: us}
    environments: [staging-us]
)"});
  ASSERT_TRUE(fleet.errors.empty()) << fleet.errors.front().to_string();
  EXPECT_EQ(describe_fleet(*r.rules, fleet),
            (std::vector<std::string>{"eu-1 {region=europe}: staging-europe, prod-europe",
                                      "us-1 {region=us}: staging-us, prod-us"}));
  std::vector<LoadError> errors = check_fleet(*r.rules, fleet, "fleet.yaml");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].to_string(),
            "fleet.yaml:5:5: cluster us-1 {region=us} hosts staging-us, prod-us under the policy, not staging-us as "
            "the fleet says; fix the environments' clusters or the cluster's labels");
  EXPECT_NE(errors[1].message.find("environment uat (names uat and labels region=uat) is hosted by no cluster of the fleet"),
            std::string::npos);
}

TEST(FleetFile, MalformedFilesAreLocatedErrors) {
  EXPECT_FALSE(read_fleet_file({"f.yaml", "clusters: []\n"}).errors.empty());
  FleetFile typo = read_fleet_file({"f.yaml", "clusters:\n  - name: a\n    lables: {x: y}\n"});
  ASSERT_EQ(typo.errors.size(), 1u);
  EXPECT_NE(typo.errors[0].to_string().find("f.yaml:3:5"), std::string::npos) << typo.errors[0].to_string();
  FleetFile twice = read_fleet_file({"f.yaml", "clusters:\n  - name: a\n  - name: a\n"});
  ASSERT_EQ(twice.errors.size(), 1u);
  EXPECT_EQ(twice.errors[0].to_string(), "f.yaml:3:5: cluster \"a\" is listed twice (line 2)");
  FleetFile one = read_cluster_file({"cluster.yaml", "name: eu-1\nlabels: {region: europe}\n"});
  ASSERT_TRUE(one.errors.empty());
  EXPECT_EQ(one.clusters.at(0).identity.describe(), "eu-1 {region=europe}");
  EXPECT_FALSE(read_cluster_file({"cluster.yaml", "name: a\nenvironments: [x]\n"}).errors.empty());
}

}  // namespace
}  // namespace releasegate::policy
