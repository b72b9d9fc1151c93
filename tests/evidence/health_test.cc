// Reading health from the status each controller writes.
#include "evidence/health.h"

#include <gtest/gtest.h>

#include "cli/manifest.h"
#include "tests/support/evidence_fixtures.h"

namespace releasegate::evidence {
namespace {

using testing::kT0;
using testing::Rollout;

nlohmann::json staging_deployment(Rollout rollout, UnixSeconds since = kT0) {
  return testing::with_status(testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.1"), rollout, since);
}

TEST(Health, ADeploymentRolledOutIsHealthySinceItsConditionsSay) {
  auto o = observe("Deployment", staging_deployment(Rollout::Complete));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->health, Health::Healthy);
  EXPECT_EQ(o->healthy_since, kT0);
  EXPECT_EQ(o->describe(), "Deployment staging/podinfo");
  ASSERT_EQ(o->versions.size(), 1u);
  EXPECT_EQ(o->versions[0], (ObservedVersion{EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", ""}));
}

TEST(Health, TheLaterOfAvailableAndTheRolloutsEnd) {
  auto d = staging_deployment(Rollout::Complete);
  d["status"]["conditions"][0]["lastTransitionTime"] = rfc3339(kT0 - 86400);  // available for days
  auto o = observe("Deployment", d);
  EXPECT_EQ(o->healthy_since, kT0);  // this version since its rollout ended
}

// progressDeadlineSeconds: 2147483647 makes the controller drop the
// Progressing condition, and Available stays True through every rolling
// update: its time would date a new version as old as the first one.
TEST(Health, AvailableAloneDatesNothing) {
  auto d = staging_deployment(Rollout::Complete);
  d["spec"]["progressDeadlineSeconds"] = 2147483647;
  d["status"]["conditions"][0]["lastTransitionTime"] = rfc3339(kT0 - 86400 * 365);
  d["status"]["conditions"].erase(1);
  auto o = observe("Deployment", d);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->health, Health::Healthy);
  EXPECT_EQ(o->healthy_since, 0) << "the status says no time for this version";
}

TEST(Health, RollingOutOrStaleIsSettling) {
  EXPECT_EQ(observe("Deployment", staging_deployment(Rollout::Progressing))->health, Health::Settling);
  auto stale = staging_deployment(Rollout::Complete);
  stale["metadata"]["generation"] = 4;  // the controller has not seen the change yet
  EXPECT_EQ(observe("Deployment", stale)->health, Health::Settling);
  auto paused = staging_deployment(Rollout::Complete);
  paused["spec"]["paused"] = true;
  EXPECT_EQ(observe("Deployment", paused)->health, Health::Settling);
}

TEST(Health, UnavailableOrPastTheDeadlineIsDegraded) {
  EXPECT_EQ(observe("Deployment", staging_deployment(Rollout::Unavailable))->health, Health::Degraded);
  auto deadline = staging_deployment(Rollout::Progressing);
  deadline["status"]["conditions"][1]["status"] = "False";
  deadline["status"]["conditions"][1]["reason"] = "ProgressDeadlineExceeded";
  EXPECT_EQ(observe("Deployment", deadline)->health, Health::Degraded);
}

TEST(Health, ScaledToZeroRunsNothing) {
  auto d = staging_deployment(Rollout::Complete);
  d["spec"]["replicas"] = 0;
  EXPECT_EQ(observe("Deployment", d)->health, Health::Idle);
}

TEST(Health, StatefulSetsAndDaemonSetsByTheirCounts) {
  nlohmann::json sts = testing::stateful_set("staging", "ghcr.io/acme/db:1.2.3", "db-1");
  auto o = observe("StatefulSet", sts);
  EXPECT_EQ(o->health, Health::Healthy);
  EXPECT_EQ(o->healthy_since, 0);  // its status says no time
  sts["status"]["updateRevision"] = "db-2";
  EXPECT_EQ(observe("StatefulSet", sts)->health, Health::Settling);

  nlohmann::json ds = testing::deployment("staging", "ghcr.io/acme/agent:2.0.0");
  ds["metadata"]["generation"] = 1;
  ds["status"] = {{"observedGeneration", 1}, {"desiredNumberScheduled", 3}, {"updatedNumberScheduled", 3},
                  {"numberReady", 3},        {"numberAvailable", 3}};
  EXPECT_EQ(observe("DaemonSet", ds)->health, Health::Healthy);
  ds["status"]["numberReady"] = 2;
  EXPECT_EQ(observe("DaemonSet", ds)->health, Health::Settling);
  ds["status"]["desiredNumberScheduled"] = 0;
  EXPECT_EQ(observe("DaemonSet", ds)->health, Health::Idle);
}

TEST(Health, HelmReleasesByReadyAndTheReleaseInForce) {
  auto ok = observe("HelmRelease", testing::helm_release("staging", "6.5.1", true, kT0));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->health, Health::Healthy);
  EXPECT_EQ(ok->healthy_since, kT0);
  EXPECT_EQ(ok->versions[0],
            (ObservedVersion{EvidenceOf::Chart, "HelmRepository/flux-system/podinfo podinfo", "6.5.1", ""}));
  EXPECT_EQ(observe("HelmRelease", testing::helm_release("staging", "6.5.1", false, kT0))->health, Health::Degraded);
  auto stale = testing::helm_release("staging", "6.5.1", true, kT0);
  stale["metadata"]["generation"] = 3;  // a new spec not reconciled yet
  EXPECT_EQ(observe("HelmRelease", stale)->health, Health::Settling);
  // Rolled back after 6.5.1 failed: 6.5.0 runs again, neither proof nor failure.
  auto rolled_back = testing::helm_release("staging", "6.5.0", true, kT0);
  rolled_back["status"]["conditions"][0]["status"] = "False";
  rolled_back["status"]["conditions"][0]["reason"] = "RollbackSucceeded";
  rolled_back["status"]["lastAttemptedRevision"] = "6.5.1";
  EXPECT_EQ(observe("HelmRelease", rolled_back)->health, Health::Settling);
  // Its upgrade to 6.5.1 failed while 6.5.1 is the release in force: degraded.
  auto upgrade_failed = testing::helm_release("staging", "6.5.1", true, kT0);
  upgrade_failed["status"]["conditions"][0]["status"] = "False";
  upgrade_failed["status"]["conditions"][0]["reason"] = "TestFailed";
  EXPECT_EQ(observe("HelmRelease", upgrade_failed)->health, Health::Degraded);
  auto target = testing::helm_release("flux-system", "6.5.1", true, kT0);
  target["spec"]["targetNamespace"] = "staging";
  EXPECT_EQ(observe("HelmRelease", target)->runs_in, "staging");
  auto never = testing::helm_release("staging", "6.5.1", true, kT0);
  never["status"].erase("history");
  EXPECT_FALSE(observe("HelmRelease", never));
}

TEST(Health, OtherKindsAreNotObserved) {
  EXPECT_FALSE(observe("Job", staging_deployment(Rollout::Complete)));
  EXPECT_FALSE(observe("Deployment", nlohmann::json::array()));
}

TEST(Health, CorpusWorkloadsAreRead) {
  REQUIRE_CORPUS(corpus);
  std::size_t read = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus / "workloads")) {
    auto manifests = cli::read_manifests(entry.path().string());
    for (const cli::Manifest& m : manifests.manifests) {
      std::string kind = m.object.value("kind", "");
      if (!is_evidence_kind(kind)) continue;
      auto o = observe(kind, m.object);
      if (entry.path().filename().string().find("allfields") != std::string::npos) {
        EXPECT_FALSE(o) << "its image \"imageValue\" is no reference: nothing to observe";
        continue;
      }
      ASSERT_TRUE(o) << entry.path();
      EXPECT_FALSE(o->versions.empty()) << entry.path();
      // No status, or the allfields fixture's nonsense: never healthy.
      EXPECT_NE(o->health, Health::Healthy) << entry.path();
      ++read;
    }
  }
  EXPECT_GT(read, 2u);
}

}  // namespace
}  // namespace releasegate::evidence
