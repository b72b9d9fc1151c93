// The fake API server's watch: chunked newline-delimited events after the
// requested resourceVersion, filtered by the label selector as the watch
// cache does (an object losing the label is DELETED, gaining it ADDED),
// bookmarks, the end at timeoutSeconds, and the 410 ERROR event.
#include "tests/support/fake_api_internal.h"

namespace releasegate::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string event(const char* type, const json& object) {
  return FakeReply::chunk(json{{"type", type}, {"object", object}}.dump() + "\n");
}

std::string expired_event(std::uint64_t from, std::uint64_t oldest) {
  json status = json::parse(fake_status_body(410, "Expired", "too old resource version: " + std::to_string(from) +
                                                                 " (" + std::to_string(oldest) + ")"));
  return event("ERROR", status);
}

// The event a selected watch sees for one change, if any.
std::string event_of(const FakeChange& change, const FakeTarget& target, const FakeSelector& selector) {
  if (!fake_in_scope(target, change.collection)) return {};
  bool was = selector.matches(change.before);
  bool is = selector.matches(change.after);
  if (is) return event(was ? "MODIFIED" : "ADDED", change.after);
  if (!was) return {};
  // Left the set: the previous content, with the change's RV.
  json last = change.before;
  last["metadata"]["resourceVersion"] = std::to_string(change.rv);
  return event("DELETED", last);
}

// Where in the history a watch from `from` starts; from no RV (or 0), a
// synthetic ADDED for every object the cache holds first (b06, b07),
// added to `pending`.
std::size_t start_of(const FakeServerImpl& impl, const FakeTarget& target, const FakeSelector& selector,
                     std::uint64_t from, std::string& pending) {
  if (from == 0) {
    Store rebuilt;
    for (const auto& [collection, objects] : impl.store_at(impl.cache_rv, rebuilt)) {
      if (!fake_in_scope(target, collection)) continue;
      for (const auto& [name, object] : objects) {
        if (selector.matches(object)) pending += event("ADDED", object);
      }
    }
    from = impl.cache_rv;
  }
  std::size_t cursor = 0;
  while (cursor < impl.history.size() && impl.history[cursor].rv <= from) ++cursor;
  return cursor;
}

struct OpenWatch {
  FakeServerImpl& impl;
  explicit OpenWatch(FakeServerImpl& server) : impl(server) { ++impl.open_watches; }
  ~OpenWatch() { --impl.open_watches; }  // under the server's mutex: see serve_watch
};

}  // namespace

bool FakeServerImpl::serve_watch(FakeConnection& connection, const FakeTarget& target,
                                      const FakeRequest& request) {
  FakeSelector selector(request.query.count("labelSelector") ? request.query.at("labelSelector") : "");
  std::string from_text = request.query.count("resourceVersion") ? request.query.at("resourceVersion") : "";
  std::uint64_t from = from_text.empty() ? 0 : std::strtoull(from_text.c_str(), nullptr, 10);
  long timeout = request.query.count("timeoutSeconds") ? std::atol(request.query.at("timeoutSeconds").c_str()) : 1800;
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(timeout > 0 ? timeout : 1800);
  std::unique_lock lock(mutex);
  // Served from the watch cache: an RV before the changes it holds is too old.
  if (from != 0 && from < cache_start) {
    lock.unlock();
    return connection.write(FakeReply::chunked_head() + expired_event(from, cache_start + 1) + FakeReply::chunk({}));
  }
  std::string pending = FakeReply::chunked_head();
  std::size_t cursor = start_of(*this, target, selector, from, pending);
  const std::uint64_t expirations_at_start = expirations;
  const std::uint64_t closings_at_start = closings;
  const std::uint64_t restarts_at_start = restarts;
  // The changes the cache has reached, in order.
  auto cached = [&] { return cursor < history.size() && history[cursor].rv <= cache_rv; };
  OpenWatch open(*this);
  Clock::time_point next_bookmark = Clock::now() + bookmark_interval;
  while (true) {
    lock.unlock();
    bool written = connection.write(pending);
    lock.lock();
    if (!written || stopping || down || restarts != restarts_at_start) return false;  // cut: no last chunk
    pending.clear();
    Clock::time_point wake = bookmark_interval.count() > 0 ? std::min(deadline, next_bookmark) : deadline;
    changed.wait_until(lock, wake, [&] {
      return stopping || down || restarts != restarts_at_start || cached() || expirations != expirations_at_start ||
             closings != closings_at_start;
    });
    if (stopping || down || restarts != restarts_at_start) return false;
    for (; cached(); ++cursor) pending += event_of(history[cursor], target, selector);
    if (expirations != expirations_at_start) {
      pending += expired_event(from, cache_start + 1) + FakeReply::chunk({});
      break;
    }
    if (closings != closings_at_start || Clock::now() >= deadline) {
      pending += FakeReply::chunk({});
      break;
    }
    if (bookmark_interval.count() > 0 && Clock::now() >= next_bookmark) {
      json bookmark = {{"kind", target.kind()}, {"apiVersion", target.api_version()},
                       {"metadata", {{"resourceVersion", std::to_string(cache_rv)}, {"creationTimestamp", nullptr}}}};
      pending += event("BOOKMARK", bookmark);
      next_bookmark = Clock::now() + bookmark_interval;
    }
  }
  lock.unlock();
  bool written = connection.write(pending);
  lock.lock();  // OpenWatch's destructor runs under the mutex
  return written;
}

}  // namespace releasegate::testing
