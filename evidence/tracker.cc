#include "evidence/tracker.h"

#include <algorithm>

namespace releasegate::evidence {

Tracker::VersionKey Tracker::key_of(const std::string& environment, const ObservedVersion& v) {
  return {environment, static_cast<int>(v.of), v.key, v.tag, v.digest};
}

EvidenceRecord Tracker::record_of(const std::string& environment, const ObservedVersion& v) const {
  EvidenceRecord r;
  r.of = v.of;
  r.key = v.key;
  r.tag = v.tag;
  r.digest = v.digest;
  r.environment = environment;
  r.cluster = options_.cluster;
  r.origin = "observed in this cluster";
  return r;
}

void Tracker::start(Tracked& t, UnixSeconds now) {
  t.settling_since = 0;
  if (t.object.health == Health::Degraded) return degrade(t, now);
  t.degraded_at = 0;
  if (t.object.health != Health::Healthy) return;
  UnixSeconds since = t.object.healthy_since > 0 && t.object.healthy_since <= now ? t.object.healthy_since : now;
  if (t.object.healthy_since == 0) {
    // No time in its status (StatefulSet, DaemonSet): continue a period an
    // earlier run persisted (restore) when it was seen within the grace.
    for (const ObservedVersion& v : t.object.versions) {
      auto it = history_.find(key_of(t.environment, v));
      if (it != history_.end() && it->second.ongoing && it->second.degraded_at == 0 &&
          it->second.observed_until >= now - options_.settle_grace_seconds) {
        since = std::min(since, it->second.healthy_since);
      }
    }
  }
  t.since = since;
}

void Tracker::end_period(const Tracked& t, UnixSeconds now) {
  if (t.since == 0 || t.degraded_at != 0 || t.environment.empty()) return;
  ++periods_ended_;
  UnixSeconds until = t.settling_since ? t.settling_since : now;
  for (const ObservedVersion& v : t.object.versions) {
    EvidenceRecord r = record_of(t.environment, v);
    r.healthy_since = t.since;
    r.observed_until = until;
    r.object = t.object.describe();
    auto [it, added] = history_.emplace(key_of(t.environment, v), r);
    // Keep the longest period proven, unless the version failed since.
    if (!added && (it->second.degraded_at != 0 || it->second.ongoing || r.healthy_for(now) >= it->second.healthy_for(now))) {
      it->second = std::move(r);
    }
  }
  bound_history();
}

void Tracker::degrade(Tracked& t, UnixSeconds now) {
  if (t.degraded_at == 0) t.degraded_at = now;
  t.since = 0;
  t.settling_since = 0;
  for (const ObservedVersion& v : t.object.versions) {
    EvidenceRecord r = record_of(t.environment, v);
    r.degraded_at = t.degraded_at;
    r.object = t.object.describe();
    history_[key_of(t.environment, v)] = std::move(r);  // withdrawn until healthy again
  }
  bound_history();
}

// What the evidence of a tracked object depends on: when it changes, or a
// period ends into the history, the snapshot changes.
auto Tracker::state_of(const std::string& id) const -> std::optional<State> {
  auto it = objects_.find(id);
  if (it == objects_.end()) return std::nullopt;
  const Tracked& t = it->second;
  return State{t.environment, t.object.versions, t.object.health, t.since, t.settling_since, t.degraded_at};
}

bool Tracker::update(const std::string& id, ObservedObject object, const std::string& environment, UnixSeconds now) {
  std::optional<State> before = state_of(id);
  std::uint64_t ended = periods_ended_;
  apply_update(id, std::move(object), environment, now);
  return periods_ended_ != ended || state_of(id) != before;
}

void Tracker::apply_update(const std::string& id, ObservedObject object, const std::string& environment,
                           UnixSeconds now) {
  auto it = objects_.find(id);
  bool changed = it != objects_.end() &&
                 (it->second.environment != environment || it->second.object.versions != object.versions);
  if (changed) {
    end_period(it->second, now);
    objects_.erase(it);
    it = objects_.end();
  }
  if (environment.empty()) return;
  if (it == objects_.end()) {
    Tracked& t = objects_[id];
    t.object = std::move(object);
    t.environment = environment;
    start(t, now);
    // Seen changing here: its period cannot have begun before, whatever a
    // status left over from the previous version says.
    if (changed && t.since != 0) t.since = std::max(t.since, now);
    return;
  }
  Tracked& t = it->second;
  t.object = std::move(object);
  switch (t.object.health) {
    case Health::Degraded: return degrade(t, now);
    case Health::Idle:
      end_period(t, now);
      t.since = 0;
      t.settling_since = 0;
      return;
    case Health::Settling:
      if (t.since != 0 && t.settling_since == 0) t.settling_since = now;
      if (t.settling_since != 0 && now - t.settling_since > options_.settle_grace_seconds) degrade(t, t.settling_since);
      return;
    case Health::Healthy:
      if (t.since == 0) {
        UnixSeconds failed = t.degraded_at;
        start(t, now);
        t.since = std::max(t.since, failed);  // healthy again only after it failed
      }
      t.settling_since = 0;
      return;
  }
}

std::vector<std::pair<std::string, ObservedObject>> Tracker::tracked() const {
  std::vector<std::pair<std::string, ObservedObject>> out;
  out.reserve(objects_.size());
  for (const auto& [id, t] : objects_) out.emplace_back(id, t.object);
  return out;
}

bool Tracker::remove(const std::string& id, UnixSeconds now) {
  auto it = objects_.find(id);
  if (it == objects_.end()) return false;
  end_period(it->second, now);
  objects_.erase(it);
  return true;
}

void Tracker::tick(UnixSeconds now) {
  for (auto& [id, t] : objects_) {
    if (t.settling_since != 0 && now - t.settling_since > options_.settle_grace_seconds) degrade(t, t.settling_since);
  }
}

void Tracker::restore(const std::vector<EvidenceRecord>& records) {
  for (const EvidenceRecord& r : records) {
    if (r.degraded_at != 0 || r.observed_until < r.healthy_since) continue;
    ObservedVersion v{r.of, r.key, r.tag, r.digest};
    auto [it, added] = history_.emplace(key_of(r.environment, v), r);
    if (!added && r.observed_until - r.healthy_since > it->second.observed_until - it->second.healthy_since) {
      it->second = r;
    }
    it->second.origin = "observed in this cluster";
    it->second.ongoing = true;  // restored: may continue (start)
  }
  bound_history();
}

EvidenceSet Tracker::snapshot(UnixSeconds now) const {
  // Live periods by version: a failure anywhere in the environment wins,
  // else the earliest start. Merged in a set of their own (no map of
  // version keys: at 100,000 objects that doubled the snapshot's memory
  // while it was made).
  std::size_t versions = 0;
  for (const auto& [id, t] : objects_) versions += t.object.versions.size();
  EvidenceSet live;
  live.reserve(versions);  // the records merged into stay in place
  for (const auto& [id, t] : objects_) {
    if (t.since == 0 && t.degraded_at == 0) continue;
    for (const ObservedVersion& v : t.object.versions) {
      EvidenceRecord* r = live.same_version(v.of, v.key, t.environment, v.tag, v.digest);
      bool added = r == nullptr;
      if (added) r = &live.add(record_of(t.environment, v));
      if (r->degraded_at != 0) continue;
      if (t.degraded_at != 0) {
        r->degraded_at = t.degraded_at;
        r->object = t.object.describe();
        r->ongoing = false;
      } else if (added || t.since < r->healthy_since) {
        r->healthy_since = t.since;
        r->observed_until = now;
        r->ongoing = true;
        r->object = t.object.describe();
      }
    }
  }
  EvidenceSet set;
  set.reserve(history_.size() + live.size());  // exactly: a growing vector holds up to twice its records
  for (const auto& [key, r] : history_) {
    const EvidenceRecord* now_live = live.same_version(r.of, r.key, r.environment, r.tag, r.digest);
    // The live state says: a failure now, or a period that covers this one.
    if (now_live && (now_live->degraded_at != 0 || r.degraded_at != 0 ||
                     (now_live->ongoing && now_live->healthy_since <= r.healthy_since))) {
      continue;
    }
    EvidenceRecord completed = r;
    completed.ongoing = false;
    set.add(std::move(completed));
  }
  for (EvidenceRecord& r : std::move(live).take_records()) set.add(std::move(r));
  return set;
}

void Tracker::bound_history() {
  // Per artifact (environment, kind, key): the most recently seen first.
  std::map<std::tuple<std::string, int, std::string>, std::vector<std::map<VersionKey, EvidenceRecord>::iterator>> by;
  for (auto it = history_.begin(); it != history_.end(); ++it) {
    by[{std::get<0>(it->first), std::get<1>(it->first), std::get<2>(it->first)}].push_back(it);
  }
  auto seen = [](const auto& a, const auto& b) {
    return std::max(a->second.observed_until, a->second.degraded_at) > std::max(b->second.observed_until, b->second.degraded_at);
  };
  for (auto& [artifact, versions] : by) {
    if (versions.size() <= options_.max_history_per_artifact) continue;
    std::sort(versions.begin(), versions.end(), seen);
    for (std::size_t i = options_.max_history_per_artifact; i < versions.size(); ++i) history_.erase(versions[i]);
  }
  while (history_.size() > options_.max_history) {
    auto oldest = history_.begin();
    for (auto it = history_.begin(); it != history_.end(); ++it) {
      if (std::max(it->second.observed_until, it->second.degraded_at) <
          std::max(oldest->second.observed_until, oldest->second.degraded_at)) {
        oldest = it;
      }
    }
    history_.erase(oldest);
  }
}

}  // namespace releasegate::evidence
