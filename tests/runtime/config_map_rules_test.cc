// What a broken rules ConfigMap does to the others (runtime/config_map_rules.h).
#include "runtime/config_map_rules.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/test_support.h"

namespace releasegate::runtime {
namespace {

using testing::kTestPolicy;
using testing::kTestPromotion;

constexpr const char* kOwn = "releasegate-system";

RulesConfigMap config_map(const std::string& ns, const std::string& name, const std::string& key,
                          const std::string& text, const std::string& created = "2026-11-01T00:00:00Z") {
  return {ns, name, created, {{key, text}}, {}};
}

// A team's Promotion of one repository, with `versions` for staging.
std::string team_promotion(const std::string& name, const std::string& repository, const std::string& versions) {
  return "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: " + name +
         "\nspec:\n  images:\n    - repository: " + repository + "\n      environments:\n        staging: [" +
         versions + "]\n";
}

RulesConfigMaps base() {
  RulesConfigMaps maps;
  maps["releasegate-system/releasegate-policy"] = config_map(kOwn, "releasegate-policy", "policy.yaml", kTestPolicy);
  maps["releasegate-system/podinfo-promotion"] = config_map(kOwn, "podinfo-promotion", "podinfo.yaml", kTestPromotion);
  maps["releasegate-system/checkout"] =
      config_map(kOwn, "checkout", "checkout.yaml", team_promotion("checkout", "ghcr.io/acme/checkout", "\"1.0.0\""));
  return maps;
}

policy::LoadOptions options() {
  policy::LoadOptions o;
  o.own_namespace = kOwn;
  return o;
}

// Whether the rule set promotes `repository`:`tag` to staging.
bool promotes(const RuleSet& rules, const std::string& repository, const std::string& tag) {
  return rules.promotions.find(repository, rules.environment_for_namespace("staging").value()).find_tag(tag).has_value();
}

TEST(ConfigMapRulesTest, SourcesAreNamedByConfigMapAndKey) {
  std::vector<policy::RuleSource> sources = sources_of(config_map("dev", "team", "a.yaml", "x"), kOwn);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0].file, "ConfigMap dev/team key a.yaml");
  // Outside releasegate's namespace the name never matches a policy ConfigMap.
  EXPECT_EQ(sources[0].config_map, "dev/team");
  RulesConfigMap other = config_map(kOwn, "team", "notes.txt", "x");
  EXPECT_TRUE(sources_of(other, kOwn).empty()) << "only *.yaml and *.yml keys are rules";
}

TEST(ConfigMapRulesTest, AllValidIsInForce) {
  ConfigMapRules rules;
  ConfigMapCompile compiled = rules.compile(base(), options());
  ASSERT_TRUE(compiled.result.rules) << compiled.result.errors.front().to_string();
  EXPECT_TRUE(compiled.held.empty());
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/checkout", "1.0.0"));
  EXPECT_FALSE(rules.compile(base(), options()).in_force_changed) << "the same ConfigMaps again: nothing to publish";
}

TEST(ConfigMapRulesTest, ABrokenChangeKeepsItsLastGoodContentWhileOthersApply) {
  ConfigMapRules rules;
  ASSERT_TRUE(rules.compile(base(), options()).result.rules);
  RulesConfigMaps next = base();
  next["releasegate-system/checkout"].data["checkout.yaml"] = "kind: Promotion\nspec: [unclosed\n";
  next["releasegate-system/payments"] = config_map(
      kOwn, "payments", "payments.yaml", team_promotion("payments", "ghcr.io/acme/payments", "\"2.0.0\""));
  ConfigMapCompile compiled = rules.compile(next, options());
  ASSERT_TRUE(compiled.result.rules);
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "releasegate-system/checkout");
  ASSERT_FALSE(compiled.held[0].errors.empty());
  EXPECT_EQ(compiled.held[0].errors[0].file, "ConfigMap releasegate-system/checkout key checkout.yaml");
  EXPECT_GT(compiled.held[0].errors[0].line, 0);
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/checkout", "1.0.0")) << "its last good content";
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/payments", "2.0.0")) << "the other change applied";

  // Fixed: the new content is in force and nothing is held.
  next["releasegate-system/checkout"].data["checkout.yaml"] =
      team_promotion("checkout", "ghcr.io/acme/checkout", "\"1.1.0\"");
  compiled = rules.compile(next, options());
  ASSERT_TRUE(compiled.result.rules);
  EXPECT_TRUE(compiled.held.empty());
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/checkout", "1.1.0"));
  EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/checkout", "1.0.0"));
}

