// Keeps a local copy of a set of objects in step with the API server, with
// the semantics of client-go's reflector (tools/cache/reflector.go):
// list, then watch from the list's resourceVersion with bookmarks, and
// after each way a watch can end, re-watch or list again exactly as
// client-go does. kube/README.md gives each branch with the client-go
// rule (and the API's resourceVersion semantics) it follows; in short:
//
//   - a relist at a resourceVersion is not paged, so the apiserver's watch
//     cache serves it at that version or newer (a paged read at a version
//     is an exact read from etcd: after a control-plane restart it would
//     return the same old version, whose watch the new cache refuses);
//   - a list refused because that version is gone (410) or not reached yet
//     ("too large resource version") is followed at once by a consistent
//     read (resourceVersion ""), paged, and so is every list until one
//     succeeds;
//   - the first list is a consistent read, paged (client-go's is "0", a
//     whole list from the cache in one answer: see kube/README.md).
//
// A consumer that reads every object once in a while (the audit) shares
// the reflector's list instead of listing again (Reflector::list_now): one
// list and one watch per collection, whoever reads it.
//
// A collection that may not be served (ReflectorOptions::may_be_unserved)
// and that the API does not serve (the list answers 404) is an empty set,
// synced, listed again with the backoff until it is served.
//
// Consumers get deltas (ReflectorHandlers); after a complete list, what it
// did not return is removed, so an object deleted while the watch was down
// disappears: no state is lost or duplicated. A label-selected watch
// reports an object that lost the label as DELETED (with its previous
// content): DELETED means "left the set".
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "kube/backoff.h"
#include "kube/client.h"

namespace releasegate::kube {

struct ReflectorStatus {
  std::string collection;  // the options' path
  bool synced = false;     // a first complete list was delivered
  bool watching = false;   // a watch stream is open now
  std::string resource_version;  // the last one seen
  std::optional<std::chrono::system_clock::time_point> last_sync;  // last complete list
  std::optional<ApiError> last_error;  // of the last failed list or watch; cleared by a good list or an open watch
  std::uint64_t lists = 0;       // complete lists (the first and every relist)
  std::uint64_t lent = 0;        // ... of which made for list_now(): routine, not relists
  std::uint64_t watches = 0;     // watch streams opened
  std::uint64_t failures = 0;    // lists and watches that failed
  std::size_t objects = 0;       // in the set now
  // False while the API answers the list with 404 and the options allow
  // it (ReflectorOptions::may_be_unserved): no such collection is served.
  bool served = true;

  // Complete lists after the first, but for those made for list_now().
  std::uint64_t relists() const { return lists > lent + 1 ? lists - lent - 1 : 0; }
};

// What the owner's log is told: a list or watch that failed, or a relist,
// with why. At most one of each kind per ReflectorOptions::notice_interval
// (a flapping API must not flood the log); `suppressed` counts the ones
// left out before it.
struct ReflectorNotice {
  enum class What { ListFailed, WatchFailed, Relist, NotServed };
  What what;
  std::string collection;
  std::string reason;            // the error, or why the watch ended
  std::string resource_version;  // the list's or the watch's (empty: a consistent read)
  std::uint64_t suppressed = 0;
};
std::string_view to_string(ReflectorNotice::What what);

struct ReflectorOptions {
  std::string path;  // the collection, e.g. resource_path("", "v1", "configmaps", "releasegate-system")
  ListOptions list;  // selectors and page size (resource_version is the reflector's)
  // Each watch asks for a timeout drawn in [min, 2*min), as client-go.
  std::chrono::seconds watch_timeout{300};
  std::chrono::milliseconds initial_backoff{800};
  std::chrono::milliseconds max_backoff{30'000};
  // The collection is a custom resource that may not be installed (Flux's
  // HelmRelease on an Argo CD cluster, or a Flux without its v2 API): a
  // list answered 404 is then an empty set, synced, rather than an error
  // forever. Never for what must exist (the rules' ConfigMaps): a 404 from
  // a confused proxy must not read as "no rules".
  bool may_be_unserved = false;
  std::function<void(const ReflectorNotice&)> on_notice;  // called on the reflector's thread
  std::chrono::seconds notice_interval{30};
};

// Deltas, client-go's ResourceEventHandler for consumers that keep their
// own compact state: the reflector itself keeps only each object's key and
// the resourceVersion last delivered (no object), so what a consumer does
// not keep of an object is never held. Called on the reflector's thread.
struct ReflectorHandlers {
  // Added, or changed: a resourceVersion other than the one last delivered
  // (a relist delivers again only what changed while the watch was down).
  // The object as decoded, to keep what the consumer needs of it.
  std::function<void(const std::string& key, nlohmann::json&& object)> upsert;
  // Deleted, left the selected set, or missing from a complete relist.
  std::function<void(const std::string& key)> remove;
  // A complete list was delivered (the first and each relist, its
  // removals included), or a watch event.
  std::function<void()> synced;
  std::function<void()> event;
};

class Reflector {
 public:
  Reflector(Client& client, ReflectorOptions options, ReflectorHandlers handlers);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Runs on a background thread until stop(): list, watch, repeat.
  void start();
  void stop();

