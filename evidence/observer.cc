#include "evidence/observer.h"

#include <algorithm>
#include <exception>

#include "core/kinds.h"
#include "evidence/evidence_document.h"
#include "evidence/persisted_evidence.h"

namespace releasegate::evidence {

// One kind's reflector. It keeps no object: each is observed as it is
// decoded, and only the observation (a few names and versions) is kept.
struct Observer::Watched {
  std::string kind;
  std::string path;
  kube::Client client;
  kube::Reflector reflector;
  Watched(std::string kind_name, const kube::ClientConfig& config, kube::ReflectorOptions options,
          kube::ReflectorHandlers handlers)
      : kind(std::move(kind_name)),
        path(options.path),
        client(config),
        reflector(client, std::move(options), std::move(handlers)) {}
};

// Admission's view: the tracker asked under the observer's lock, for one
// version at a time.
class Observer::Live final : public EvidenceSource {
 public:
  explicit Live(const Observer& observer) : observer_(observer) {}
  std::vector<EvidenceRecord> records_of(EvidenceOf of, std::string_view key, std::string_view environment,
                                         std::string_view tag, std::string_view digest) const override {
    UnixSeconds now = observer_.options_.clock();
    std::lock_guard lock(observer_.mutex_);
    return observer_.tracker_.find(of, key, environment, tag, digest, now);
  }

