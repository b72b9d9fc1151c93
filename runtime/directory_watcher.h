// Watches directories for changes with inotify and calls back on a thread
// of its own: once events have been quiet for `debounce`, and every
// `rescan` regardless (a watch can be lost when a directory is replaced, as
// kubelet does for projected volumes). Used for the rules directories and
// for the TLS certificate files.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace releasegate::runtime {

class DirectoryWatcher {
 public:
  struct Options {
    std::vector<std::string> directories;
    std::chrono::milliseconds debounce{200};
    std::chrono::milliseconds rescan{30'000};
  };

  DirectoryWatcher(Options options, std::function<void()> on_change);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  void start();
  void stop();

 private:
  void run();
  void add_watches();

  Options options_;
  std::function<void()> on_change_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace releasegate::runtime
