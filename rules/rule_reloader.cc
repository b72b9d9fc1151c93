#include "rules/rule_reloader.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace releasegate::rules {
namespace {

using Clock = std::chrono::steady_clock;

std::size_t fingerprint(const std::vector<RuleSource>& sources) {
  std::size_t hash = sources.size();
  for (const RuleSource& s : sources) {
    hash = hash * 31 + std::hash<std::string>{}(s.file);
    hash = hash * 31 + std::hash<std::string>{}(s.content);
  }
  return hash;
}

}  // namespace

RuleReloader::RuleReloader(ReloadOptions options, RuleStore& store)
    : options_(std::move(options)), store_(store) {}

RuleReloader::~RuleReloader() { stop(); }

bool RuleReloader::reload_now() {
  std::lock_guard<std::mutex> reloading(reload_mutex_);
  SourcesRead read = read_rule_sources(options_.directories);
  LoadResult result;
  if (read.errors.empty()) {
    // Unchanged content (a re-scan, an event that touched nothing) is not
    // reloaded, and a broken set is not reported again on every re-scan.
    std::size_t print = fingerprint(read.sources);
    if (attempted_ && print == last_fingerprint_) return false;
    attempted_ = true;
    last_fingerprint_ = print;
    LoadOptions load = options_.load;
    load.generation = status().generation + 1;
    result = compile_rules(read.sources, load);
  } else {
    result.errors = std::move(read.errors);
    attempted_ = true;
    last_fingerprint_ = 0;  // retry when the directories are readable again
  }
  ReloadStatus snapshot;
  {
    std::lock_guard<std::mutex> lock(status_mutex_);
    if (result.rules) {
      store_.publish(result.rules);
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
  return result.rules != nullptr;
}

ReloadStatus RuleReloader::status() const {
  std::lock_guard<std::mutex> lock(status_mutex_);
  return status_;
}

void RuleReloader::start() {
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  watch_directories();
  thread_ = std::thread([this] { run(); });
}

void RuleReloader::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  thread_.join();
  close(inotify_fd_);
  close(wake_fd_);
}

void RuleReloader::watch_directories() {
  // Adding a watch for a path already watched only updates it, so this is
  // safe to repeat on every re-scan (it re-arms watches lost when a
  // directory was replaced).
  for (const std::string& dir : options_.directories) {
    inotify_add_watch(inotify_fd_, dir.c_str(),
                      IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB |
                          IN_DELETE_SELF | IN_MOVE_SELF);
  }
}

void RuleReloader::run() {
  std::optional<Clock::time_point> pending;  // reload due when events go quiet
  Clock::time_point next_rescan = Clock::now() + options_.rescan;
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    Clock::time_point wake_at = pending ? std::min(*pending, next_rescan) : next_rescan;
    int timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now).count());
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    poll(fds, 2, std::max(timeout, 0));
    if (stopping_) return;
    if (fds[0].revents & POLLIN) {
      alignas(inotify_event) char buffer[8192];
      while (read(inotify_fd_, buffer, sizeof buffer) > 0) {
      }
      pending = Clock::now() + options_.debounce;
    }
    now = Clock::now();
    if (pending && now >= *pending) {
      pending.reset();
      reload_now();
    }
    if (now >= next_rescan) {
      watch_directories();
      reload_now();
      next_rescan = now + options_.rescan;
    }
  }
}

}  // namespace releasegate::rules
