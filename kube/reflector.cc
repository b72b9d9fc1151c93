#include "kube/reflector.h"

#include <random>
#include <string_view>
#include <utility>

#include "core/allocator.h"
#include "kube/decode.h"
#include "kube/list_page.h"

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

std::string_view to_string(ReflectorNotice::What what) {
  switch (what) {
    case ReflectorNotice::What::ListFailed: return "list failed";
    case ReflectorNotice::What::WatchFailed: return "watch failed";
    case ReflectorNotice::What::Relist: return "relist";
    case ReflectorNotice::What::NotServed: return "not served";
  }
  return "?";
}

Reflector::Reflector(Client& client, ReflectorOptions options, ReflectorHandlers handlers)
    : client_(client),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      list_backoff_(options_.initial_backoff, options_.max_backoff),
      watch_backoff_(options_.initial_backoff, options_.max_backoff) {
  status_.collection = options_.path;
}

Reflector::~Reflector() { stop(); }

void Reflector::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stop_) return;
  running_ = true;
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
  request_changed_.notify_all();
  client_.stop();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::optional<ListResult> Reflector::list_now(const ItemText& each) {
  std::unique_lock lock(mutex_);
  request_changed_.wait(lock, [this] { return stop_ || !running_ || request_ == nullptr; });
  if (stop_ || !running_) return std::nullopt;
  ListRequest request;
  request.each = &each;
  request_ = &request;
  stopping_.notify_all();  // a backoff wait ends for it
  // The watch is cut until the reflector takes the request: one still
  // connecting is missed by a cut, hence the repetition.
  while (!request.taken && running_ && !stop_) {
    lock.unlock();
    client_.interrupt_watch();
    lock.lock();
    request_changed_.wait_for(lock, std::chrono::milliseconds(10), [&] { return request.taken || stop_; });
  }
  // Once taken, it is answered, even when stopping (the list then fails).
  if (request.taken) request_changed_.wait(lock, [&] { return request.result.has_value(); });
  if (request_ == &request) request_ = nullptr;
  request_changed_.notify_all();
  return request.result;
}

Reflector::ListRequest* Reflector::take_request() {
  std::lock_guard lock(mutex_);
  if (request_ == nullptr || request_->taken) return nullptr;
  request_->taken = true;
  return request_;
}

bool Reflector::request_waiting() const {
  std::lock_guard lock(mutex_);
  return request_ != nullptr && !request_->taken;
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
  stopping_.wait_for(lock, delay, [this] { return stop_ || (request_ != nullptr && !request_->taken); });
}

void Reflector::failed(const ApiError& error) {
  std::lock_guard lock(mutex_);
  status_.last_error = error;
  ++status_.failures;
}

void Reflector::notice(ReflectorNotice::What what, std::string reason, std::string resource_version) {
  if (!options_.on_notice) return;
  auto index = static_cast<std::size_t>(what);
  Clock::time_point now = Clock::now();
  if (last_notice_[index] != Clock::time_point{} && now - last_notice_[index] < options_.notice_interval) {
    ++suppressed_[index];
    return;
  }
  last_notice_[index] = now;
  options_.on_notice(ReflectorNotice{what, options_.path, std::move(reason), std::move(resource_version),
                                     std::exchange(suppressed_[index], 0)});
}

// client-go runs ListAndWatch under wait.BackoffUntil: every list after
// the first waits for the backoff, whatever ended the watch before it.
// A list_now() is answered before anything else, its list taking the
// place of the next list or watch.
void Reflector::run() {
  Next next = Next::List;
  bool first = true;
  while (!stopping()) {
    if (ListRequest* asked = take_request()) {
      ListResult result = relist(asked->each);
      first = false;
      next = result.ok ? Next::Watch : Next::List;
      std::lock_guard lock(mutex_);
      if (result.ok) ++status_.lent;
      asked->result = std::move(result);
      request_changed_.notify_all();
      continue;
    }
    if (next == Next::Watch) {
      next = watch_once();
      continue;
    }
    if (!first) wait(list_backoff_.next());  // ends early for a list_now()
    first = false;
    if (!stopping() && !request_waiting()) next = relist().ok ? Next::Watch : Next::List;
  }
  std::lock_guard lock(mutex_);
  status_.watching = false;
  running_ = false;
  request_changed_.notify_all();
}

