#include "policy/compiler.h"
#include "policy/policy_compiler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/test_support.h"

namespace releasegate::policy {
namespace {

using testing::kTestPolicy;
using testing::kTestPromotion;

LoadResult compile(const std::string& policy, const std::string& promotion = kTestPromotion) {
  return compile_rules({{"policy.yaml", policy}, {"promotion.yaml", promotion}});
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

// One error expected: returns it.
LoadError single_error(const LoadResult& result) {
  EXPECT_FALSE(result.rules);
  if (result.errors.size() != 1) {
    ADD_FAILURE() << "expected exactly one error, got " << result.errors.size();
    for (const LoadError& e : result.errors) ADD_FAILURE() << e.to_string();
  }
  return result.errors.empty() ? LoadError{} : result.errors.front();
}

TEST(RuleLoader, CompilesTheTestRules) {
  LoadResult result = compile(kTestPolicy);
  ASSERT_TRUE(result.rules) << result.errors.front().to_string();
  const RuleSet& rules = *result.rules;
  ASSERT_EQ(rules.environments.size(), 3u);
  EXPECT_EQ(rules.environments[0].name, "dev");
  EXPECT_TRUE(rules.environments[0].promotion_open);
  EXPECT_TRUE(rules.environments[2].require_digest);
  EXPECT_EQ(rules.environment_for_namespace("prod-eu"), 2u);
  EXPECT_EQ(rules.environment_for_namespace("qa"), std::nullopt);
  const PromotionIndex& promoted = rules.promotions;
  EXPECT_EQ(promoted.find("ghcr.io/acme/podinfo", 1).find_tag("6.5.1")->digest, testing::kDigest651);
  EXPECT_TRUE(promoted.find("ghcr.io/acme/podinfo", 1).has_digest(testing::kDigest651));
  EXPECT_TRUE(promoted.find("ghcr.io/acme/podinfo", 2).has_digest(testing::kDigest650));
  EXPECT_FALSE(promoted.find("ghcr.io/acme/podinfo", 2).has_digest(testing::kDigest651.substr(0, 20)));
  EXPECT_TRUE(promoted.find("ghcr.io/acme/podinfo", 0).in_written_order().empty());
  EXPECT_FALSE(promoted.find("ghcr.io/acme/other", 1).find_tag("6.5.1"));
  // Defaults are always exempt.
  EXPECT_TRUE(rules.exempt_namespaces.matches("kube-system"));
  EXPECT_TRUE(rules.exempt_namespaces.matches("releasegate-system"));
  EXPECT_TRUE(rules.exempt_users.matches("system:serviceaccount:kube-system:replicaset-controller"));
  EXPECT_TRUE(rules.exempt_groups.matches("system:nodes"));
}

// Only the controllers whose routine work creates or changes governed
// objects are exempt; any other kube-system service account (a workload an
// app team can reach, or a token it can mint there) is not.
TEST(RuleLoader, DefaultExemptionsNameTheControllersOneByOne) {
  auto rules = testing::test_rules();
  for (std::string_view controller : kExemptControllers) {
    EXPECT_TRUE(rules->exempt_users.matches("system:serviceaccount:kube-system:" + std::string(controller))) << controller;
  }
  EXPECT_TRUE(rules->exempt_users.matches("system:kube-controller-manager"));
  for (const char* other : {"system:serviceaccount:kube-system:default", "system:serviceaccount:kube-system:coredns",
                            "system:serviceaccount:kube-system:cilium", "system:serviceaccount:kube-system:attacker"}) {
    EXPECT_FALSE(rules->exempt_users.matches(other)) << other;
  }
}

// Found by fuzzing: yaml-cpp throws when a scalar is indexed like a map.
TEST(RuleLoader, ARulesConfigMapWhoseMetadataIsNotAMapIsALocatedError) {
  for (const char* metadata : {"metadata: x", "metadata: [a, b]", "metadata:"}) {
    std::string file = std::string("apiVersion: v1\nkind: ConfigMap\n") + metadata + "\ndata:\n  a.yaml: |\n    x: 1\n";
    LoadResult result = compile_rules({{"policy.yaml", kTestPolicy}, {"cm.yaml", file}});
    EXPECT_FALSE(result.rules) << metadata;
    ASSERT_FALSE(result.errors.empty()) << metadata;
    EXPECT_EQ(result.errors.front().file, "cm.yaml") << metadata;
    EXPECT_NE(result.errors.front().message.find("is not labelled releasegate.io/rules"), std::string::npos)
        << result.errors.front().to_string();
  }
}

TEST(RuleLoader, UnknownFieldIsReportedAtItsLineAndColumn) {
  LoadError e = single_error(compile(replaced(kTestPolicy, "      requireDigest: true", "      requireDigests: true")));
  EXPECT_EQ(e.file, "policy.yaml");
  EXPECT_EQ(e.line, 15);
  EXPECT_EQ(e.column, 7);
  EXPECT_NE(e.message.find("unknown field \"requireDigests\""), std::string::npos) << e.message;
}

TEST(RuleLoader, UnknownEnvironmentInPromotion) {
  LoadError e = single_error(compile(kTestPolicy, replaced(kTestPromotion, "prod:", "prdo:")));
  EXPECT_EQ(e.file, "promotion.yaml");
  EXPECT_EQ(e.line, 10);
  EXPECT_EQ(e.column, 9);
  EXPECT_NE(e.message.find("unknown environment \"prdo\""), std::string::npos) << e.message;
}

TEST(RuleLoader, UnknownEnvironmentInDelivery) {
  LoadError e = single_error(compile(replaced(kTestPolicy, "environments: [dev, staging, prod]", "environments: [dev, qa]")));
  EXPECT_EQ(e.line, 23);
  EXPECT_NE(e.message.find("unknown environment \"qa\""), std::string::npos);
}

TEST(RuleLoader, BadRegexAndWrongTypesAreErrors) {
  LoadError regex = single_error(compile(replaced(kTestPolicy, "regex:registry", "regex:(registry")));
  EXPECT_NE(regex.message.find("invalid regex"), std::string::npos) << regex.message;
  LoadError type = single_error(compile(replaced(kTestPolicy, "requireDigest: true", "requireDigest: \"yes\"")));
  EXPECT_NE(type.message.find("must be true or false"), std::string::npos) << type.message;
  LoadError mode = single_error(compile(replaced(kTestPolicy, "mode: enforce", "mode: block")));
  EXPECT_NE(mode.message.find("mode must be enforce, warn or audit"), std::string::npos);
}

TEST(RuleLoader, InvalidVersionsAndRepositories) {
  LoadError version = single_error(compile(kTestPolicy, replaced(kTestPromotion, "\"6.5.0\", ", "\"6.5.0 beta\", ")));
  EXPECT_NE(version.message.find("invalid version \"6.5.0 beta\""), std::string::npos) << version.message;
  LoadError repo = single_error(compile(kTestPolicy, replaced(kTestPromotion, "ghcr.io/acme/podinfo", "ghcr.io/Acme/podinfo")));
  EXPECT_NE(repo.message.find("must be lowercase"), std::string::npos) << repo.message;
}

TEST(RuleLoader, DuplicateRecordsNameTheFirstLocation) {
  std::string second = replaced(kTestPromotion, "name: podinfo", "name: podinfo-again");
  LoadResult result = compile_rules({{"policy.yaml", kTestPolicy}, {"a.yaml", kTestPromotion}, {"b.yaml", second}});
  // The repository and the chart are each promoted twice.
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].file, "b.yaml");
  EXPECT_NE(result.errors[0].message.find("repository ghcr.io/acme/podinfo already has a Promotion record at a.yaml:7"),
            std::string::npos)
      << result.errors[0].message;
  EXPECT_NE(result.errors[1].message.find("already has a Promotion record at a.yaml:12"), std::string::npos)
      << result.errors[1].message;

