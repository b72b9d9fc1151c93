// Hot reload of the rules directories. kubelet updates a mounted ConfigMap
// by swapping its `..data` symlink; local runs edit files in place. Both
// are seen by a DirectoryWatcher (inotify, with a periodic re-scan). A
// changed rule set is read, validated and compiled on the watcher's thread,
// beside the serving one, and published atomically; a broken one never
// replaces it. Only the files that changed are compiled again
// (policy/incremental_compiler.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/directory_watcher.h"
#include "policy/compiler.h"
#include "policy/incremental_compiler.h"
#include "runtime/rule_store.h"
#include "runtime/rules_feed.h"

namespace releasegate::runtime {

struct ReloadOptions {
  std::vector<std::string> directories;
  policy::LoadOptions load;
  // Quiet time after the last file event before reloading: kubelet's swap
  // and editors' saves come as bursts of events.
  std::chrono::milliseconds debounce{200};
  std::chrono::milliseconds rescan{30'000};
  // Called on the reloader's thread after every attempt that found a change.
  std::function<void(const policy::LoadResult&, const ReloadStatus&)> on_attempt;
};

class RuleReloader final : public RulesFeed {
 public:
  RuleReloader(ReloadOptions options, RuleStore& store);
  ~RuleReloader();
  RuleReloader(const RuleReloader&) = delete;
  RuleReloader& operator=(const RuleReloader&) = delete;

  // Reads the directories now; compiles and publishes when their content
  // changed since the last attempt. True when a new rule set was published.
  // Safe to call from any thread.
  bool reload_now();

  // Watches the directories on a background thread until stop().
  void start();
  void stop();

  ReloadStatus status() const override;

 private:
  ReloadOptions options_;
  RuleStore& store_;
  std::mutex reload_mutex_;  // one reload at a time
  mutable std::mutex status_mutex_;
  ReloadStatus status_;
  // Guarded by reload_mutex_: the fragments of the last attempt, and the
  // stamps of the files they were compiled from.
  policy::IncrementalCompiler compiler_;
  policy::FileStamps stamps_;
  std::chrono::steady_clock::time_point last_full_read_{};
  bool attempted_ = false;
  DirectoryWatcher watcher_;
};

}  // namespace releasegate::runtime
