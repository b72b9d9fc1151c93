#include "evidence/tracker.h"

#include <algorithm>
#include <functional>

namespace releasegate::evidence {

Tracker::VersionKey Tracker::key_of(const Version& v) {
  return {v.environment.str(), static_cast<int>(v.of), std::string(v.key()), std::string(v.tag()), std::string(v.digest())};
}

std::uint64_t Tracker::hash_of(std::string_view environment, EvidenceOf of, std::string_view key) {
  std::uint64_t hash = std::hash<std::string_view>{}(key) * 31 + std::hash<std::string_view>{}(environment);
  return hash * 2 + (of == EvidenceOf::Chart ? 1 : 0);
}

EvidenceRecord Tracker::record_of(const Version& v) const {
  EvidenceRecord r;
  r.of = v.of;
  r.key = v.key();
  r.tag = v.tag();
  r.digest = v.digest();
  r.environment = v.environment;
  r.cluster = options_.cluster;
  r.origin = "observed in this cluster";
  return r;
}

const Tracker::Version* Tracker::find_version(std::string_view environment, EvidenceOf of, std::string_view key,
                                              std::string_view tag, std::string_view digest) const {
  auto [from, to] = versions_.equal_range(hash_of(environment, of, key));
  for (auto it = from; it != to; ++it) {
    const Version& v = it->second;
    if (v.of == of && v.key() == key && v.tag() == tag && v.digest() == digest && v.environment.str() == environment) {
      return &v;
    }
  }
  return nullptr;
}

// Its versions' merged periods are made again when next asked for.
void Tracker::invalidate(const Tracked& t) {
  for (const Version* v : t.versions) v->merged_valid = false;
}

Tracker::Version::Version(const ObservedVersion& v, SharedText environment_name)
    : of(v.of),
      text(v.key + '\0' + v.tag + '\0' + v.digest),
      tag_at(static_cast<std::uint32_t>(v.key.size() + 1)),
      digest_at(static_cast<std::uint32_t>(v.key.size() + v.tag.size() + 2)),
      environment(std::move(environment_name)) {
  text.shrink_to_fit();
}

Tracker::Tracked& Tracker::track(const std::string& id, ObservedObject object, const std::string& environment) {
  auto [it, added] = objects_.try_emplace(id);
  Tracked& t = it->second;
  t.id = &it->first;
  t.runs_in = texts_.intern(object.runs_in);
  t.environment = texts_.intern(environment);
  t.health = object.health;
  t.healthy_since = object.healthy_since;
  t.versions.reserve(object.versions.size());
  for (const ObservedVersion& v : object.versions) {
    // Non-const: this tracker's own version, found through the const lookup.
    auto* version = const_cast<Version*>(find_version(environment, v.of, v.key, v.tag, v.digest));
    if (version == nullptr) {
      version = &versions_.emplace(hash_of(environment, v.of, v.key), Version(v, t.environment))->second;
    }
    if (std::find(t.versions.begin(), t.versions.end(), version) != t.versions.end()) continue;  // twice in the object
    version->runners.push_back(&t);
    t.versions.push_back(version);
  }
  invalidate(t);
  return t;
}

void Tracker::forget(std::unordered_map<std::string, Tracked>::iterator it) {
  Tracked& t = it->second;
  for (Version* v : t.versions) {
    std::erase(v->runners, &t);
    v->merged_valid = false;
    if (!v->runners.empty()) continue;
    auto [from, to] = versions_.equal_range(hash_of(v->environment.str(), v->of, v->key()));
    for (auto at = from; at != to; ++at) {
      if (&at->second == v) {
        versions_.erase(at);
        break;
      }
    }
  }
  objects_.erase(it);
}

bool Tracker::runs_same(const Tracked& t, const std::string& environment, const std::vector<ObservedVersion>& versions) {
  if (t.environment.str() != environment || t.versions.size() != versions.size()) return false;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    if (!t.versions[i]->is(versions[i])) return false;
  }
  return true;
}

