#include "runtime/rule_reloader.h"

#include "core/allocator.h"

namespace releasegate::runtime {
RuleReloader::RuleReloader(ReloadOptions options, RuleStore& store)
    : options_(std::move(options)),
      store_(store),
      watcher_({options_.directories, options_.debounce, options_.rescan}, [this] { reload_now(); }) {}

RuleReloader::~RuleReloader() { stop(); }

bool RuleReloader::reload_now() {
  std::lock_guard<std::mutex> reloading(reload_mutex_);
  // Files whose stamps show them unchanged are not read again, except at
  // the watcher's re-scans: one that comes over half an interval after the
  // last full read reads every file and compares its content, so that is
  // done at least every one and a half intervals.
  auto now = std::chrono::steady_clock::now();
  bool full = now - last_full_read_ >= options_.rescan / 2;
  if (full) last_full_read_ = now;
  policy::SourcesRead read = policy::read_rule_sources(options_.directories, full ? nullptr : &stamps_);
  policy::LoadResult result;
  if (read.errors.empty()) {
    policy::LoadOptions load = options_.load;
    load.generation = status().generation + 1;
    result = compiler_.compile(read.sources, load, &read.unchanged);
    stamps_ = std::move(read.stamps);
    // Unchanged content (a re-scan, an event that touched nothing) is not
    // published again, and a broken set is not reported again on every
    // re-scan.
    if (attempted_ && !compiler_.changed()) {
      read = {};
      return_free_memory();  // the text read (all of it, at a re-scan) is not kept as RSS
      return false;
    }
    attempted_ = true;
  } else {
    result.errors = std::move(read.errors);
    attempted_ = true;
    // Compile everything when the directories are readable again.
    compiler_ = {};
    stamps_.clear();
  }
  ReloadStatus snapshot;
  {
    std::lock_guard<std::mutex> lock(status_mutex_);
    if (result.rules) {
      store_.publish(result);
      status_.generation = result.rules->generation;
      status_.last_success = std::chrono::system_clock::now();
      status_.last_errors.clear();
      ++status_.successes;
    } else {
      status_.last_failure = std::chrono::system_clock::now();
      status_.last_errors = result.errors;
      ++status_.failures;
    }
    snapshot = status_;
  }
  if (options_.on_attempt) options_.on_attempt(result, snapshot);
  bool loaded = result.rules != nullptr;
  // Parsing, and the rule set just replaced (freed here unless a request
  // still holds it), leave hundreds of megabytes free for a large rule set:
  // give them back to the system instead of keeping them as RSS.
  result = {};
  read = {};
  return_free_memory();
  return loaded;
}

ReloadStatus RuleReloader::status() const {
  std::lock_guard<std::mutex> lock(status_mutex_);
  return status_;
}

void RuleReloader::start() { watcher_.start(); }

void RuleReloader::stop() { watcher_.stop(); }

}  // namespace releasegate::runtime