TEST(ConfigMapRulesTest, ANewBrokenConfigMapIsLeftOutEvenAtTheFirstCompile) {
  RulesConfigMaps maps = base();
  maps["releasegate-system/broken"] = config_map(kOwn, "broken", "b.yaml", "kind: Promotion\nmetadata: {name: b}\nspec: 3\n");
  ConfigMapRules rules;
  ConfigMapCompile compiled = rules.compile(maps, options());
  ASSERT_TRUE(compiled.result.rules) << "one team's mistake does not keep the webhook unready";
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "releasegate-system/broken");
}

TEST(ConfigMapRulesTest, AConflictWithAnotherConfigMapHoldsTheChangedOne) {
  ConfigMapRules rules;
  ASSERT_TRUE(rules.compile(base(), options()).result.rules);
  RulesConfigMaps next = base();
  // A second record for podinfo's repository, in a new ConfigMap.
  next["releasegate-system/rogue"] =
      config_map(kOwn, "rogue", "rogue.yaml", team_promotion("rogue", "ghcr.io/acme/podinfo", "\"9.9.9\""));
  ConfigMapCompile compiled = rules.compile(next, options());
  ASSERT_TRUE(compiled.result.rules);
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "releasegate-system/rogue");
  EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/podinfo", "9.9.9"));
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/podinfo", "6.5.0"));
}

// The rogue ConfigMap sorts first, so the conflict is reported at the
// unchanged owner: every changed ConfigMap is held, not the owner.
TEST(ConfigMapRulesTest, AConflictReportedAtTheUnchangedOwnerHoldsTheChangedOne) {
  ConfigMapRules rules;
  ASSERT_TRUE(rules.compile(base(), options()).result.rules);
  RulesConfigMaps next = base();
  next["releasegate-system/aaa-rogue"] = config_map(
      kOwn, "aaa-rogue", "rogue.yaml", team_promotion("rogue", "ghcr.io/acme/podinfo", "\"9.9.9\""), "2026-12-01T00:00:00Z");
  ConfigMapCompile compiled = rules.compile(next, options());
  ASSERT_TRUE(compiled.result.rules);
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "releasegate-system/aaa-rogue");
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/podinfo", "6.5.0"));
}

// At a restart every ConfigMap is new: of two holding the same repository,
// the one created later is held, whatever the names.
TEST(ConfigMapRulesTest, AtAFirstCompileTheOlderConfigMapKeepsItsRepository) {
  RulesConfigMaps maps = base();
  maps["releasegate-system/aaa-rogue"] = config_map(
      kOwn, "aaa-rogue", "rogue.yaml", team_promotion("rogue", "ghcr.io/acme/podinfo", "\"9.9.9\""), "2026-12-01T00:00:00Z");
  ConfigMapRules rules;
  ConfigMapCompile compiled = rules.compile(maps, options());
  ASSERT_TRUE(compiled.result.rules);
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "releasegate-system/aaa-rogue");
  EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/podinfo", "9.9.9"));
}

// The same rules again publish nothing: no new generation, so no emptied
// decision cache and no audit.
TEST(ConfigMapRulesTest, ChangesThatLeaveTheRulesAsTheyWerePublishNothing) {
  ConfigMapRules rules;
  ConfigMapCompile first = rules.compile(base(), options());
  ASSERT_TRUE(first.result.rules);
  EXPECT_TRUE(first.in_force_changed);
  RulesConfigMaps next = base();
  next["releasegate-system/checkout"].data["README.md"] = "not rules";
  ConfigMapCompile notes = rules.compile(next, options());
  EXPECT_TRUE(notes.result.rules);
  EXPECT_FALSE(notes.in_force_changed) << "a key that holds no rules";
  next["releasegate-system/checkout"].data["checkout.yaml"] = "kind: Promotion\nspec: [\n";
  ConfigMapCompile broken = rules.compile(next, options());
  ASSERT_EQ(broken.held.size(), 1u);
  EXPECT_FALSE(broken.in_force_changed) << "held at its content in force: the same rules";
  next["releasegate-system/checkout"].data["checkout.yaml"] = "kind: Promotion\nspec: [[\n";
  ConfigMapCompile still_broken = rules.compile(next, options());
  EXPECT_FALSE(still_broken.in_force_changed);
  EXPECT_EQ(still_broken.held.size(), 1u);
}

