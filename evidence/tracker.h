// Health over time, per object, into evidence per (environment, version):
// since when each version has run healthy without interruption, and until
// when it was last seen so. Pure and clocked by its caller (tests drive
// it with their own clock); the observer (evidence/observer.h) feeds it
// the cluster's objects.
//
// The rules of time:
// - A period starts when an object running the version is first healthy
//   (at the time its status says, when it does: Deployment conditions,
//   HelmRelease Ready; else when seen).
// - Rolling out or scaling (Settling) does not end it; settling longer
//   than `settle_grace` at the same version, or a controller saying it
//   failed (Degraded), withdraws the version's evidence in that environment
//   until it is healthy again.
// - Replacing the version, scaling to zero or deleting the object ends the
//   period, which stays as evidence (history, bounded).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/evidence.h"
#include "core/shared_text.h"
#include "evidence/health.h"

namespace releasegate::evidence {

struct TrackerOptions {
  std::string cluster;  // written into each record
  std::int64_t settle_grace_seconds = 300;
  std::size_t max_history = 5000;            // completed periods kept, oldest dropped first
  std::size_t max_history_per_artifact = 16;  // per environment and repository or chart
};

// Evidence is not copied out as records: a record is made when a decision
// asks for one version (find), or for export and persistence (snapshot).
// Each version in an environment is held once, with the objects that run
// it; an object holds its names (namespace, environment: shared texts), a
// few times, and pointers to its versions. At 100,000 objects the
// observer's state is bench/README.md's "Observer at scale".
//
// Not thread-safe: the observer serializes its calls.
class Tracker {
 public:
  explicit Tracker(TrackerOptions options) : options_(std::move(options)) {}
  Tracker(const Tracker&) = delete;  // objects point into the versions
  Tracker& operator=(const Tracker&) = delete;

  // An object as seen at `now`, governed as `environment` ("" when none:
  // it is forgotten, its period ended). `id` identifies it across updates
  // and names it in records: the observer's is object.describe().
  // Whether its evidence changed (most status updates change nothing: the
  // observer then publishes nothing). O(1) on average, whatever the number
  // of objects.
  bool update(const std::string& id, ObservedObject object, const std::string& environment, UnixSeconds now);
  // Whether it was tracked.
  bool remove(const std::string& id, UnixSeconds now);
  // Settling past the grace becomes Degraded: called periodically.
  void tick(UnixSeconds now);
  // Periods from an earlier run (what the observer persisted): kept as
  // history. An object whose status gives no time (StatefulSet, DaemonSet)
  // seen healthy at a restored version continues its period when the
  // period was last seen within the grace: a restart loses nothing.
  void restore(const std::vector<EvidenceRecord>& records);

  // The records of one version in one environment at `now`
  // (EvidenceSource::records_of): admission's question. The work is in
  // the objects that run that version, and remembered until one changes.
  std::vector<EvidenceRecord> find(EvidenceOf of, std::string_view key, std::string_view environment,
                                   std::string_view tag, std::string_view digest, UnixSeconds now) const;
  // Every record at `now`: the periods of the objects and the history
  // (export and persistence; a copy of everything, made when asked).
  EvidenceSet snapshot(UnixSeconds now) const;
  // What a restart could not read back from the objects' status: the
  // history, and the periods of versions some object runs whose status
  // gives no time (StatefulSets, DaemonSets, a Deployment without
  // Progressing). A Deployment or HelmRelease dated by its status is left
  // out, so that what is persisted stays small at 100,000 objects.
  EvidenceSet to_persist(UnixSeconds now) const;
  struct Counts {
    std::size_t records = 0;                       // as many as snapshot() has
    std::map<std::string, std::size_t> proven;     // environment -> versions with evidence (not degraded)
    std::map<std::string, std::size_t> degraded;   // environment -> versions degraded
  };
  Counts count() const;
  std::size_t objects() const { return objects_.size(); }
  // The objects tracked now (to judge them again under new rules, one at a
  // time: no copy of them all is made), as far as the tracker keeps them:
  // where they run, their versions and health; no names but the id.
  std::vector<std::string> ids() const;
  std::optional<ObservedObject> object(const std::string& id) const;