  ReflectorStatus status() const;

  // Each item's JSON text, valid during the call; false refuses it, which
  // fails the list.
  using ItemText = std::function<bool(std::string_view item)>;
  // A complete list now, made on the reflector's thread as a relist and
  // delivered as one (the handlers get only what changed), each item's
  // text handed to `each` as it is read. A consistent read, paged, as the
  // first list: memory stays at a page, and it is exact even after a
  // control-plane restart. The watch in progress is cut for it, and
  // resumes from the list's resourceVersion. Blocks until the list ends
  // (one request at a time); nullopt when the reflector is not running.
  // client-go has no such call: its informers keep every object and a
  // second reader reads their cache, which this reflector does not keep.
  std::optional<ListResult> list_now(const ItemText& each);

  // The key handlers are given: namespace/name, or name for a cluster-scoped object.
  static std::string key_of(const nlohmann::json& object);

 private:
  enum class Next { Watch, List };

  // A list_now() call: taken by the reflector's thread, answered with the result.
  struct ListRequest {
    const ItemText* each = nullptr;
    bool taken = false;
    std::optional<ListResult> result;
  };

  void run();
  // A complete list, `each` seeing every item (list_now), or a relist at
  // the last version; not ok when stopped or failed (after recording why),
  // or not served.
  ListResult relist(const ItemText* each = nullptr);
  void deliver_removals();       // of what the last complete list did not have
  void not_served(const ApiError& error, const std::string& resource_version);  // a 404 where allowed
  ListResult list_and_deliver(ListOptions& options, const ItemText* each);  // with the fallback to a consistent read
  ListRequest* take_request();   // a list_now() waiting, now taken; null if none
  bool request_waiting() const;  // a list_now() not taken yet
  Next watch_once();
  Next after_watch(const WatchResult& result, const std::string& from, bool very_short);
  void wait(std::chrono::milliseconds delay);  // returns early on stop()
  bool stopping() const;
  void failed(const ApiError& error);  // records it
  void apply(WatchEvent&& event);
  void upsert(std::string key, std::string resource_version, nlohmann::json&& object);
  void notice(ReflectorNotice::What what, std::string reason, std::string resource_version);

  Client& client_;
  ReflectorOptions options_;
  ReflectorHandlers handlers_;
  // The reflector thread's own:
  struct Delivered {
    std::string resource_version;
    std::uint64_t list = 0;  // the last list that had it
  };
  std::unordered_map<std::string, Delivered> delivered_;
  std::uint64_t lists_started_ = 0;
  std::string resource_version_;  // the last seen: where the next watch starts, and a relist's
  bool version_unavailable_ = false;  // a list at resource_version_ was refused (410, too large)
  std::string relist_reason_;     // why the next list is a relist
  ExponentialBackoff list_backoff_;   // before every list after the first (BackoffUntil)
  ExponentialBackoff watch_backoff_;  // before a watch after one the API did not answer
  std::array<std::chrono::steady_clock::time_point, 4> last_notice_{};
  std::array<std::uint64_t, 4> suppressed_{};

  mutable std::mutex mutex_;
  std::condition_variable stopping_;
  bool stop_ = false;
  bool running_ = false;  // run() is on: list_now() is answered
  ListRequest* request_ = nullptr;  // a list_now() waiting or being answered
  std::condition_variable request_changed_;
  ReflectorStatus status_;
  std::thread thread_;
};

}  // namespace releasegate::kube