TEST(ConfigMapRulesTest, DeletingThePolicyChangesNothing) {
  ConfigMapRules rules;
  ASSERT_TRUE(rules.compile(base(), options()).result.rules);
  RulesConfigMaps next = base();
  next.erase("releasegate-system/releasegate-policy");
  ConfigMapCompile compiled = rules.compile(next, options());
  ASSERT_TRUE(compiled.result.rules);
  EXPECT_FALSE(compiled.in_force_changed) << "the rule set in force stays";
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "releasegate-system/releasegate-policy");
}

// A ConfigMap stored claiming another's repository (during a webhook
// outage, by an exempt applier) is held; it must not hold the victim's
// later edits, least of all the security team's removal of a bad version.
TEST(ConfigMapRulesTest, AStoredConflictDoesNotFreezeTheVictimsRevocation) {
  ConfigMapRules rules;
  RulesConfigMaps maps = base();
  // Older than the podinfo ConfigMap, and empty of rules until now.
  maps["releasegate-system/squatter"] = config_map(kOwn, "squatter", "notes.txt", "", "2026-10-01T00:00:00Z");
  ASSERT_TRUE(rules.compile(maps, options()).result.rules);
  maps["releasegate-system/squatter"].data["squat.yaml"] =
      team_promotion("squat", "ghcr.io/acme/podinfo", "\"6.5.0\", \"9.9.9\"");
  ConfigMapCompile stored = rules.compile(maps, options());
  ASSERT_TRUE(stored.result.rules);
  ASSERT_EQ(stored.held.size(), 1u);
  EXPECT_EQ(stored.held[0].config_map, "releasegate-system/squatter") << "it claims what is in force elsewhere";
  // The owner revokes 6.5.1 from staging: applied, the squatter still held.
  std::string revoked = kTestPromotion;
  std::size_t at = revoked.find(", \"6.5.1@sha256:");
  revoked.erase(at, revoked.find('"', at + 3) + 1 - at);
  ASSERT_EQ(revoked.find("6.5.1@"), std::string::npos);
  maps["releasegate-system/podinfo-promotion"].data["podinfo.yaml"] = revoked;
  ConfigMapCompile revocation = rules.compile(maps, options());
  ASSERT_TRUE(revocation.result.rules);
  EXPECT_TRUE(revocation.in_force_changed);
  ASSERT_EQ(revocation.held.size(), 1u);
  EXPECT_EQ(revocation.held[0].config_map, "releasegate-system/squatter");
  EXPECT_FALSE(promotes(*revocation.result.rules, "ghcr.io/acme/podinfo", "6.5.1")) << "the revocation is in force";
  EXPECT_FALSE(promotes(*revocation.result.rules, "ghcr.io/acme/podinfo", "9.9.9"));
}