 private:
  struct Tracked;
  // A live period merged over the objects running one version: a failure
  // anywhere in the environment wins, else the earliest start.
  struct Merged {
    UnixSeconds since = 0, degraded_at = 0;
    const Tracked* by = nullptr;  // null: no evidence now
  };
  // One version in one environment, and the objects that run it there.
  struct Version {
    Version(const ObservedVersion& v, SharedText environment);
    std::string_view key() const { return std::string_view(text).substr(0, tag_at - 1); }
    std::string_view tag() const { return std::string_view(text).substr(tag_at, digest_at - 1 - tag_at); }
    std::string_view digest() const { return std::string_view(text).substr(digest_at); }
    bool is(const ObservedVersion& v) const { return of == v.of && key() == v.key && tag() == v.tag && digest() == v.digest; }
    ObservedVersion observed() const { return {of, std::string(key()), std::string(tag()), std::string(digest())}; }

    EvidenceOf of = EvidenceOf::Image;
    std::string text;  // key, tag and digest, a NUL between each: one block for the three
    std::uint32_t tag_at = 0, digest_at = 0;
    SharedText environment;
    std::vector<const Tracked*> runners;  // in the order they came
    mutable Merged merged;                // of the runners, while merged_valid
    mutable bool merged_valid = false;
  };
  struct Tracked {
    const std::string* id = nullptr;  // its key in objects_
    SharedText runs_in, environment;
    std::vector<Version*> versions;  // distinct
    Health health = Health::Settling;
    UnixSeconds healthy_since = 0;  // as its status says
    UnixSeconds since = 0;           // the period's start; 0: none
    UnixSeconds settling_since = 0;  // within a period, not healthy since
    UnixSeconds degraded_at = 0;
  };
  using VersionKey = std::tuple<std::string, int, std::string, std::string, std::string>;  // env, of, key, tag, digest
  static VersionKey key_of(const Version& v);
  static std::uint64_t hash_of(std::string_view environment, EvidenceOf of, std::string_view key);

  // What the evidence of an object depends on: when it changes, or a
  // period ends into the history, the evidence changed.
  struct State {
    std::string environment;
    std::vector<ObservedVersion> versions;
    Health health;
    UnixSeconds since, settling_since, degraded_at;
    bool operator==(const State&) const = default;
  };
  std::optional<State> state_of(const std::string& id) const;
  void apply_update(const std::string& id, ObservedObject object, const std::string& environment, UnixSeconds now);
  Tracked& track(const std::string& id, ObservedObject object, const std::string& environment);
  void advance(Tracked& t, UnixSeconds now);  // its health seen again
  void forget(std::unordered_map<std::string, Tracked>::iterator it);  // unlinked from its versions
  static bool runs_same(const Tracked& t, const std::string& environment, const std::vector<ObservedVersion>& versions);
  static void invalidate(const Tracked& t);
  const Version* find_version(std::string_view environment, EvidenceOf of, std::string_view key, std::string_view tag,
                              std::string_view digest) const;
  void start(Tracked& t, UnixSeconds now);
  void end_period(const Tracked& t, UnixSeconds now);
  void degrade(Tracked& t, UnixSeconds now);
  const Merged& merged(const Version& v) const;
  std::optional<EvidenceRecord> live_record(const Version& v, UnixSeconds now) const;
  // A completed period of the history, unless the live state says more
  // (a failure now, or a period that covers it).
  std::optional<EvidenceRecord> history_record(const EvidenceRecord& r) const;
  EvidenceSet records(UnixSeconds now, bool only_undated) const;
  EvidenceRecord record_of(const Version& v) const;
  void bound_history(VersionKey touched);

  TrackerOptions options_;
  TextPool texts_;
  std::unordered_map<std::string, Tracked> objects_;
  // By hash of (environment, kind, key): the versions of one repository or
  // chart in one environment (and of any other of the same hash).
  std::unordered_multimap<std::uint64_t, Version> versions_;
  std::map<VersionKey, EvidenceRecord> history_;
  std::uint64_t periods_ended_ = 0;  // periods moved into the history so far
};

}  // namespace releasegate::evidence
