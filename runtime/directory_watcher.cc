#include "runtime/directory_watcher.h"

#include <filesystem>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <optional>

namespace releasegate::runtime {

using Clock = std::chrono::steady_clock;

DirectoryWatcher::DirectoryWatcher(Options options, std::function<void()> on_change)
    : options_(std::move(options)), on_change_(std::move(on_change)) {}

DirectoryWatcher::~DirectoryWatcher() { stop(); }

void DirectoryWatcher::start() {
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  add_watches();
  thread_ = std::thread([this] { run(); });
}

void DirectoryWatcher::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  thread_.join();
  close(inotify_fd_);
  close(wake_fd_);
}

void DirectoryWatcher::add_watches() {
  // Adding a watch for a path already watched only updates it, so this is
  // safe to repeat on every re-scan; it re-arms watches lost when a
  // directory was replaced.
  // Subdirectories too: a ConfigMap volume mounted in a rules directory
  // swaps its own `..data`.
  constexpr std::uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  for (const std::string& dir : options_.directories) {
    inotify_add_watch(inotify_fd_, dir.c_str(), kEvents);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      std::error_code ignored;
      if (entry.path().filename().string().starts_with(".") || !entry.is_directory(ignored)) continue;
      inotify_add_watch(inotify_fd_, entry.path().c_str(), kEvents);
    }
  }
}

void DirectoryWatcher::run() {
  std::optional<Clock::time_point> pending;  // callback due when events go quiet
  Clock::time_point next_rescan = Clock::now() + options_.rescan;
  while (!stopping_) {
    Clock::time_point wake_at = pending ? std::min(*pending, next_rescan) : next_rescan;
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - Clock::now()).count();
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    poll(fds, 2, static_cast<int>(std::max<decltype(timeout)>(timeout, 0)));
    if (stopping_) return;
    if (fds[0].revents & POLLIN) {
      alignas(inotify_event) char buffer[8192];
      while (read(inotify_fd_, buffer, sizeof buffer) > 0) {
      }
      pending = Clock::now() + options_.debounce;
    }
    Clock::time_point now = Clock::now();
    if (pending && now >= *pending) {
      pending.reset();
      on_change_();
    }
    if (now >= next_rescan) {
      add_watches();
      on_change_();
      next_rescan = now + options_.rescan;
    }
  }
}

}  // namespace releasegate::runtime
