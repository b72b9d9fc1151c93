#include "cli/lint_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/test_support.h"

namespace releasegate::cli {
namespace {

namespace fs = std::filesystem;

struct Lint {
  int code;
  std::string out;
  std::string err;
};

Lint lint(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = run_lint(args, out, err);
  return {code, out.str(), err.str()};
}

class LintCommand : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("releasegate-lint-" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& content) { std::ofstream(dir / name) << content; }
};

TEST_F(LintCommand, ValidRulesExitZero) {
  write("policy.yaml", testing::kTestPolicy);
  write("promotion.yaml", testing::kTestPromotion);
  Lint result = lint({"--rules", dir.string()});
  EXPECT_EQ(result.code, 0) << result.out;
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("valid (3 environments, 1 image repositories and 1 charts promoted, 6 promoted versions)"), std::string::npos)
      << result.err;
}

// An environment listed after one whose patterns cover its namespaces
// can never be reached: the rules load, lint fails and says where.
TEST_F(LintCommand, ShadowedEnvironmentsFailLint) {
  std::string policy = testing::kTestPolicy;
  policy.replace(policy.find("    - name: staging"), 0,
                 "    - name: dev-test\n      namespaces: [\"dev-test\", \"dev-*-eu\"]\n      promotion: open\n");
  write("policy.yaml", policy);
  write("promotion.yaml", testing::kTestPromotion);
  Lint result = lint({"--rules", dir.string()});
  EXPECT_EQ(result.code, 1);
  std::string p = (dir / "policy.yaml").string();
  EXPECT_EQ(result.out,
            p + ":12:19: namespace pattern \"dev-test\" of environment dev-test never applies: environment dev, "
                "listed before it, matches it with \"dev-*\" (warning)\n" +
            p + ":12:19: namespace pattern \"dev-*-eu\" of environment dev-test never applies: environment dev, "
                "listed before it, matches it with \"dev-*\" (warning)\n" +
            p + ":12:19: environment dev-test can never match a namespace; list it before the environments whose "
                "patterns cover its namespaces (warning)\n");
  EXPECT_NE(result.err.find("3 warnings"), std::string::npos) << result.err;
}

// With --base (the target branch), a version the pull request promotes to
// staging and prod at once fails: prod needs it in staging on the base.
TEST_F(LintCommand, BaseRulesMakeAVersionPassEachEnvironmentFirst) {
  fs::path base = dir / "base", pr = dir / "pr";
  fs::create_directories(base);
  fs::create_directories(pr);
  std::ofstream(base / "policy.yaml") << testing::kTestPolicy;
  std::ofstream(base / "promotion.yaml") << testing::kTestPromotion;
  std::string both = testing::kTestPromotion;
  both.replace(both.find("staging: [\"6.5.0\""), 17, "staging: [\"6.6.0\", \"6.5.0\"");
  both.replace(both.find("prod: [\""), 8, "prod: [\"6.6.0\", \"");
  std::ofstream(pr / "policy.yaml") << testing::kTestPolicy;
  std::ofstream(pr / "promotion.yaml") << both;
  EXPECT_EQ(lint({"--rules", pr.string()}).code, 0);
  Lint against_base = lint({"--rules", pr.string(), "--base", base.string()});
  EXPECT_EQ(against_base.code, 1);
  EXPECT_NE(against_base.out.find((pr / "promotion.yaml").string() + ":10:16: version 6.6.0 of ghcr.io/acme/podinfo "
                                   "is newly promoted to prod but is not promoted to staging in the rules in force"),
            std::string::npos)
      << against_base.out;
  // Against itself nothing is new.
  EXPECT_EQ(lint({"--rules", pr.string(), "--base", pr.string()}).code, 0);
}

TEST_F(LintCommand, GoldenErrorsWithFileLineAndColumn) {
  std::string policy = testing::kTestPolicy;
  policy.replace(policy.find("requireDigest: true"), 19, "requireDigest: maybe");
  policy.replace(policy.find("forbiddenTags"), 13, "forbidenTags");
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("prod:"), 5, "prdo:");
  write("policy.yaml", policy);
  write("promotion.yaml", promotion);
  Lint result = lint({"--rules", dir.string()});
  EXPECT_EQ(result.code, 1);
  std::string p = (dir / "policy.yaml").string();
  std::string q = (dir / "promotion.yaml").string();
  EXPECT_EQ(result.out,
            p + ":15:22: requireDigest must be true or false\n" +
            p + ":30:5: unknown field \"forbidenTags\" in images (known fields: registries, forbiddenTags, helmValues, platform)\n" +
            q + ":10:9: unknown environment \"prdo\" (environments: dev, staging, prod)\n");
  EXPECT_NE(result.err.find("3 errors"), std::string::npos);
}

TEST_F(LintCommand, TheShippedExamplesAreValid) {
  Lint result = lint({"--rules", (testing::source_dir() / "deploy/examples/rules").string()});
  EXPECT_EQ(result.code, 0) << result.out;
}

TEST_F(LintCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(lint({}).code, 2);
  EXPECT_EQ(lint({"--rule", "x"}).code, 2);
  EXPECT_EQ(lint({"--rules", dir.string(), "--cluster-label", "region"}).code, 2);
  EXPECT_EQ(lint({"--rules", dir.string(), "--cluster-file", (dir / "missing.yaml").string()}).code, 2);
}

// A cluster's identity from flags or a file; the fleet file against the policy.
TEST_F(LintCommand, ClustersFromFlagsFilesAndFleets) {
  fs::path example = testing::source_dir() / "deploy/examples/fleet/locations";
  std::string rules = (example / "rules").string();
  Lint one = lint({"--rules", rules, "--cluster-name", "us-1", "--cluster-label", "region=us"});
  EXPECT_EQ(one.code, 0) << one.out << one.err;
  EXPECT_EQ(one.out, "cluster us-1 {region=us}: staging-us, prod-us\n");
  write("cluster.yaml", "name: asia-1\nlabels: {region: asia}\n");
  Lint from_file = lint({"--rules", rules, "--cluster-file", (dir / "cluster.yaml").string()});
  EXPECT_EQ(from_file.out, "cluster asia-1 {region=asia}: staging-asia, prod-asia\n");
  Lint overridden = lint({"--rules", rules, "--cluster-file", (dir / "cluster.yaml").string(), "--cluster-label",
                          "region=europe"});
  EXPECT_EQ(overridden.out, "cluster asia-1 {region=europe}: staging-europe, prod-europe\n");

  write("fleet.yaml", "clusters:\n  - {name: eu-1, labels: {region: europe}, environments: [staging-europe]}\n");
  Lint fleet = lint({"--rules", rules, "--fleet", (dir / "fleet.yaml").string()});
  EXPECT_EQ(fleet.code, 1);
  std::string f = (dir / "fleet.yaml").string();
  EXPECT_NE(fleet.out.find(f + ":2:5: cluster eu-1 {region=europe} hosts staging-europe, prod-europe under the policy, "
                               "not staging-europe as the fleet says"),
            std::string::npos)
      << fleet.out;
  EXPECT_NE(fleet.out.find("environment prod-us (labels region=us) is hosted by no cluster of the fleet"),
            std::string::npos)
      << fleet.out;
}

}  // namespace
}  // namespace releasegate::cli