  LoadError tag = single_error(compile(kTestPolicy, replaced(kTestPromotion, "[\"6.5.0\", ", "[\"6.5.0\", \"6.5.0\", ")));
  EXPECT_NE(tag.message.find("version 6.5.0 is listed twice"), std::string::npos) << tag.message;
}

TEST(RuleLoader, ExactlyOneReleasePolicy) {
  LoadResult none = compile_rules({{"promotion.yaml", kTestPromotion}});
  EXPECT_NE(single_error(none).message.find("no ReleasePolicy"), std::string::npos);
  LoadResult two = compile_rules({{"a.yaml", kTestPolicy}, {"b.yaml", kTestPolicy}});
  LoadError e = single_error(two);
  EXPECT_EQ(e.file, "b.yaml");
  EXPECT_NE(e.message.find("second ReleasePolicy"), std::string::npos);
}

// A repeated key would silently replace the first: in rules, always a mistake.
TEST(RuleLoader, RepeatedFieldIsALocatedError) {
  LoadError e = single_error(compile(replaced(kTestPolicy, "      requireDigest: true",
                                              "      requireDigest: true\n      requireDigest: false")));
  EXPECT_EQ(e.file, "policy.yaml");
  EXPECT_GT(e.line, 0);
  EXPECT_NE(e.message.find("duplicate field \"requireDigest\""), std::string::npos) << e.message;
}

// yaml-cpp 0.7.0 looped for ever on these; each is a syntax error now.
TEST(RuleLoader, ALeadingCommaIsASyntaxError) {
  for (const char* text : {",", "!tag ,", "&a ,"}) {
    LoadError e = single_error(compile(text));
    EXPECT_NE(e.message.find("YAML syntax error"), std::string::npos) << text << ": " << e.message;
  }
}

TEST(RuleLoader, YamlSyntaxErrorHasLocation) {
  LoadError e = single_error(compile(replaced(kTestPolicy, "namespaces: [\"staging\"]", "namespaces: [\"staging\"")));
  EXPECT_EQ(e.file, "policy.yaml");
  EXPECT_GT(e.line, 0);
  EXPECT_NE(e.message.find("YAML syntax error"), std::string::npos);
}

TEST(RuleLoader, WrongApiVersionOrKind) {
  LoadError api = single_error(compile(replaced(kTestPolicy, "releasegate.io/v1alpha1", "releasegate.io/v1")));
  EXPECT_EQ(api.line, 1);
  EXPECT_EQ(api.column, 13);
  LoadError kind = single_error(compile(kTestPolicy, replaced(kTestPromotion, "kind: Promotion", "kind: Promotions")));
  EXPECT_NE(kind.message.find("unknown kind \"Promotions\""), std::string::npos);
}

constexpr const char* kConfigMap = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-promotion
  namespace: releasegate-system
  labels:
    releasegate.io/rules: "true"
data:
  README: not rules, ignored
  podinfo.yaml: |
    apiVersion: releasegate.io/v1alpha1
    kind: Promotion
    metadata:
      name: podinfo
    spec:
      images:
        - repository: ghcr.io/acme/podinfo
          environments:
            qa: ["1.0.0"]
)";

