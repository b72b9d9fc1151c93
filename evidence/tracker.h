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
#include <tuple>
#include <vector>

#include "core/evidence.h"
#include "evidence/health.h"

namespace releasegate::evidence {

struct TrackerOptions {
  std::string cluster;  // written into each record
  std::int64_t settle_grace_seconds = 300;
  std::size_t max_history = 5000;            // completed periods kept, oldest dropped first
  std::size_t max_history_per_artifact = 16;  // per environment and repository or chart
};

class Tracker {
 public:
  explicit Tracker(TrackerOptions options) : options_(std::move(options)) {}

  // An object as seen at `now`, governed as `environment` ("" when none:
  // it is forgotten, its period ended). `id` identifies it across updates.
  // Whether its evidence changed (most status updates change nothing: the
  // observer then publishes nothing). O(log n), whatever n.
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

  // The evidence at `now`: the periods of the objects, and the history.
  EvidenceSet snapshot(UnixSeconds now) const;
  std::size_t objects() const { return objects_.size(); }
  // The objects tracked now, by id (to judge them again under new rules).
  std::vector<std::pair<std::string, ObservedObject>> tracked() const;

 private:
  struct Tracked {
    ObservedObject object;
    std::string environment;
    UnixSeconds since = 0;            // the period's start; 0: none
    UnixSeconds settling_since = 0;   // within a period, not healthy since
    UnixSeconds degraded_at = 0;
  };
  using VersionKey = std::tuple<std::string, int, std::string, std::string, std::string>;  // env, of, key, tag, digest
  static VersionKey key_of(const std::string& environment, const ObservedVersion& v);

  struct State {
    std::string environment;
    std::vector<ObservedVersion> versions;
    Health health;
    UnixSeconds since, settling_since, degraded_at;
    bool operator==(const State&) const = default;
  };
  std::optional<State> state_of(const std::string& id) const;
  void apply_update(const std::string& id, ObservedObject object, const std::string& environment, UnixSeconds now);
  void start(Tracked& t, UnixSeconds now);
  void end_period(const Tracked& t, UnixSeconds now);
  void degrade(Tracked& t, UnixSeconds now);
  EvidenceRecord record_of(const std::string& environment, const ObservedVersion& v) const;
  void bound_history();

  TrackerOptions options_;
  std::map<std::string, Tracked> objects_;
  std::map<VersionKey, EvidenceRecord> history_;
  std::uint64_t periods_ended_ = 0;  // periods moved into the history so far
};

}  // namespace releasegate::evidence
