// deploy/examples/fleet/: each example's policy agrees with its fleet file,
// and every release file is allowed in the clusters that host its
// environment and refused where its version was never promoted, decided
// by the real binary as each cluster's releasegate would.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/deploy/deploy_support.h"
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

namespace releasegate::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKustomizeController = "system:serviceaccount:flux-system:kustomize-controller";

struct Cluster {
  std::string name;
  std::string region;  // empty: no label
};

CommandResult check(const fs::path& example, const Cluster& cluster, const std::string& release) {
  std::vector<std::string> argv{RELEASEGATE_BINARY, "check", "--rules", (example / "rules").string(),
                                "--cluster-name", cluster.name, "--user", kKustomizeController,
                                "-f", (example / "releases" / release / "podinfo.yaml").string()};
  if (!cluster.region.empty()) argv.insert(argv.end(), {"--cluster-label", "region=" + cluster.region});
  return run_command(argv);
}

CommandResult lint_fleet(const fs::path& example) {
  return run_command({RELEASEGATE_BINARY, "lint", "--rules", (example / "rules").string(), "--fleet",
                      (example / "fleet.yaml").string()});
}

TEST(FleetExamples, LocationsPolicyAgreesWithItsFleet) {
  CommandResult r = lint_fleet(source_dir() / "deploy/examples/fleet/locations");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out,
            "cluster eu-1 {region=europe}: staging-europe, prod-europe\n"
            "cluster us-1 {region=us}: staging-us, prod-us\n"
            "cluster asia-1 {region=asia}: staging-asia, prod-asia\n");
}

TEST(FleetExamples, EachLocationRunsWhatWasPromotedThere) {
  fs::path example = source_dir() / "deploy/examples/fleet/locations";
  std::vector<std::pair<std::string, Cluster>> clusters = {
      {"europe", {"eu-1", "europe"}}, {"us", {"us-1", "us"}}, {"asia", {"asia-1", "asia"}}};
  for (const auto& [location, cluster] : clusters) {
    for (const char* env : {"staging", "production"}) {
      CommandResult r = check(example, cluster, std::string(env) + "/" + location);
      EXPECT_EQ(r.exit_code, 0) << env << "/" << location << "\n" << r.out << r.err;
    }
  }
  // Europe's prod release (6.5.1) has not been promoted to prod-us or
  // prod-asia: the same file is refused there.
  for (const Cluster& other : {Cluster{"us-1", "us"}, Cluster{"asia-1", "asia"}}) {
    CommandResult r = check(example, other, "production/europe");
    EXPECT_EQ(r.exit_code, 1) << other.name << "\n" << r.out;
    EXPECT_NE(r.out.find("is not promoted to prod-" + other.region), std::string::npos) << r.out;
  }
}

// A cluster whose identity selects none of the fleet's environments (its
// labels not mounted, or mistyped) would govern nothing: check refuses to
// decide as it, unless told that this cluster is outside the fleet. The
// same for no identity at all, as CI running `check` would.
TEST(FleetExamples, AClusterHostingNoEnvironmentIsRefusedUnlessDeclaredOutside) {
  fs::path example = source_dir() / "deploy/examples/fleet/locations";
  std::string release = (example / "releases/production/europe/podinfo.yaml").string();
  for (const Cluster& cluster : {Cluster{"eu-1", ""}, Cluster{"eu-1", "EU"}}) {
    CommandResult r = check(example, cluster, "production/europe");
    EXPECT_EQ(r.exit_code, 2) << cluster.region << "\n" << r.out << r.err;
    EXPECT_EQ(r.out, "") << "no verdict";
  }
  CommandResult anonymous = run_command({RELEASEGATE_BINARY, "check", "--rules", (example / "rules").string(), "--user",
                                         kKustomizeController, "-f", release});
  EXPECT_EQ(anonymous.exit_code, 2) << anonymous.out << anonymous.err;
  CommandResult outside = run_command({RELEASEGATE_BINARY, "check", "--rules", (example / "rules").string(), "--user",
                                       kKustomizeController, "-f", release, "--cluster-name", "lab-1",
                                       "--cluster-hosts-none"});
  EXPECT_EQ(outside.exit_code, 0) << outside.out << outside.err;
  EXPECT_EQ(outside.out.find("(environment"), std::string::npos) << "said outside the fleet: nothing governed";
  // lint as well: for a cluster, a fleet, or a cluster said to be outside.
  CommandResult lint = run_command({RELEASEGATE_BINARY, "lint", "--rules", (example / "rules").string()});
  EXPECT_EQ(lint.exit_code, 1) << lint.out << lint.err;
  lint = run_command({RELEASEGATE_BINARY, "lint", "--rules", (example / "rules").string(), "--cluster-hosts-none"});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
}