TEST(RuleLoader, ErrorsInsideConfigMapsPointAtTheFileLineAndNameTheKey) {
  LoadResult result = compile_rules({{"policy.yaml", kTestPolicy}, {"cm.yaml", kConfigMap}});
  LoadError e = single_error(result);
  EXPECT_EQ(e.file, "cm.yaml");
  EXPECT_EQ(e.line, 19);
  EXPECT_EQ(e.column, 13);
  EXPECT_EQ(e.context, "ConfigMap releasegate-system/podinfo-promotion, key podinfo.yaml");
  EXPECT_EQ(e.to_string().substr(0, 14), "cm.yaml:19:13:");
}

TEST(RuleLoader, ConfigMapWithoutTheRulesLabelIsAnError) {
  std::string unlabelled = replaced(kConfigMap, "releasegate.io/rules: \"true\"", "app: x");
  LoadError e = single_error(compile_rules({{"policy.yaml", kTestPolicy}, {"cm.yaml", unlabelled}}));
  EXPECT_NE(e.message.find("is not labelled releasegate.io/rules"), std::string::npos);
}

TEST(RuleLoader, LoadsAMountedConfigMapDirectoryThroughItsDataSymlink) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("releasegate-rules-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  // The layout kubelet writes: files in a timestamped dir, ..data pointing
  // at it, and one symlink per key.
  fs::create_directories(dir / "..2026_11_22_00_00_00.000000001");
  std::ofstream(dir / "..2026_11_22_00_00_00.000000001" / "policy.yaml") << kTestPolicy;
  std::ofstream(dir / "..2026_11_22_00_00_00.000000001" / "promotion.yaml") << kTestPromotion;
  fs::create_directory_symlink("..2026_11_22_00_00_00.000000001", dir / "..data");
  fs::create_symlink("..data/policy.yaml", dir / "policy.yaml");
  fs::create_symlink("..data/promotion.yaml", dir / "promotion.yaml");
  LoadResult result = load_rules({dir.string()});
  EXPECT_TRUE(result.rules) << (result.errors.empty() ? "" : result.errors.front().to_string());
  fs::remove_all(dir);
}