void Tracker::start(Tracked& t, UnixSeconds now) {
  t.settling_since = 0;
  if (t.health == Health::Degraded) return degrade(t, now);
  t.degraded_at = 0;
  if (t.health != Health::Healthy) return;
  UnixSeconds since = t.healthy_since > 0 && t.healthy_since <= now ? t.healthy_since : now;
  if (t.healthy_since == 0) {
    // No time in its status (StatefulSet, DaemonSet): continue a period an
    // earlier run persisted (restore) when it was seen within the grace.
    for (const Version* v : t.versions) {
      auto it = history_.find(key_of(*v));
      if (it != history_.end() && it->second.ongoing && it->second.degraded_at == 0 &&
          it->second.observed_until >= now - options_.settle_grace_seconds) {
        since = std::min(since, it->second.healthy_since);
      }
    }
  }
  t.since = since;
}

void Tracker::end_period(const Tracked& t, UnixSeconds now) {
  if (t.since == 0 || t.degraded_at != 0) return;
  ++periods_ended_;
  UnixSeconds until = t.settling_since ? t.settling_since : now;
  for (const Version* v : t.versions) {
    EvidenceRecord r = record_of(*v);
    r.healthy_since = t.since;
    r.observed_until = until;
    r.object = *t.id;
    auto [it, added] = history_.emplace(key_of(*v), r);
    // Keep the longest period proven, unless the version failed since.
    if (!added && (it->second.degraded_at != 0 || it->second.ongoing || r.healthy_for(now) >= it->second.healthy_for(now))) {
      it->second = std::move(r);
    }
    bound_history(it->first);
  }
}

void Tracker::degrade(Tracked& t, UnixSeconds now) {
  if (t.degraded_at == 0) t.degraded_at = now;
  t.since = 0;
  t.settling_since = 0;
  for (const Version* v : t.versions) {
    EvidenceRecord r = record_of(*v);
    r.degraded_at = t.degraded_at;
    r.object = *t.id;
    auto [it, added] = history_.insert_or_assign(key_of(*v), std::move(r));  // withdrawn until healthy again
    bound_history(it->first);
  }
}

auto Tracker::state_of(const std::string& id) const -> std::optional<State> {
  auto it = objects_.find(id);
  if (it == objects_.end()) return std::nullopt;
  const Tracked& t = it->second;
  State state{t.environment.str(), {}, t.health, t.since, t.settling_since, t.degraded_at};
  for (const Version* v : t.versions) state.versions.push_back(v->observed());
  return state;
}

bool Tracker::update(const std::string& id, ObservedObject object, const std::string& environment, UnixSeconds now) {
  std::optional<State> before = state_of(id);
  std::uint64_t ended = periods_ended_;
  apply_update(id, std::move(object), environment, now);
  return periods_ended_ != ended || state_of(id) != before;
}

