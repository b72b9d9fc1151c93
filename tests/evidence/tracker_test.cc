// Healthy periods over time, with the tests' own clock.
#include "evidence/tracker.h"

#include <gtest/gtest.h>

#include "tests/support/evidence_fixtures.h"

namespace releasegate::evidence {
namespace {

using testing::kT0;

ObservedObject workload(Health health, const std::string& tag = "6.5.1", UnixSeconds since = 0,
                        const std::string& kind = "StatefulSet") {
  ObservedObject o;
  o.kind = kind;
  o.namespace_ = o.runs_in = "staging";
  o.name = "podinfo";
  o.versions = {{EvidenceOf::Image, "ghcr.io/acme/podinfo", tag, ""}};
  o.health = health;
  o.healthy_since = since;
  return o;
}

const EvidenceRecord* record(const EvidenceSet& set, const std::string& tag = "6.5.1",
                             const std::string& environment = "staging") {
  auto found = set.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", environment, tag, "");
  return found.size() == 1 ? found[0] : nullptr;
}

TEST(Tracker, BecomingAvailableStayingDegrading) {
  Tracker tracker({"staging-eu-1"});
  tracker.update("a", workload(Health::Settling), "staging", kT0);
  EXPECT_EQ(tracker.snapshot(kT0).size(), 0u) << "rolling out proves nothing";
  tracker.update("a", workload(Health::Healthy), "staging", kT0 + 60);
  const EvidenceSet at_12 = tracker.snapshot(kT0 + 60 + 12 * 60);
  ASSERT_TRUE(record(at_12));
  EXPECT_TRUE(record(at_12)->ongoing);
  EXPECT_EQ(record(at_12)->healthy_since, kT0 + 60);
  EXPECT_EQ(record(at_12)->healthy_for(kT0 + 60 + 12 * 60), 12 * 60);
  EXPECT_EQ(record(at_12)->cluster, "staging-eu-1");
  tracker.update("a", workload(Health::Healthy), "staging", kT0 + 40 * 60);  // staying
  EXPECT_EQ(record(tracker.snapshot(kT0 + 40 * 60))->healthy_since, kT0 + 60);
  tracker.update("a", workload(Health::Degraded), "staging", kT0 + 41 * 60);
  const EvidenceSet degraded = tracker.snapshot(kT0 + 42 * 60);
  ASSERT_TRUE(record(degraded));
  EXPECT_EQ(record(degraded)->degraded_at, kT0 + 41 * 60);
  EXPECT_EQ(record(degraded)->healthy_for(kT0 + 42 * 60), 0);
  // Healthy again: a new period from then on, not from before.
  tracker.update("a", workload(Health::Healthy, "6.5.1", kT0), "staging", kT0 + 50 * 60);
  EXPECT_EQ(record(tracker.snapshot(kT0 + 50 * 60))->healthy_since, kT0 + 41 * 60);
}

TEST(Tracker, SettlingWithinTheGraceKeepsThePeriod) {
  Tracker tracker({"c"});
  tracker.update("a", workload(Health::Healthy), "staging", kT0);
  tracker.update("a", workload(Health::Settling), "staging", kT0 + 600);  // scaling up
  tracker.update("a", workload(Health::Healthy), "staging", kT0 + 700);
  EXPECT_EQ(record(tracker.snapshot(kT0 + 800))->healthy_since, kT0);
  // Settling past the grace at the same version: it failed, when it began.
  tracker.update("a", workload(Health::Settling), "staging", kT0 + 1000);
  tracker.tick(kT0 + 1000 + 299);
  EXPECT_EQ(record(tracker.snapshot(kT0 + 1299))->degraded_at, 0);
  tracker.tick(kT0 + 1000 + 301);
  EXPECT_EQ(record(tracker.snapshot(kT0 + 1301))->degraded_at, kT0 + 1000);
}

TEST(Tracker, ReplacedVersionsKeepTheirPeriod) {
  Tracker tracker({"c"});
  tracker.update("a", workload(Health::Healthy, "6.5.0"), "staging", kT0);
  tracker.update("a", workload(Health::Settling, "6.5.1"), "staging", kT0 + 3600);  // the next rollout
  const EvidenceSet set = tracker.snapshot(kT0 + 7200);
  ASSERT_TRUE(record(set, "6.5.0"));
  EXPECT_FALSE(record(set, "6.5.0")->ongoing);
  EXPECT_EQ(record(set, "6.5.0")->healthy_for(kT0 + 7200), 3600);
  EXPECT_FALSE(record(set, "6.5.1"));
  // Deleting the object ends its period too.
  tracker.update("a", workload(Health::Healthy, "6.5.1"), "staging", kT0 + 7200);
  tracker.remove("a", kT0 + 9000);
  EXPECT_EQ(record(tracker.snapshot(kT0 + 10000), "6.5.1")->healthy_for(kT0 + 10000), 1800);
  EXPECT_EQ(tracker.objects(), 0u);
}

TEST(Tracker, AVersionSeenChangingStartsWhenSeen) {
  // The first status after the change still says "available since long
  // ago": that time belonged to the previous version.
  Tracker tracker({"c"});
  tracker.update("a", workload(Health::Healthy, "6.5.0", kT0 - 86400, "Deployment"), "staging", kT0);
  tracker.update("a", workload(Health::Healthy, "6.5.1", kT0 - 86400, "Deployment"), "staging", kT0 + 600);
  EXPECT_EQ(record(tracker.snapshot(kT0 + 700))->healthy_since, kT0 + 600);
}

TEST(Tracker, ScaledToZeroEndsThePeriod) {
  Tracker tracker({"c"});
  tracker.update("a", workload(Health::Healthy), "staging", kT0);
  tracker.update("a", workload(Health::Idle), "staging", kT0 + 600);
  EXPECT_EQ(record(tracker.snapshot(kT0 + 86400))->healthy_for(kT0 + 86400), 600);
}

TEST(Tracker, AnotherEnvironmentIsAnotherRecord) {
  Tracker tracker({"c"});
  tracker.update("a", workload(Health::Healthy), "staging", kT0);
  tracker.update("a", workload(Health::Healthy), "prod", kT0 + 600);  // the namespace moved (new rules)
  const EvidenceSet set = tracker.snapshot(kT0 + 1200);
  EXPECT_EQ(record(set, "6.5.1", "staging")->healthy_for(kT0 + 1200), 600);
  EXPECT_TRUE(record(set, "6.5.1", "prod")->ongoing);
  tracker.update("a", workload(Health::Healthy), "", kT0 + 1300);  // in no environment
  EXPECT_EQ(tracker.objects(), 0u);
}

TEST(Tracker, ARestartLosesNothing) {
  Tracker before({"c"});
  before.update("a", workload(Health::Healthy), "staging", kT0);
  std::vector<EvidenceRecord> persisted = before.snapshot(kT0 + 600).records();
  persisted[0].observed_until = kT0 + 600;

  // Seen healthy again within the grace: the period continues.
  Tracker after({"c"});
  after.restore(persisted);
  after.update("a", workload(Health::Healthy), "staging", kT0 + 700);
  EXPECT_EQ(record(after.snapshot(kT0 + 1800))->healthy_since, kT0);
  EXPECT_TRUE(record(after.snapshot(kT0 + 1800))->ongoing);

  // Down for longer: it starts again, the persisted period still counts as proven.
  Tracker late({"c"});
  late.restore(persisted);
  late.update("a", workload(Health::Healthy), "staging", kT0 + 3600);
  const EvidenceSet set = late.snapshot(kT0 + 3600);
  auto found = set.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", "");
  ASSERT_EQ(found.size(), 2u);
  std::int64_t longest = std::max(found[0]->healthy_for(kT0 + 3660), found[1]->healthy_for(kT0 + 3660));
  EXPECT_EQ(longest, 600);
}

TEST(Tracker, HistoryIsBounded) {
  TrackerOptions options{"c"};
  options.max_history_per_artifact = 3;
  Tracker tracker(options);
  for (int i = 0; i < 10; ++i) {
    tracker.update("a", workload(Health::Healthy, "1.0." + std::to_string(i)), "staging", kT0 + i * 100);
  }
  const EvidenceSet set = tracker.snapshot(kT0 + 2000);
  EXPECT_EQ(set.size(), 4u);  // three replaced versions kept, and the one running
  EXPECT_TRUE(record(set, "1.0.9"));
  EXPECT_TRUE(record(set, "1.0.8"));
  EXPECT_FALSE(record(set, "1.0.5"));
}

}  // namespace
}  // namespace releasegate::evidence