ListResult Reflector::relist(const ItemText* each) {
  // relistResourceVersion(): the last RV, or "" once a list at it was
  // refused; list_now()'s is a consistent read.
  ListOptions options = options_.list;
  options.resource_version = version_unavailable_ || each ? std::string() : resource_version_;
  // At a resourceVersion, not paged: the watch cache serves it, at that
  // version or newer ("we explicitly switch off pagination to force listing
  // from watch cache"). Paged, it would be an exact read from etcd.
  if (!options.resource_version.empty()) options.limit = 0;
  bool first = status().lists == 0;
  if (!first && each == nullptr) notice(ReflectorNotice::What::Relist, relist_reason_, options.resource_version);
  ListResult result = list_and_deliver(options, each);
  if (stopping()) {
    result.ok = false;
    result.error = ApiError{0, "", "stopped"};
    return result;
  }
  if (!result.ok && result.error.code == 404 && options_.may_be_unserved) {
    not_served(result.error, options.resource_version);
    return result;
  }
  if (!result.ok) {
    notice(ReflectorNotice::What::ListFailed, result.error.describe(), options.resource_version);
    failed(result.error);
    return result;
  }
  version_unavailable_ = false;
  deliver_removals();
  resource_version_ = result.resource_version;
  {
    std::lock_guard lock(mutex_);
    status_.served = true;
    status_.synced = true;
    status_.resource_version = resource_version_;
    status_.last_sync = std::chrono::system_clock::now();
    status_.last_error.reset();
    status_.objects = delivered_.size();
    ++status_.lists;
  }
  if (handlers_.synced) handlers_.synced();
  // A list parses megabytes that are garbage once its items are delivered:
  // give the free pages back, so that RSS is what the consumers keep.
  return_free_memory();
  return result;
}

// Not served: an empty set, and nothing to watch. Said once, when it
// stops being served; listed again with the backoff.
void Reflector::not_served(const ApiError& error, const std::string& resource_version) {
  ReflectorStatus before = status();
  bool was_served = before.served;
  if (was_served) notice(ReflectorNotice::What::NotServed, error.describe(), resource_version);
  ++lists_started_;
  deliver_removals();
  resource_version_.clear();
  version_unavailable_ = false;
  {
    std::lock_guard lock(mutex_);
    status_.served = false;
    status_.synced = true;
    status_.resource_version.clear();
    status_.last_error = error;
    status_.objects = 0;
  }
  if (handlers_.synced && (was_served || !before.synced)) handlers_.synced();
}

// What the last complete list (lists_started_) did not mark was removed
// meanwhile.
void Reflector::deliver_removals() {
  for (auto it = delivered_.begin(); it != delivered_.end();) {
    if (it->second.list == lists_started_) {
      ++it;
      continue;
    }
    std::string key = it->first;
    it = delivered_.erase(it);
    if (handlers_.remove) handlers_.remove(key);
  }
}

// Each item delivered as it is decoded (a page at a time: the whole list is
// never held), marked with this list's number.
ListResult Reflector::list_and_deliver(ListOptions& options, const ItemText* each) {
  std::uint64_t this_list = ++lists_started_;
  auto collect = [this, &this_list, each](std::string_view text) {
    if (each != nullptr && !(*each)(text)) return false;
    // Delivered already at this version: marked, and not decoded.
    if (ItemIdentity id = read_item_identity(text); id.ok && !id.resource_version.empty()) {
      auto seen = delivered_.find(id.namespace_.empty() ? id.name : id.namespace_ + "/" + id.name);
      if (seen != delivered_.end() && seen->second.resource_version == id.resource_version) {
        seen->second.list = this_list;
        return true;
      }
    }
    nlohmann::json item = decode_object(text, 0);
    if (item.is_discarded()) return false;
    std::string key = key_of(item);
    std::string version = resource_version_of(item);
    delivered_[key].list = this_list;
    upsert(std::move(key), std::move(version), std::move(item));
    return true;
  };
  ListResult result = client_.list_text(options_.path, options, collect);
  if (!result.ok && !options.resource_version.empty() && !stopping() &&
      (result.error.expired() || result.error.too_large_resource_version)) {
    // isExpiredError || isTooLargeResourceVersionError: the version is gone
    // (compacted) or not reached (a cache behind, etcd restored): a
    // consistent read at once, and until a list succeeds.
    notice(ReflectorNotice::What::ListFailed, result.error.describe(), options.resource_version);
    version_unavailable_ = true;
    this_list = ++lists_started_;  // what the refused list marked counts for nothing
    options.resource_version.clear();
    options.limit = options_.list.limit;
    result = client_.list_text(options_.path, options, collect);
  }
  return result;
}