// Two ConfigMaps created in the same second, applied together (one Flux
// apply), both claiming one repository: neither wins by its name; both are
// held until Git says which one holds it. Another change applies.
TEST(ConfigMapRulesTest, ATieInCreationTimeIsNotDecidedByName) {
  for (bool first_compile : {true, false}) {
    ConfigMapRules rules;
    RulesConfigMaps maps = base();
    if (!first_compile) {
      ASSERT_TRUE(rules.compile(maps, options()).result.rules);
    }
    const char* second = "2026-12-01T10:00:00Z";
    maps["releasegate-system/aaa"] = config_map(kOwn, "aaa", "a.yaml", team_promotion("a", "ghcr.io/acme/new", "\"1.0.0\""), second);
    maps["releasegate-system/zzz"] = config_map(kOwn, "zzz", "z.yaml", team_promotion("z", "ghcr.io/acme/new", "\"2.0.0\""), second);
    maps["releasegate-system/payments"] = config_map(
        kOwn, "payments", "payments.yaml", team_promotion("payments", "ghcr.io/acme/payments", "\"2.0.0\""), second);
    ConfigMapCompile compiled = rules.compile(maps, options());
    ASSERT_TRUE(compiled.result.rules) << first_compile;
    std::set<std::string> held;
    for (const HeldConfigMap& h : compiled.held) held.insert(h.config_map);
    EXPECT_EQ(held, (std::set<std::string>{"releasegate-system/aaa", "releasegate-system/zzz"})) << first_compile;
    EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/new", "1.0.0"));
    EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/new", "2.0.0"));
    EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/payments", "2.0.0")) << first_compile;
  }
}

TEST(ConfigMapRulesTest, ADeletedTeamConfigMapIsGoneFromTheRules) {
  ConfigMapRules rules;
  ASSERT_TRUE(rules.compile(base(), options()).result.rules);
  RulesConfigMaps next = base();
  next.erase("releasegate-system/checkout");
  ConfigMapCompile compiled = rules.compile(next, options());
  ASSERT_TRUE(compiled.result.rules);
  EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/checkout", "1.0.0"));
}

TEST(ConfigMapRulesTest, APolicyOutsideReleasegatesNamespaceIsRefused) {
  ConfigMapRules rules;
  RulesConfigMaps maps = base();
  // A team with edit rights in dev names its ConfigMap like the policy's.
  maps["dev/releasegate-policy"] = config_map("dev", "releasegate-policy", "policy.yaml", kTestPolicy);
  ConfigMapCompile compiled = rules.compile(maps, options());
  ASSERT_TRUE(compiled.result.rules);
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "dev/releasegate-policy");
}

TEST(ConfigMapRulesTest, BinaryDataIsRefused) {
  ConfigMapRules rules;
  RulesConfigMaps maps = base();
  maps["releasegate-system/checkout"].binary_keys.push_back("checkout.yaml.gz");
  ConfigMapCompile compiled = rules.compile(maps, options());
  ASSERT_TRUE(compiled.result.rules);
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].errors[0].file, "ConfigMap releasegate-system/checkout key checkout.yaml.gz");
  EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/checkout", "1.0.0")) << "new, so left out whole";
}

// releasegate may patch its evidence ConfigMap: labelled as rules (by a
// leaked token of releasegate's own account, which is exempt), it would
// let that token write promotions. It is never read as rules.
TEST(ConfigMapRulesTest, TheEvidenceStoreIsNeverRules) {
  ConfigMapRules rules;
  RulesConfigMaps maps = base();
  maps["releasegate-system/releasegate-evidence"] = config_map(
      kOwn, "releasegate-evidence", "evidence.yaml", team_promotion("smuggled", "ghcr.io/acme/smuggled", "\"1.0.0\""));
  ConfigMapCompile compiled = rules.compile(maps, options());
  ASSERT_TRUE(compiled.result.rules);
  ASSERT_EQ(compiled.held.size(), 1u);
  EXPECT_EQ(compiled.held[0].config_map, "releasegate-system/releasegate-evidence");
  EXPECT_FALSE(promotes(*compiled.result.rules, "ghcr.io/acme/smuggled", "1.0.0"));
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/checkout", "1.0.0")) << "the others apply";
  // Another namespace's ConfigMap of that name is a team's like any other.
  maps.erase("releasegate-system/releasegate-evidence");
  maps["dev/releasegate-evidence"] = config_map(
      "dev", "releasegate-evidence", "evidence.yaml", team_promotion("team", "ghcr.io/acme/team", "\"1.0.0\""));
  compiled = rules.compile(maps, options());
  ASSERT_TRUE(compiled.result.rules);
  EXPECT_TRUE(promotes(*compiled.result.rules, "ghcr.io/acme/team", "1.0.0"));
}

}  // namespace
}  // namespace releasegate::runtime