TEST(RuleLoader, MissingDirectoryIsAnError) {
  LoadResult result = load_rules({"/nonexistent/releasegate-rules"});
  EXPECT_FALSE(result.rules);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].file, "/nonexistent/releasegate-rules");
}

TEST(RuleLoader, TheShippedExampleRulesAreValid) {
  LoadResult result = load_rules({(testing::source_dir() / "deploy/examples/rules").string()});
  ASSERT_TRUE(result.rules) << result.errors.front().to_string();
  EXPECT_EQ(result.rules->environments.size(), 3u);
  EXPECT_TRUE(result.rules->promotions.contains("ghcr.io/acme/podinfo"));
}

}  // namespace
}  // namespace releasegate::policy

namespace releasegate::policy {
namespace {

TEST(PromotionChain, AVersionPromotedStraightToProdIsAnError) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("prod: [\""), 8, "prod: [\"6.6.0@sha256:" + std::string(64, 'd') + "\", \"");
  LoadResult result = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", promotion}});
  ASSERT_FALSE(result.rules);
  ASSERT_EQ(result.errors.size(), 1u);
  const LoadError& e = result.errors[0];
  EXPECT_EQ(e.file, "promotion.yaml");
  EXPECT_EQ(e.line, 10);
  EXPECT_EQ(e.column, 16);
  EXPECT_NE(e.message.find("is promoted to prod but not to staging; promote it to staging first"), std::string::npos)
      << e.message;
}

TEST(PromotionChain, TagPromotedUnderAnotherDigestIsAnError) {
  std::string promotion = testing::kTestPromotion;
  // staging has 6.5.1@bbbb...; prod claims 6.5.1 with another digest.
  promotion.replace(promotion.find("prod: [\""), 8, "prod: [\"6.5.1@sha256:" + std::string(64, 'e') + "\", \"");
  LoadResult result = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", promotion}});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].message.find("promote the digest that passed staging"), std::string::npos)
      << result.errors[0].message;
}

TEST(PromotionChain, OpenEnvironmentsImposeNothingAndDigestsMatchAcrossTags) {
  // staging follows dev, which is open: anything may be promoted to staging.
  // prod's digest-only entry matches staging's 6.5.1@bbbb.
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("prod: [\""), 8, "prod: [\"sha256:" + std::string(64, 'b') + "\", \"");
  LoadResult result = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", promotion}});
  EXPECT_TRUE(result.rules) << result.errors.front().to_string();
}

TEST(DocumentKeys, ExcludedDocumentsAreReplaced) {
  std::set<DocumentKey> keys = document_keys({"promotion.yaml", testing::kTestPromotion});
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.begin()->kind, "Promotion");
  EXPECT_EQ(keys.begin()->name, "podinfo");
  // Two records of one repository are an error, unless one replaces the other.
  std::vector<RuleSource> sources{{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}};
  RulesEdit add{{}, {{"edit.yaml", testing::kTestPromotion}}};
  LoadResult in_force = compile_rules(sources);
  ASSERT_TRUE(in_force.rules);
  EXPECT_FALSE(compile_edit(*in_force.rules, *in_force.from, add).rules);
  std::string edited = testing::kTestPromotion;
  auto at = edited.find(", \"6.5.1@");  // drop 6.5.1 from staging
  edited.erase(at, edited.find('"', at + 3) + 1 - at);
  RulesEdit replace{keys, {{"edit.yaml", edited}}};
  LoadResult replaced = compile_edit(*in_force.rules, *in_force.from, replace);
  ASSERT_TRUE(replaced.rules) << replaced.errors.front().to_string();
  EXPECT_FALSE(replaced.rules->promotions.find("ghcr.io/acme/podinfo", 1).find_tag("6.5.1"));
  EXPECT_TRUE(replaced.rules->promotions.find("ghcr.io/acme/podinfo", 1).find_tag("6.5.0"));
  EXPECT_EQ(replaced.from->fragments.size(), 3u);
}

}  // namespace
}  // namespace releasegate::policy