// With --fleet, check decides as every cluster of the fleet file: one
// verdict line per cluster and manifest.
TEST(FleetExamples, CheckWithTheFleetJudgesEveryCluster) {
  fs::path example = source_dir() / "deploy/examples/fleet/locations";
  CommandResult r = run_command({RELEASEGATE_BINARY, "check", "--rules", (example / "rules").string(), "--fleet",
                                 (example / "fleet.yaml").string(), "--user", kKustomizeController, "-f",
                                 (example / "releases/production/europe/podinfo.yaml").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // "cluster eu-1 {region=europe}: allow: Deployment ..." -> (cluster, decision)
  std::vector<std::pair<std::string, std::string>> verdicts;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto brace = line.find("}: ");
    if (!line.starts_with("cluster ") || brace == std::string::npos) continue;
    std::size_t decision = brace + 3;
    verdicts.emplace_back(line.substr(8, brace + 1 - 8), line.substr(decision, line.find(':', decision) - decision));
  }
  EXPECT_EQ(verdicts, (std::vector<std::pair<std::string, std::string>>{
                          {"eu-1 {region=europe}", "allow"}, {"us-1 {region=us}", "deny"}, {"asia-1 {region=asia}", "deny"}}))
      << r.out;
  // JSON names the cluster of each result.
  r = run_command({RELEASEGATE_BINARY, "check", "--rules", (example / "rules").string(), "--fleet",
                   (example / "fleet.yaml").string(), "--user", kKustomizeController, "--output", "json", "-f",
                   (example / "releases/production/europe/podinfo.yaml").string()});
  nlohmann::json results = nlohmann::json::parse(r.out);
  ASSERT_EQ(results.size(), 3u) << r.out;
  EXPECT_EQ(results[0]["cluster"], "eu-1 {region=europe}");
  EXPECT_EQ(results[0]["decision"], "allow");
  EXPECT_EQ(results[1]["cluster"], "us-1 {region=us}");
  EXPECT_EQ(results[1]["environment"], "prod-us");
  EXPECT_EQ(results[1]["decision"], "deny");
}

TEST(FleetExamples, ChainPolicyAgreesWithItsFleetAndEachClusterRunsItsVersion) {
  fs::path example = source_dir() / "deploy/examples/fleet/chain";
  CommandResult lint = lint_fleet(example);
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  std::vector<std::string> chain = {"dev", "dev-test", "uat", "stg", "prod"};
  for (std::size_t i = 0; i < chain.size(); ++i) {
    CommandResult own = check(example, {chain[i], ""}, chain[i]);
    EXPECT_EQ(own.exit_code, 0) << chain[i] << "\n" << own.out << own.err;
    EXPECT_NE(own.out.find("(environment " + chain[i] + ")"), std::string::npos) << own.out;
  }
  // What dev runs (6.5.2) has reached no other cluster.
  for (std::size_t i = 1; i < chain.size(); ++i) {
    CommandResult r = check(example, {chain[i], ""}, "dev");
    EXPECT_EQ(r.exit_code, 1) << chain[i] << "\n" << r.out;
    EXPECT_NE(r.out.find("version 6.5.2 is not promoted to " + chain[i]), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace releasegate::testing
