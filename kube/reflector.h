// Keeps a local copy of a set of objects in step with the API server, with
// the semantics of client-go's reflector: list (all pages), then watch from
// the list's resourceVersion with bookmarks; when a stream ends, re-watch
// from the last resourceVersion seen (an event's or a bookmark's); on 410
// Gone, as an HTTP status or an ERROR event, list again (and if that list
// at the last RV is refused as expired, list with a quorum read). After a
// relist the copy is replaced whole, so an object deleted while the watch
// was down disappears: no state is lost or duplicated.
//
// A label-selected watch reports an object that lost the label as DELETED
// (with its previous content): the copy treats DELETED as "left the set".
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kube/client.h"

namespace releasegate::kube {

// namespace/name (or name for cluster-scoped objects) to the object.
using ObjectMap = std::map<std::string, nlohmann::json>;

struct ReflectorStatus {
  bool synced = false;     // a first complete list was delivered
  bool watching = false;   // a watch stream is open now
  std::string resource_version;  // the last one seen
  std::optional<std::chrono::system_clock::time_point> last_sync;  // last complete list
  std::optional<ApiError> last_error;  // of the last failed list or watch; cleared by a good list or an open watch
  std::uint64_t lists = 0;       // complete lists (the first and every relist)
  std::uint64_t watches = 0;     // watch streams opened
  std::uint64_t failures = 0;    // lists and watches that failed
};

struct ReflectorOptions {
  std::string path;  // the collection, e.g. resource_path("", "v1", "configmaps", "releasegate-system")
  ListOptions list;  // selectors and page size (resource_version is the reflector's)
  // Each watch asks for a timeout drawn in [min, 2*min), as client-go.
  std::chrono::seconds watch_timeout{300};
  std::chrono::milliseconds initial_backoff{800};
  std::chrono::milliseconds max_backoff{30'000};
};

class Reflector {
 public:
  // Called on the reflector's thread with the whole copy, after each
  // complete list and after each ADDED, MODIFIED or DELETED event (not
  // after bookmarks).
  using OnChange = std::function<void(const ObjectMap& objects)>;

  Reflector(Client& client, ReflectorOptions options, OnChange on_change);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Runs on a background thread until stop(): list, watch, repeat.
  void start();
  void stop();

  ReflectorStatus status() const;

  // The key of an object in ObjectMap.
  static std::string key_of(const nlohmann::json& object);

 private:
  void run();
  bool relist();           // false when stopped or failed (after recording why)
  bool watch_once();       // false when a relist is needed
  void wait(std::chrono::milliseconds delay);  // returns early on stop()
  bool stopping() const;
  void failed(const ApiError& error);  // counts it and backs off
  void apply(WatchEvent&& event);


  Client& client_;
  ReflectorOptions options_;
  OnChange on_change_;
  ObjectMap objects_;  // the reflector thread's own
  std::string resource_version_;  // the reflector thread's: where the next watch starts
  bool relist_at_last_ = false;   // after a 410: relist at the last RV first (then a quorum read)
  int failures_in_row_ = 0;       // the reflector thread's: the backoff's exponent
  mutable std::mutex mutex_;
  std::condition_variable stopping_;
  bool stop_ = false;
  ReflectorStatus status_;
  std::thread thread_;
};

}  // namespace releasegate::kube