namespace releasegate::policy {
namespace {

TEST(PromotionChain, ChartsFollowTheChainAndMustBeExact) {
  std::string straight = testing::kTestPromotion;
  straight.replace(straight.rfind("prod: [\"6.5.0\"]"), 15, "prod: [\"6.6.0\"]");
  LoadResult chain = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", straight}});
  ASSERT_EQ(chain.errors.size(), 1u);
  EXPECT_NE(chain.errors[0].message.find("version 6.6.0 of HelmRepository/flux-system/podinfo podinfo is promoted to "
                                         "prod but not to staging"),
            std::string::npos)
      << chain.errors[0].message;
  std::string ranged = testing::kTestPromotion;
  ranged.replace(ranged.rfind("staging: [\"6.5.1\""), 17, "staging: [\"6.x\"");
  LoadResult range = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", ranged}});
  ASSERT_EQ(range.errors.size(), 1u);
  EXPECT_NE(range.errors[0].message.find("an exact SemVer version, not a range"), std::string::npos);
}

// A policy edit that changes the environments re-checks every record in
// force: dropping staging, which a record in force names, is refused.
TEST(DocumentKeys, PolicyEditsRecheckTheRecordsInForce) {
  LoadResult in_force = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}});
  ASSERT_TRUE(in_force.rules);
  std::string renamed = testing::kTestPolicy;
  for (auto at = renamed.find("staging"); at != std::string::npos; at = renamed.find("staging")) {
    renamed.replace(at, 7, "qa");
  }
  RulesEdit edit{document_keys({"policy.yaml", renamed}), {{"ConfigMap releasegate-system/policy key policy.yaml", renamed}}};
  LoadResult edited = compile_edit(*in_force.rules, *in_force.from, edit);
  ASSERT_FALSE(edited.rules);
  EXPECT_EQ(edited.errors.size(), 2u);  // staging in the image record and in the chart record
  EXPECT_EQ(edited.errors.front().file, "promotion.yaml");
  EXPECT_NE(edited.errors.front().message.find("unknown environment \"staging\""), std::string::npos)
      << edited.errors.front().to_string();
  // Opening staging instead changes the environments too, and is valid.
  std::string opened = testing::kTestPolicy;
  opened.replace(opened.find("namespaces: [\"staging\"]"), 23, "namespaces: [\"staging\"]\n      promotion: open");
  LoadResult open = compile_edit(*in_force.rules, *in_force.from, {document_keys({"p.yaml", opened}), {{"p.yaml", opened}}});
  ASSERT_TRUE(open.rules) << open.errors.front().to_string();
  EXPECT_TRUE(open.rules->environments[1].promotion_open);
}

