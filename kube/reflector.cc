#include "kube/reflector.h"

#include <random>
#include <utility>

#include "kube/backoff.h"

namespace releasegate::kube {
namespace {

using Clock = std::chrono::steady_clock;
// A watch that ends this soon without an event is a failure, as client-go's "very short watch".
constexpr std::chrono::seconds kShortWatch{1};

std::chrono::seconds draw_watch_timeout(std::chrono::seconds minimum) {
  static thread_local std::mt19937 random{std::random_device{}()};
  long long low = std::max<long long>(1, minimum.count());
  std::uniform_int_distribution<long long> draw(low, 2 * low - 1);
  return std::chrono::seconds(draw(random));
}

std::string resource_version_of(const nlohmann::json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  auto rv = metadata->find("resourceVersion");
  return rv != metadata->end() && rv->is_string() ? rv->get<std::string>() : std::string();
}

}  // namespace

Reflector::Reflector(Client& client, ReflectorOptions options, OnChange on_change)
    : client_(client), options_(std::move(options)), on_change_(std::move(on_change)) {}

Reflector::~Reflector() { stop(); }

void Reflector::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { run(); });
}

// The client is stopped too: that is what interrupts a watch blocked on
// its socket, so a Client stopped with its reflector serves no one else.
void Reflector::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stopping_.notify_all();
  client_.stop();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

ReflectorStatus Reflector::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::string Reflector::key_of(const nlohmann::json& object) {
  if (!object.is_object()) return {};
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  auto text = [&](const char* key) {
    auto value = metadata->find(key);
    return value != metadata->end() && value->is_string() ? value->get<std::string>() : std::string();
  };
  std::string ns = text("namespace");
  return ns.empty() ? text("name") : ns + "/" + text("name");
}

bool Reflector::stopping() const {
  std::lock_guard lock(mutex_);
  return stop_;
}

void Reflector::wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  stopping_.wait_for(lock, delay, [this] { return stop_; });
}

void Reflector::failed(const ApiError& error) {
  {
    std::lock_guard lock(mutex_);
    status_.last_error = error;
    ++status_.failures;
  }
  wait(full_jitter(failures_in_row_++, options_.initial_backoff, options_.max_backoff));
}

void Reflector::run() {
  bool listed = false;
  while (!stopping()) {
    if (!listed) {
      listed = relist();
      continue;
    }
    listed = watch_once();
  }
  std::lock_guard lock(mutex_);
  status_.watching = false;
}

bool Reflector::relist() {
  ListOptions options = options_.list;
  options.resource_version = relist_at_last_ ? resource_version_ : std::string();
  ObjectMap fresh;
  auto collect = [&fresh](nlohmann::json&& item) {
    std::string key = key_of(item);
    fresh[key] = std::move(item);
  };
  ListResult result = client_.list(options_.path, options, collect);
  if (!result.ok && result.error.expired() && !options.resource_version.empty() && !stopping()) {
    // The last RV is compacted away too: a quorum read.
    fresh.clear();
    options.resource_version.clear();
    result = client_.list(options_.path, options, collect);
  }
  if (stopping()) return false;
  if (!result.ok) {
    failed(result.error);
    return false;
  }
  relist_at_last_ = false;
  failures_in_row_ = 0;
  objects_ = std::move(fresh);
  resource_version_ = result.resource_version;
  {
    std::lock_guard lock(mutex_);
    status_.synced = true;
    status_.resource_version = resource_version_;
    status_.last_sync = std::chrono::system_clock::now();
    status_.last_error.reset();
    ++status_.lists;
  }
  on_change_(objects_);
  return true;
}

void Reflector::apply(WatchEvent&& event) {
  if (std::string rv = resource_version_of(event.object); !rv.empty()) resource_version_ = rv;
  {
    std::lock_guard lock(mutex_);
    status_.resource_version = resource_version_;
    status_.last_error.reset();
  }
  switch (event.type) {
    case WatchEventType::Added:
    case WatchEventType::Modified: {
      std::string key = key_of(event.object);
      objects_[key] = std::move(event.object);
      break;
    }
    case WatchEventType::Deleted:
      // With a selector, DELETED also means "lost the label": left the set either way.
      objects_.erase(key_of(event.object));
      break;
    case WatchEventType::Bookmark:
    case WatchEventType::Error:
      return;
  }
  on_change_(objects_);
}

bool Reflector::watch_once() {
  ListOptions options = options_.list;
  options.resource_version = resource_version_;
  {
    std::lock_guard lock(mutex_);
    ++status_.watches;
  }
  Clock::time_point started = Clock::now();
  // Watching only once the server has answered: an API that does not
  // answer must not look connected while each attempt waits to time out.
  auto opened = [this] {
    std::lock_guard lock(mutex_);
    status_.watching = true;
    status_.last_error.reset();
  };
  WatchResult result = client_.watch(options_.path, options, draw_watch_timeout(options_.watch_timeout),
                                     [this](WatchEvent&& event) { apply(std::move(event)); }, opened);
  {
    std::lock_guard lock(mutex_);
    status_.watching = false;
  }
  switch (result.end) {
    case WatchEnd::Stopped:
      return true;
    case WatchEnd::Expired:
      relist_at_last_ = true;
      {
        std::lock_guard lock(mutex_);
        status_.last_error = result.error;
        ++status_.failures;
      }
      return false;
    case WatchEnd::Closed:
      if (result.events == 0 && Clock::now() - started < kShortWatch) {
        failed(ApiError{0, "", "the watch ended at once without an event"});
      } else {
        failures_in_row_ = 0;
      }
      return true;
    case WatchEnd::Failed:
      failed(result.error);
      return true;
  }
  return true;
}

}  // namespace releasegate::kube
