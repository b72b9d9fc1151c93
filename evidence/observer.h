// The evidence observer: follows the Deployments, StatefulSets,
// DaemonSets and HelmReleases of the whole cluster through the API (one
// kube::Reflector each), judges their health (evidence/health.h) in the
// environment the rules in force give their namespace, and keeps, with a
// Tracker, since when each version has run healthy. Admission asks the
// tracker for the one version it judges (current(): a lookup under the
// observer's lock, no snapshot of the cluster is kept); nothing else here
// runs on a listener thread.
//
// A restart loses nothing: Deployments and HelmReleases say in their
// status since when they are healthy, and the rest is persisted, as
// Evidence documents signed with this cluster's key, in a ConfigMap of
// releasegate's own namespace (read back at start, and only what a key
// trusted for this cluster signed; written at most every persist
// interval). Changes
// are counted for the status together, at most every count_gap.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "evidence/tracker.h"
#include "kube/client.h"
#include "kube/reflector.h"
#include "runtime/rule_store.h"
#include "signing/key_file.h"

namespace releasegate::evidence {

struct ObserverOptions {
  TrackerOptions tracker;     // with the cluster's name
  std::string namespace_;     // releasegate's own: where the ConfigMap is
  std::string config_map = "releasegate-evidence";  // empty: nothing persisted
  // When set, persists only while it says so (the leader of several
  // replicas); every replica observes and keeps its own evidence.
  std::function<bool()> leading;
  std::chrono::milliseconds tick{15'000};            // how often settling and persistence are looked at
  // The status (versions proven and degraded) is counted at most this
  // often, and at most a tenth of the time: a count over 100,000 objects
  // takes milliseconds, and a busy cluster's status updates come by the
  // hundred.
  std::chrono::milliseconds count_gap{100};
  std::chrono::seconds persist_interval{120};
  kube::ReflectorOptions watch;  // path is set per kind
  std::function<UnixSeconds()> clock = wall_clock;
  // What the persisted evidence is signed with, and read back with (with
  // the policy's keys trusted for this cluster). None: nothing is
  // persisted or read back, and the status says so.
  std::shared_ptr<signing::SigningKeyFile> signing_key;
};

struct ObserverStatus {
  // No environment of the rules in force requires evidence: nothing is
  // listed or watched, and every watch it needs (none) counts as connected.
  bool idle = false;
  bool restored = false;   // the persisted evidence was read (or there was none)
  bool synced = false;     // every kind listed once
  bool connected = false;  // every watch open now (of the kinds served)
  std::vector<std::string> not_served;  // kinds the API does not serve (no such CRD): nothing to observe
  std::size_t objects = 0;  // tracked: running a version in an environment
  std::size_t records = 0;
  std::map<std::string, std::size_t> proven;    // environment -> versions with evidence (not degraded)
  std::map<std::string, std::size_t> degraded;  // environment -> versions degraded
  std::uint64_t persists = 0, persist_errors = 0;
  // Of the ConfigMap's last read or write, until one succeeds; else a watch's.
  std::optional<std::string> last_error;
  std::vector<kube::ReflectorStatus> reflectors;  // one per watched kind
};

// The collections the observer watches cluster-wide, one per evidence kind.
struct EvidenceCollection {
  std::string kind;  // "Deployment"
  std::string path;  // "/apis/apps/v1/deployments"
  bool may_be_unserved = false;  // a custom resource: not served is no error (HelmRelease)
};
std::vector<EvidenceCollection> evidence_collections();

class Observer {
 public:
  Observer(const kube::ClientConfig& client, const runtime::RuleStore& rules, ObserverOptions options);
  ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  void start();  // restores, then starts the watches and the ticks, on its own threads
  void stop();

  // The evidence observed, asked version by version (nothing before the
  // first list but what was restored). Valid while the observer lives.
  std::shared_ptr<const EvidenceSource> current() const { return live_; }
  ObserverStatus status() const;

  // A complete list of `path` through the reflector that watches it
  // (kube::Reflector::list_now), for the audit: one list per kind, shared.
  // nullopt when no reflector of this observer watches it now (idle, or
  // not an evidence kind): the caller lists it.
  std::optional<kube::ListResult> list_now(const std::string& path, const kube::Reflector::ItemText& each);

 private:
  struct Watched;
  class Live;
  void run();
  bool restore();
  std::shared_ptr<const signing::SigningKey> signing_key();  // nullptr: why is in the status
  void persist(UnixSeconds now);
  // On the reflector threads: into the tracker.
  void on_upsert(const std::string& kind, const std::string& key, const nlohmann::json& object);
  void on_remove(const std::string& kind, const std::string& key);
  void changed();  // something to count
  bool judge(const std::string& id, ObservedObject object, UnixSeconds now);  // mutex_ held
  void judge_again(UnixSeconds now);  // when the rules changed
  void count();                       // the status's counts; mutex_ held
  void wait(std::chrono::milliseconds delay);
  bool synced() const;  // every kind listed once
  bool needed() const;  // an environment requires evidence

  ObserverOptions options_;
  const runtime::RuleStore& rules_;
  kube::Client client_;  // the ConfigMap's reads and writes
  std::vector<std::unique_ptr<Watched>> watched_;
  mutable std::mutex mutex_;
  Tracker tracker_;
  std::map<std::string, ObservedObject> untracked_;  // by id: in no environment now, judged again under new rules
  std::weak_ptr<const RuleSet> judged_rules_;
  std::string persisted_;  // the statements last written (evidence_statements)
  UnixSeconds persisted_at_ = 0;
  ObserverStatus status_;
  std::shared_ptr<const EvidenceSource> live_;  // a Live
  std::mutex wait_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by wait_mutex_
  bool dirty_ = false;     // changes not counted yet; guarded by wait_mutex_
  std::thread thread_;
};

}  // namespace releasegate::evidence
