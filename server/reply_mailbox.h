// Replies deferred by handlers (HttpsListener::Deferral), posted from other
// threads to the event loop that owns their connections, which an eventfd
// wakes. Shared with every Responder, so that a reply arriving after the
// loop has gone is dropped rather than written to freed memory.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "server/https_listener.h"

namespace releasegate::server {

struct ReplyMailbox {
  int event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::mutex mutex;
  std::vector<std::pair<std::uint64_t, HttpReply>> replies;
  bool closed = false;

  ~ReplyMailbox() { ::close(event_fd); }
  void post(std::uint64_t request, HttpReply reply) {
    std::lock_guard lock(mutex);
    if (closed) return;
    replies.emplace_back(request, std::move(reply));
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(event_fd, &one, sizeof one);
  }
  std::vector<std::pair<std::uint64_t, HttpReply>> take() {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(event_fd, &count, sizeof count);
    std::lock_guard lock(mutex);
    return std::exchange(replies, {});
  }
};


}  // namespace releasegate::server