 private:
  const Observer& observer_;
};

namespace {

std::string id_of(const std::string& kind, const std::string& key) { return kind + " " + key; }

}  // namespace

std::vector<EvidenceCollection> evidence_collections() {
  std::vector<EvidenceCollection> out;
  for (const KindInfo& kind : kKinds) {
    if (!is_evidence_kind(kind.kind)) continue;
    out.push_back({std::string(kind.kind),
                   kube::resource_path(std::string(kind.group), std::string(listed_version(kind.group)),
                                       std::string(kind.resource)),
                   !is_built_in_group(kind.group)});
  }
  return out;
}

Observer::Observer(const kube::ClientConfig& client, const runtime::RuleStore& rules, ObserverOptions options)
    : options_(std::move(options)), rules_(rules), client_(client), tracker_(options_.tracker) {
  live_ = std::make_shared<const Live>(*this);
  for (const EvidenceCollection& collection : evidence_collections()) {
    kube::ReflectorOptions watch = options_.watch;
    watch.path = collection.path;
    watch.may_be_unserved = collection.may_be_unserved;
    std::string kind = collection.kind;
    kube::ReflectorHandlers handlers;
    handlers.upsert = [this, kind](const std::string& key, nlohmann::json&& object) { on_upsert(kind, key, object); };
    handlers.remove = [this, kind](const std::string& key) { on_remove(kind, key); };
    handlers.synced = [this] { changed(); };  // the first list makes the observer synced
    watched_.push_back(std::make_unique<Watched>(collection.kind, client, std::move(watch), std::move(handlers)));
  }
}

Observer::~Observer() { stop(); }

std::optional<kube::ListResult> Observer::list_now(const std::string& path, const kube::Reflector::ItemText& each) {
  for (auto& w : watched_) {
    if (w->path == path) return w->reflector.list_now(each);
  }
  return std::nullopt;
}

void Observer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Observer::stop() {
  {
    std::lock_guard lock(wait_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  client_.stop();
  for (auto& w : watched_) w->reflector.stop();
  if (thread_.joinable()) thread_.join();
}

void Observer::wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(wait_mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_; });
}

// Whether any environment of the rules in force requires evidence: until
// one does, the observer lists and watches nothing (a cluster without
// `requires` pays nothing for it).
bool Observer::needed() const {
  std::shared_ptr<const RuleSet> rules = rules_.current();
  if (!rules) return false;
  return std::any_of(rules->environments.begin(), rules->environments.end(),
                     [](const Environment& e) { return e.evidence_required.has_value(); });
}

// Idle until evidence is needed. Then restore first (so that a
// StatefulSet's period continues), then watch. Then count what changed
// for the status, at most every count_gap, and tick (settling turned degraded, a restore
// that failed retried, persistence) every tick.
void Observer::run() {
  while (!needed()) {
    {
      std::lock_guard lock(mutex_);
      status_.idle = true;
    }
    wait(std::chrono::seconds(1));
    std::lock_guard lock(wait_mutex_);
    if (stopping_) return;
  }
  {
    std::lock_guard lock(mutex_);
    status_.idle = false;
  }
  bool restored = restore();
  for (auto& w : watched_) w->reflector.start();
  auto next_tick = std::chrono::steady_clock::now() + options_.tick;
  while (true) {
    {
      std::unique_lock lock(wait_mutex_);
      wake_.wait_until(lock, next_tick, [this] { return stopping_ || dirty_; });
      if (stopping_) return;
      dirty_ = false;
    }
    auto counted_for = std::chrono::milliseconds(0);
    try {
      UnixSeconds now = options_.clock();
      auto began = std::chrono::steady_clock::now();
      bool ticking = began >= next_tick;
      judge_again(now);
      {
        std::lock_guard lock(mutex_);
        if (ticking) tracker_.tick(now);
        count();
      }
      counted_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
      if (ticking) {
        next_tick = std::chrono::steady_clock::now() + options_.tick;
        if (!restored) restored = restore();
        persist(now);
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      status_.last_error = std::string("evidence observer: ") + e.what();
    }
    // The events of a burst are counted together, and counting (every
    // version, with the reflectors waiting) takes at most a tenth of the
    // time.
    wait(std::max(options_.count_gap, 9 * counted_for));
  }
}

bool Observer::restore() {
  if (options_.config_map.empty()) {
    std::lock_guard lock(mutex_);
    return status_.restored = true;
  }
  // Read back only what this cluster's key signed: without the key,
  // nothing is read (and nothing written over what may be there).
  std::shared_ptr<const signing::SigningKey> key = signing_key();
  if (!key) return false;
  std::shared_ptr<const RuleSet> rules = rules_.current();
  if (!rules) return false;
  PersistedEvidence persisted = read_persisted(client_, options_.namespace_, options_.config_map,
                                               own_trust(*key, options_.tracker.cluster, *rules));
  std::lock_guard lock(mutex_);
  status_.last_error = persisted.error.empty() ? std::nullopt : std::optional<std::string>(persisted.error);
  if (!persisted.read) return false;
  tracker_.restore(persisted.records);
  return status_.restored = true;
}

// The key in force; nullptr, with why in the status, when there is none.
std::shared_ptr<const signing::SigningKey> Observer::signing_key() {
  std::string error;
  std::shared_ptr<const signing::SigningKey> key = options_.signing_key ? options_.signing_key->current(&error) : nullptr;
  if (key) return key;
  std::lock_guard lock(mutex_);
  status_.last_error = options_.signing_key ? error
                                            : "no evidence signing key (--evidence-signing-key): the evidence of this "
                                              "cluster is neither persisted nor read back";
  return nullptr;
}

void Observer::persist(UnixSeconds now) {
  if (options_.config_map.empty() || (options_.leading && !options_.leading())) return;
  EvidenceSet all;
  {
    std::lock_guard lock(mutex_);
    // Before every kind is listed, the snapshot lacks what is running.
    if (!status_.restored || !synced() || now - persisted_at_ < options_.persist_interval.count()) return;
    all = tracker_.to_persist(now);
  }
  std::shared_ptr<const signing::SigningKey> key = signing_key();
  if (!key) return;
  // Rendered without the lock: admission's lookups wait for the copy only.
  std::string statements = evidence_statements(all, now);
  {
    std::lock_guard lock(mutex_);
    if (statements == persisted_) return;
  }
  std::string text = render_evidence(all, now, *key);
  all = EvidenceSet();
  std::string error = write_persisted(client_, options_.namespace_, options_.config_map, text);
  std::lock_guard lock(mutex_);
  if (!error.empty()) {
    ++status_.persist_errors;
    status_.last_error = std::move(error);
    return;
  }
  ++status_.persists;
  status_.last_error.reset();
  persisted_ = std::move(statements);
  persisted_at_ = now;
}

void Observer::changed() {
  {
    std::lock_guard lock(wait_mutex_);
    dirty_ = true;
  }
  wake_.notify_all();
}

// One object added or changed: observed, judged, and counted only when
// its evidence changed. Constant work per event, whatever the cluster's size.
void Observer::on_upsert(const std::string& kind, const std::string& key, const nlohmann::json& object) {
  try {
    UnixSeconds now = options_.clock();
    std::string id = id_of(kind, key);
    std::optional<ObservedObject> observed = observe(kind, object);
    bool evidence_changed;
    {
      std::lock_guard lock(mutex_);
      if (observed) {
        evidence_changed = judge(id, std::move(*observed), now);
      } else {
        evidence_changed = tracker_.remove(id, now);
        untracked_.erase(id);
      }
    }
    if (evidence_changed) changed();
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    status_.last_error = std::string("evidence observer: ") + e.what();
  }
}

void Observer::on_remove(const std::string& kind, const std::string& key) {
  std::string id = id_of(kind, key);
  bool evidence_changed;
  {
    std::lock_guard lock(mutex_);
    evidence_changed = tracker_.remove(id, options_.clock());
    untracked_.erase(id);
  }
  if (evidence_changed) changed();
}

// Each observation is kept once: by the tracker when it runs in an
// environment, else here, to be judged again when the rules change.
bool Observer::judge(const std::string& id, ObservedObject object, UnixSeconds now) {
  auto rules = rules_.current();
  std::string environment = rules ? environment_of(*rules, object) : std::string();
  if (environment.empty()) {
    untracked_[id] = std::move(object);
    return tracker_.remove(id, now);
  }
  untracked_.erase(id);
  return tracker_.update(id, std::move(object), environment, now);
}

// New rules may put a namespace in another environment: every object is
// judged again, a batch at a time under the lock (admission's lookups wait
// for one batch, never for 100,000 objects).
void Observer::judge_again(UnixSeconds now) {
  auto rules = rules_.current();
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    if (!rules || !(judged_rules_.owner_before(rules) || rules.owner_before(judged_rules_))) return;
    judged_rules_ = rules;
    ids = tracker_.ids();
    for (const auto& [id, object] : untracked_) ids.push_back(id);
  }
  constexpr std::size_t kBatch = 256;
  for (std::size_t first = 0; first < ids.size(); first += kBatch) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = first; i < std::min(ids.size(), first + kBatch); ++i) {
      std::optional<ObservedObject> object = tracker_.object(ids[i]);
      if (!object) {
        auto it = untracked_.find(ids[i]);
        if (it == untracked_.end()) continue;  // removed meanwhile
        object = it->second;
      }
      judge(ids[i], std::move(*object), now);
    }
  }
}

void Observer::count() {
  Tracker::Counts counts = tracker_.count();
  status_.objects = tracker_.objects();
  status_.records = counts.records;
  status_.proven = std::move(counts.proven);
  status_.degraded = std::move(counts.degraded);
}

bool Observer::synced() const {
  for (const auto& w : watched_) {
    if (!w->reflector.status().synced) return false;
  }
  return true;
}

ObserverStatus Observer::status() const {
  std::lock_guard lock(mutex_);
  ObserverStatus status = status_;
  status.synced = synced();
  status.connected = true;
  if (status.idle) return status;
  for (const auto& w : watched_) {
    kube::ReflectorStatus r = w->reflector.status();
    if (!r.served) {
      status.not_served.push_back(w->kind);
    } else {
      status.connected = status.connected && r.watching;
      if (r.last_error && !status.last_error) status.last_error = w->kind + "s: " + r.last_error->describe();
    }
    status.reflectors.push_back(std::move(r));
  }
  return status;
}

}  // namespace releasegate::evidence