void Reflector::upsert(std::string key, std::string resource_version, nlohmann::json&& object) {
  Delivered& seen = delivered_[key];
  if (!resource_version.empty() && seen.resource_version == resource_version) return;
  seen.resource_version = std::move(resource_version);
  if (handlers_.upsert) handlers_.upsert(key, std::move(object));
}

void Reflector::apply(WatchEvent&& event) {
  std::string version = resource_version_of(event.object);
  if (!version.empty()) resource_version_ = version;
  switch (event.type) {
    case WatchEventType::Added:
    case WatchEventType::Modified:
      upsert(key_of(event.object), std::move(version), std::move(event.object));
      break;
    case WatchEventType::Deleted:
      // With a selector, DELETED also means "left the set": gone either way.
      if (std::string key = key_of(event.object); delivered_.erase(key) && handlers_.remove) handlers_.remove(key);
      break;
    case WatchEventType::Bookmark:
    case WatchEventType::Error:
      break;
  }
  {
    std::lock_guard lock(mutex_);
    status_.resource_version = resource_version_;
    status_.last_error.reset();
    status_.objects = delivered_.size();
  }
  bool change = event.type != WatchEventType::Bookmark && event.type != WatchEventType::Error;
  if (change && handlers_.event) handlers_.event();
}

Reflector::Next Reflector::watch_once() {
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
  // Cut for a list_now(): its list comes next, whatever the cut looked like.
  if (request_waiting()) return Next::Watch;
  // client-go's "very short watch": ended within a second with no event.
  bool very_short = result.events == 0 && Clock::now() - started < kShortWatch;
  return after_watch(result, options.resource_version, very_short);
}

// What follows each end of a watch is client-go's Reflector.watch() (and
// ListAndWatch around it); kube/README.md has the table.
Reflector::Next Reflector::after_watch(const WatchResult& result, const std::string& from, bool very_short) {
  auto relist_after = [&](const std::string& why) {
    relist_reason_ = why;
    return Next::List;
  };
  auto watch_failed = [&](const ApiError& error) {
    notice(ReflectorNotice::What::WatchFailed, error.describe(), from);
    failed(error);
  };
  switch (result.end) {
    case WatchEnd::Stopped:
    case WatchEnd::Closed:
      if (!very_short || result.end == WatchEnd::Stopped) return Next::Watch;
      watch_failed(ApiError{0, "", "the watch ended at once without an event (very short watch)"});
      return relist_after("very short watch");
    case WatchEnd::Expired:
      // No warning (it is routine after a compaction or a restart): list
      // again at the last RV, which the server answers at it or newer.
      failed(result.error);
      return relist_after("watch from " + from + ": " + result.error.describe());
    case WatchEnd::Unreachable:
      // isWatchErrorRetriable (connection refused): back off, watch again.
      watch_failed(result.error);
      wait(watch_backoff_.next());
      return Next::Watch;
    case WatchEnd::Cut:
      // An EOF ends client-go's watch as a timeout does: watch again from
      // the last RV, unless it was a very short watch.
      watch_failed(result.error);
      return very_short ? relist_after(result.error.describe()) : Next::Watch;
    case WatchEnd::Failed:
      watch_failed(result.error);
      // 429: back off, watch again; any other error ends ListAndWatch, which lists again.
      if (result.error.code != 429) return relist_after(result.error.describe());
      wait(watch_backoff_.next());
      return Next::Watch;
  }
  return Next::Watch;
}

}  // namespace releasegate::kube