// A reload does not read a file whose stamp shows it unchanged, but only
// once the stamp is settled: a same-size rewrite right after a read keeps
// the times the clock gave the read, so such a file is read again.
TEST(RuleFiles, StampsSkipSettledFilesAndRereadRecentOnes) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("releasegate-stamps-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& text) { std::ofstream(dir / "a.yaml", std::ios::trunc) << text; };
  write("# one\n");
  SourcesRead first = read_rule_sources({dir.string(), dir.string()});
  ASSERT_EQ(first.sources.size(), 1u);  // a directory given twice is read once
  write("# two\n");  // same size, within the clock's granularity
  SourcesRead second = read_rule_sources({dir.string()}, &first.stamps);
  EXPECT_TRUE(second.unchanged.empty());
  EXPECT_EQ(second.sources[0].content, "# two\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  SourcesRead third = read_rule_sources({dir.string()}, &second.stamps);  // read long after the write
  EXPECT_TRUE(third.unchanged.empty());
  SourcesRead settled = read_rule_sources({dir.string()}, &third.stamps);
  EXPECT_TRUE(settled.unchanged.contains((dir / "a.yaml").string()));
  EXPECT_TRUE(settled.sources[0].content.empty());
  write("# three, longer\n");
  SourcesRead changed = read_rule_sources({dir.string()}, &settled.stamps);
  EXPECT_TRUE(changed.unchanged.empty());
  EXPECT_EQ(changed.sources[0].content, "# three, longer\n");
  fs::remove_all(dir);
}

// The environments an edit's policy defines are compared name by name: a
// single environment whose name spells out the others' is not taken for
// them, so the records in force are checked against it (and fail).
TEST(DocumentKeys, AnEnvironmentNamedLikeAListIsNotThatList) {
  auto policy = [](const std::string& environments) {
    return "apiVersion: releasegate.io/v1alpha1\nkind: ReleasePolicy\nmetadata:\n  name: platform\nspec:\n"
           "  environments:\n" + environments;
  };
  std::string three = policy("    - {name: dev, namespaces: [dev], promotion: open}\n"
                             "    - {name: staging, namespaces: [staging]}\n    - {name: prod, namespaces: [prod]}\n");
  std::string promotion = testing::kTestPromotion;
  promotion.erase(promotion.find("  charts:"));
  LoadResult in_force = compile_rules({{"policy.yaml", three}, {"promotion.yaml", promotion}});
  ASSERT_TRUE(in_force.rules) << in_force.errors.front().to_string();
  std::string one = policy("    - {name: \"dev\\n1\\nstaging\\n0\\nprod\", namespaces: [dev]}\n");
  LoadResult edited = compile_edit(*in_force.rules, *in_force.from, {document_keys({"p.yaml", one}), {{"p.yaml", one}}});
  ASSERT_FALSE(edited.rules);
  EXPECT_NE(edited.errors.front().message.find("unknown environment \"staging\""), std::string::npos)
      << edited.errors.front().to_string();
}

// Two pull requests, not one: a version newly promoted to prod must be in
// staging in the rules in force, not only in the same edit.
TEST(DocumentKeys, ANewVersionPassesThePreviousEnvironmentInTheRulesInForce) {
  LoadResult in_force = compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", testing::kTestPromotion}});
  ASSERT_TRUE(in_force.rules);
  std::set<DocumentKey> keys = document_keys({"promotion.yaml", testing::kTestPromotion});
  std::string both = testing::kTestPromotion;  // 6.6.0 to staging and prod at once
  both.replace(both.find("staging: [\"6.5.0\""), 17, "staging: [\"6.6.0\", \"6.5.0\"");
  both.replace(both.find("prod: [\""), 8, "prod: [\"6.6.0\", \"");
  ASSERT_TRUE(compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", both}}).rules);
  LoadResult at_once = compile_edit(*in_force.rules, *in_force.from, {keys, {{"cm", both}}});
  ASSERT_FALSE(at_once.rules);
  ASSERT_EQ(at_once.errors.size(), 1u);
  EXPECT_NE(at_once.errors[0].message.find("version 6.6.0 of ghcr.io/acme/podinfo is newly promoted to prod but is "
                                           "not promoted to staging in the rules in force"),
            std::string::npos)
      << at_once.errors[0].to_string();
  // Staging first; then prod, against the rules that include it.
  std::string staging = testing::kTestPromotion;
  staging.replace(staging.find("staging: [\"6.5.0\""), 17, "staging: [\"6.6.0\", \"6.5.0\"");
  LoadResult first = compile_edit(*in_force.rules, *in_force.from, {keys, {{"cm", staging}}});
  ASSERT_TRUE(first.rules) << first.errors.front().to_string();
  LoadResult second = compile_edit(*first.rules, *first.from, {keys, {{"cm", both}}});
  EXPECT_TRUE(second.rules) << second.errors.front().to_string();
  // What is already in force is not new: an edit that only removes passes.
  EXPECT_TRUE(compile_edit(*second.rules, *second.from, {keys, {{"cm", staging}}}).rules);
}

// In the pod each rules ConfigMap is its own volume, a directory named
// after it: the files are read with their ConfigMap, and a ReleasePolicy
// outside the policy's ConfigMap is an error there too.
TEST(RuleFiles, ConfigMapVolumesAreReadWithTheirConfigMap) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("releasegate-volumes-" + std::to_string(::getpid()));
  auto mount = [&](const std::string& config_map, const std::string& key, const std::string& text) {
    fs::create_directories(dir / config_map / "..data");
    std::ofstream(dir / config_map / key) << text;
  };
  mount("releasegate-policy", "policy.yaml", testing::kTestPolicy);
  mount("team-a", "podinfo.yaml", testing::kTestPromotion);
  fs::create_directories(dir / "not-a-volume");  // no ..data: not read
  std::ofstream(dir / "not-a-volume" / "x.yaml") << "not: [valid";
  SourcesRead read = read_rule_sources({dir.string()});
  ASSERT_EQ(read.sources.size(), 2u);
  EXPECT_EQ(read.sources[0].config_map, "releasegate-policy");
  EXPECT_EQ(read.sources[1].config_map, "team-a");
  EXPECT_TRUE(load_rules({dir.string()}).rules);
  mount("team-b", "policy.yaml", replaced(testing::kTestPolicy, "name: platform", "name: team-b"));
  LoadResult team_policy = load_rules({dir.string()});
  ASSERT_FALSE(team_policy.rules);
  EXPECT_NE(team_policy.errors.front().message.find("ConfigMap team-b holds a ReleasePolicy"), std::string::npos)
      << team_policy.errors.front().to_string();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace releasegate::policy