void Tracker::apply_update(const std::string& id, ObservedObject object, const std::string& environment,
                           UnixSeconds now) {
  std::vector<ObservedVersion>& versions = object.versions;
  for (std::size_t i = versions.size(); i-- > 0;) {  // each once, in order
    if (std::find(versions.begin(), versions.begin() + static_cast<std::ptrdiff_t>(i), versions[i]) !=
        versions.begin() + static_cast<std::ptrdiff_t>(i)) {
      versions.erase(versions.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  auto it = objects_.find(id);
  bool replaced = it != objects_.end() && !runs_same(it->second, environment, versions);
  if (replaced) {
    end_period(it->second, now);
    forget(it);
    it = objects_.end();
  }
  if (environment.empty()) return;
  if (it == objects_.end()) {
    Tracked& t = track(id, std::move(object), environment);
    start(t, now);
    // Seen changing here: its period cannot have begun before, whatever a
    // status left over from the previous version says.
    if (replaced && t.since != 0) t.since = std::max(t.since, now);
    return;
  }
  Tracked& t = it->second;
  t.health = object.health;
  t.healthy_since = object.healthy_since;
  if (t.runs_in.str() != object.runs_in) t.runs_in = texts_.intern(object.runs_in);
  const UnixSeconds since = t.since, degraded_at = t.degraded_at;
  advance(t, now);
  // Routine updates change neither: a version many objects run keeps its
  // merged period.
  if (t.since != since || t.degraded_at != degraded_at) invalidate(t);
}

void Tracker::advance(Tracked& t, UnixSeconds now) {
  switch (t.health) {
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

std::vector<std::string> Tracker::ids() const {
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [id, t] : objects_) out.push_back(id);
  return out;
}

std::optional<ObservedObject> Tracker::object(const std::string& id) const {
  auto it = objects_.find(id);
  if (it == objects_.end()) return std::nullopt;
  const Tracked& t = it->second;
  ObservedObject o;
  o.runs_in = t.runs_in;
  for (const Version* v : t.versions) o.versions.push_back(v->observed());
  o.health = t.health;
  o.healthy_since = t.healthy_since;
  return o;
}

bool Tracker::remove(const std::string& id, UnixSeconds now) {
  auto it = objects_.find(id);
  if (it == objects_.end()) return false;
  end_period(it->second, now);
  forget(it);
  return true;
}

void Tracker::tick(UnixSeconds now) {
  for (auto& [id, t] : objects_) {
    if (t.settling_since != 0 && now - t.settling_since > options_.settle_grace_seconds) {
      degrade(t, t.settling_since);
      invalidate(t);
    }
  }
}

void Tracker::restore(const std::vector<EvidenceRecord>& records) {
  for (const EvidenceRecord& r : records) {
    if (r.degraded_at != 0 || r.observed_until < r.healthy_since) continue;
    auto [it, added] = history_.emplace(VersionKey{r.environment, static_cast<int>(r.of), r.key, r.tag, r.digest}, r);
    if (!added && r.observed_until - r.healthy_since > it->second.observed_until - it->second.healthy_since) {
      it->second = r;
    }
    it->second.origin = "observed in this cluster";
    it->second.ongoing = true;  // restored: may continue (start)
    bound_history(it->first);
  }
}

auto Tracker::merged(const Version& v) const -> const Merged& {
  if (!v.merged_valid) {
    Merged m;
    for (const Tracked* t : v.runners) {
      if (t->since == 0 && t->degraded_at == 0) continue;  // not healthy yet
      if (t->degraded_at != 0) {
        m.degraded_at = t->degraded_at;
        m.by = t;
        break;
      }
      if (!m.by || t->since < m.since) m = {t->since, 0, t};
    }
    v.merged = m;
    v.merged_valid = true;
  }
  return v.merged;
}

std::optional<EvidenceRecord> Tracker::live_record(const Version& v, UnixSeconds now) const {
  const Merged& m = merged(v);
  if (!m.by) return std::nullopt;
  EvidenceRecord r = record_of(v);
  r.object = *m.by->id;
  if (m.since != 0) {
    r.healthy_since = m.since;
    r.observed_until = now;
  }
  r.degraded_at = m.degraded_at;
  r.ongoing = m.degraded_at == 0;
  return r;
}

std::optional<EvidenceRecord> Tracker::history_record(const EvidenceRecord& r) const {
  if (const Version* v = find_version(r.environment, r.of, r.key, r.tag, r.digest)) {
    const Merged& live = merged(*v);
    if (live.by && (live.degraded_at != 0 || r.degraded_at != 0 || live.since <= r.healthy_since)) return std::nullopt;
  }
  EvidenceRecord completed = r;
  completed.ongoing = false;
  return completed;
}

std::vector<EvidenceRecord> Tracker::find(EvidenceOf of, std::string_view key, std::string_view environment,
                                          std::string_view tag, std::string_view digest, UnixSeconds now) const {
  std::vector<EvidenceRecord> out;
  const VersionKey first{std::string(environment), static_cast<int>(of), std::string(key), "", ""};
  for (auto it = history_.lower_bound(first); it != history_.end(); ++it) {
    const auto& [env, kind, k, t, d] = it->first;
    if (env != environment || kind != static_cast<int>(of) || k != key) break;
    if (!matches_version(t, d, tag, digest)) continue;
    if (auto r = history_record(it->second)) out.push_back(std::move(*r));
  }
  auto [from, to] = versions_.equal_range(hash_of(environment, of, key));
  for (auto it = from; it != to; ++it) {
    const Version& v = it->second;
    if (v.of != of || v.key() != key || v.environment.str() != environment) continue;  // another of the same hash
    if (!matches_version(v.tag(), v.digest(), tag, digest)) continue;
    if (auto r = live_record(v, now)) out.push_back(std::move(*r));
  }
  return out;
}

EvidenceSet Tracker::snapshot(UnixSeconds now) const { return records(now, false); }

EvidenceSet Tracker::to_persist(UnixSeconds now) const { return records(now, true); }

EvidenceSet Tracker::records(UnixSeconds now, bool only_undated) const {
  // A period some object holds that its status does not date.
  auto undated = [](const Version& v) {
    return std::any_of(v.runners.begin(), v.runners.end(),
                       [](const Tracked* t) { return t->since != 0 && t->healthy_since == 0; });
  };
  std::size_t live = 0;
  for (const auto& [hash, v] : versions_) live += !only_undated || undated(v);
  EvidenceSet set;
  set.reserve(history_.size() + live);  // exactly: a growing vector holds up to twice its records
  for (const auto& [key, r] : history_) {
    if (auto completed = history_record(r)) set.add(std::move(*completed));
  }
  for (const auto& [hash, v] : versions_) {
    if (only_undated && !undated(v)) continue;
    if (auto record = live_record(v, now)) set.add(std::move(*record));
  }
  return set;
}

Tracker::Counts Tracker::count() const {
  Counts counts;
  for (const auto& [key, r] : history_) {
    if (auto completed = history_record(r)) {
      ++counts.records;
      ++(completed->degraded_at != 0 ? counts.degraded : counts.proven)[completed->environment];
    }
  }
  for (const auto& [hash, v] : versions_) {
    const Merged& m = merged(v);
    if (!m.by) continue;
    ++counts.records;
    ++(m.degraded_at != 0 ? counts.degraded : counts.proven)[v.environment.str()];
  }
  return counts;
}

// After `touched` was added or changed. An artifact's records (environment,
// kind, key) are neighbours in the ordered history, so only its own are
// read: ending a period costs as much with 5,000 records kept as with 5.
// The whole history is read only when it is full, for the oldest record.
void Tracker::bound_history(VersionKey touched) {
  auto seen_at = [](const EvidenceRecord& r) { return std::max(r.observed_until, r.degraded_at); };
  auto& [environment, of, key, tag, digest] = touched;
  tag.clear();
  digest.clear();
  std::vector<std::map<VersionKey, EvidenceRecord>::iterator> versions;
  for (auto it = history_.lower_bound(touched); it != history_.end(); ++it) {
    if (std::get<0>(it->first) != environment || std::get<1>(it->first) != of || std::get<2>(it->first) != key) break;
    versions.push_back(it);
  }
  if (versions.size() > options_.max_history_per_artifact) {
    // The most recently seen first.
    std::sort(versions.begin(), versions.end(), [&](auto a, auto b) { return seen_at(a->second) > seen_at(b->second); });
    for (std::size_t i = options_.max_history_per_artifact; i < versions.size(); ++i) history_.erase(versions[i]);
  }
  while (history_.size() > options_.max_history) {
    auto oldest = history_.begin();
    for (auto it = history_.begin(); it != history_.end(); ++it) {
      if (seen_at(it->second) < seen_at(oldest->second)) oldest = it;
    }
    history_.erase(oldest);
  }
}

}  // namespace releasegate::evidence
