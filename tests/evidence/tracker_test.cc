// Healthy periods over time, with the tests' own clock.
#include "evidence/tracker.h"

#include <gtest/gtest.h>

#include <algorithm>

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

ObservedObject running(const std::string& name, Health health, std::vector<ObservedVersion> versions,
                       UnixSeconds since = 0) {
  ObservedObject o = workload(health, "", since, "Deployment");
  o.name = name;
  o.versions = std::move(versions);
  return o;
}

const ObservedVersion kPodinfo{EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", ""};
const ObservedVersion kSidecar{EvidenceOf::Image, "ghcr.io/acme/proxy", "1.20", "sha256:" + std::string(64, 'a')};

// Two objects running the same version: one record, the earliest start,
// and a failure of either withdraws it; each object's end is its own.
TEST(Tracker, AVersionRunByManyObjectsIsOneRecord) {
  Tracker tracker({"c"});
  tracker.update("Deployment staging/x", running("x", Health::Healthy, {kPodinfo, kSidecar}), "staging", kT0);
  tracker.update("Deployment staging/y", running("y", Health::Healthy, {kSidecar}), "staging", kT0 + 100);
  auto sidecar = [&](UnixSeconds now) {
    return tracker.find(EvidenceOf::Image, kSidecar.key, "staging", kSidecar.tag, kSidecar.digest, now);
  };
  ASSERT_EQ(sidecar(kT0 + 200).size(), 1u);
  EXPECT_EQ(sidecar(kT0 + 200)[0].healthy_since, kT0);
  EXPECT_EQ(sidecar(kT0 + 200)[0].observed_until, kT0 + 200);
  EXPECT_EQ(sidecar(kT0 + 200)[0].object, "Deployment staging/x");

  tracker.update("Deployment staging/y", running("y", Health::Degraded, {kSidecar}), "staging", kT0 + 300);
  ASSERT_EQ(sidecar(kT0 + 400).size(), 1u);
  EXPECT_EQ(sidecar(kT0 + 400)[0].degraded_at, kT0 + 300) << "a failure anywhere in the environment wins";
  EXPECT_FALSE(sidecar(kT0 + 400)[0].ongoing);
  EXPECT_EQ(sidecar(kT0 + 400)[0].object, "Deployment staging/y");

  tracker.remove("Deployment staging/y", kT0 + 500);
  ASSERT_EQ(sidecar(kT0 + 600).size(), 1u);
  EXPECT_TRUE(sidecar(kT0 + 600)[0].ongoing) << "x runs on";
  EXPECT_EQ(tracker.find(EvidenceOf::Image, kPodinfo.key, "staging", kPodinfo.tag, "", kT0 + 600)[0].healthy_since, kT0)
      << "x's own version is untouched by y";
  tracker.remove("Deployment staging/x", kT0 + 700);
  EXPECT_EQ(tracker.objects(), 0u);
  ASSERT_EQ(sidecar(kT0 + 800).size(), 1u);
  EXPECT_FALSE(sidecar(kT0 + 800)[0].ongoing) << "only history is left";
  EXPECT_EQ(sidecar(kT0 + 800)[0].observed_until, kT0 + 700);
}

// Admission's lookup answers exactly as a snapshot of everything would, for
// every version and environment, through starts, failures, replacements,
// restores and removals; and the counts agree with the snapshot.
TEST(Tracker, FindAndCountAgreeWithTheSnapshot) {
  Tracker tracker({"c"});
  std::vector<EvidenceRecord> restored(1);
  restored[0].key = kPodinfo.key;
  restored[0].tag = "6.5.0";
  restored[0].environment = "staging";
  restored[0].healthy_since = kT0 - 3600;
  restored[0].observed_until = kT0 - 60;
  tracker.restore(restored);
  const std::vector<std::string> tags = {"6.5.0", "6.5.1", "6.5.2"};
  UnixSeconds now = kT0;
  auto check = [&](const std::string& step) {
    const EvidenceSet all = tracker.snapshot(now);
    Tracker::Counts counts = tracker.count();
    EXPECT_EQ(counts.records, all.size()) << step;
    std::size_t proven = 0;
    for (const auto& [env, n] : counts.proven) proven += n;
    for (const auto& [env, n] : counts.degraded) proven += n;
    EXPECT_EQ(proven, all.size()) << step;
    for (const std::string env : {"staging", "prod"}) {
      for (const std::string& tag : tags) {
        std::vector<EvidenceRecord> found = tracker.find(EvidenceOf::Image, kPodinfo.key, env, tag, "", now);
        std::vector<const EvidenceRecord*> expected = all.find(EvidenceOf::Image, kPodinfo.key, env, tag, "");
        ASSERT_EQ(found.size(), expected.size()) << step << " " << env << " " << tag;
        for (const EvidenceRecord* e : expected) {
          bool same = std::any_of(found.begin(), found.end(), [&](const EvidenceRecord& f) {
            return f.healthy_since == e->healthy_since && f.observed_until == e->observed_until &&
                   f.degraded_at == e->degraded_at && f.ongoing == e->ongoing && f.object == e->object &&
                   f.cluster == e->cluster && f.origin == e->origin;
          });
          EXPECT_TRUE(same) << step << " " << env << " " << tag << " " << e->object;
        }
      }
    }
  };
  auto version = [&](const std::string& tag) { return ObservedVersion{EvidenceOf::Image, kPodinfo.key, tag, ""}; };
  check("restored");
  tracker.update("a", running("a", Health::Healthy, {version("6.5.0")}), "staging", now);
  check("a continues the restored period");
  tracker.update("b", running("b", Health::Settling, {version("6.5.1")}), "staging", now += 60);
  check("b rolling out");
  tracker.update("b", running("b", Health::Healthy, {version("6.5.1")}), "staging", now += 60);
  tracker.update("c", running("c", Health::Healthy, {version("6.5.1")}), "prod", now += 60);
  check("b healthy, c in prod");
  tracker.update("a", running("a", Health::Healthy, {version("6.5.1")}), "staging", now += 60);
  check("a replaced");
  tracker.update("b", running("b", Health::Settling, {version("6.5.1")}), "staging", now += 60);
  tracker.tick(now += 3600);
  check("b settled too long");
  tracker.update("a", running("a", Health::Idle, {version("6.5.1")}), "staging", now += 60);
  tracker.remove("c", now += 60);
  check("a scaled to zero, c removed");
  tracker.update("b", running("b", Health::Healthy, {version("6.5.2")}), "staging", now += 60);
  tracker.remove("a", now += 60);
  check("b replaced, a removed");
}

// Persisted is what a restart could not read back: the history, and the
// periods of objects whose status gives no time. A Deployment dated by its
// conditions is left out (at 100,000 objects a ConfigMap could not hold it
// all), and comes back from its status.
TEST(Tracker, PersistsOnlyWhatARestartCouldNotReadBack) {
  Tracker tracker({"c"});
  const ObservedVersion old_version{EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.0", ""};
  tracker.update("Deployment staging/dated", running("dated", Health::Healthy, {kPodinfo}, kT0), "staging", kT0);
  tracker.update("StatefulSet staging/undated", running("undated", Health::Healthy, {kSidecar}), "staging", kT0);
  tracker.update("Deployment staging/replaced", running("replaced", Health::Healthy, {old_version}, kT0), "staging", kT0);
  tracker.update("Deployment staging/replaced", running("replaced", Health::Settling, {kPodinfo}), "staging", kT0 + 60);
  const EvidenceSet persisted = tracker.to_persist(kT0 + 600);
  EXPECT_EQ(tracker.snapshot(kT0 + 600).size(), 3u);
  ASSERT_EQ(persisted.size(), 2u);
  EXPECT_EQ(persisted.find(EvidenceOf::Image, kSidecar.key, "staging", kSidecar.tag, kSidecar.digest).size(), 1u)
      << "a StatefulSet's period: its status says no time";
  auto ended = persisted.find(EvidenceOf::Image, kPodinfo.key, "staging", "6.5.0", "");
  ASSERT_EQ(ended.size(), 1u) << "a completed period";
  EXPECT_EQ(ended[0]->observed_until, kT0 + 60);
  EXPECT_TRUE(persisted.find(EvidenceOf::Image, kPodinfo.key, "staging", "6.5.1", "").empty())
      << "the running Deployment's status dates it again after a restart";

  Tracker restarted({"c"});
  restarted.restore(persisted.records());
  restarted.update("Deployment staging/dated", running("dated", Health::Healthy, {kPodinfo}, kT0), "staging", kT0 + 700);
  restarted.update("StatefulSet staging/undated", running("undated", Health::Healthy, {kSidecar}), "staging", kT0 + 700);
  for (const ObservedVersion& v : {kPodinfo, kSidecar}) {
    auto found = restarted.find(v.of, v.key, "staging", v.tag, v.digest, kT0 + 800);
    ASSERT_EQ(found.size(), 1u) << v.key;
    EXPECT_EQ(found[0].healthy_since, kT0) << v.key << ": the restart lost nothing";
  }
}

// Across artifacts, the oldest seen go first once the history is full; an
// artifact's own bound leaves the others' records alone.
TEST(Tracker, AFullHistoryDropsTheOldestSeen) {
  TrackerOptions options{"c"};
  options.max_history = 4;
  options.max_history_per_artifact = 2;
  Tracker tracker(options);
  auto run = [&](const std::string& repository, const std::string& tag, UnixSeconds at) {
    tracker.update("Deployment staging/" + repository,
                   running(repository, Health::Healthy, {{EvidenceOf::Image, "ghcr.io/acme/" + repository, tag, ""}}),
                   "staging", at);
  };
  for (int i = 0; i < 4; ++i) run("a", "1.0." + std::to_string(i), kT0 + i * 100);  // a: 1.0.0-1.0.2 ended
  run("b", "2.0.0", kT0 + 1000);
  run("b", "2.0.1", kT0 + 1100);  // b: 2.0.0 ended
  auto kept = [&](const std::string& repository, const std::string& tag) {
    return !tracker.find(EvidenceOf::Image, "ghcr.io/acme/" + repository, "staging", tag, "", kT0 + 2000).empty();
  };
  EXPECT_FALSE(kept("a", "1.0.0")) << "a keeps its two most recently seen";
  EXPECT_TRUE(kept("a", "1.0.1"));
  EXPECT_TRUE(kept("a", "1.0.2"));
  EXPECT_TRUE(kept("b", "2.0.0"));
  run("c", "3.0.0", kT0 + 1200);
  run("c", "3.0.1", kT0 + 1300);  // c: 3.0.0 ended: four ended periods, the limit
  run("b", "2.0.2", kT0 + 1400);  // b: 2.0.1 ended: the oldest seen (a 1.0.1) goes
  EXPECT_FALSE(kept("a", "1.0.1"));
  EXPECT_TRUE(kept("a", "1.0.2"));
  EXPECT_TRUE(kept("b", "2.0.0"));
  EXPECT_TRUE(kept("b", "2.0.1"));
  EXPECT_TRUE(kept("c", "3.0.0"));
  EXPECT_EQ(tracker.snapshot(kT0 + 2000).size(), 4u + 3u) << "four ended, three running";
}

}  // namespace
}  // namespace releasegate::evidence
