#include "server/log.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "core/time_text.h"

namespace releasegate::server {
namespace {

std::atomic<LogLevel> g_level{LogLevel::Info};

std::string_view name_of(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}

// format_time of now, with the part up to the second formatted once a
// second per thread: a decision is logged per request.
std::string timestamp() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached_prefix;  // "2026-12-07T03:30:13."
  auto now = std::chrono::system_clock::now();
  std::time_t second = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  if (second != cached_second) {
    std::string full = format_time(std::chrono::system_clock::from_time_t(second));
    cached_prefix = full.substr(0, full.size() - 4);  // without "000Z"
    cached_second = second;
  }
  std::string out = cached_prefix;
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
}

}  // namespace

std::string format_time(std::chrono::system_clock::time_point now) { return rfc3339_fraction(now, 3); }

namespace {

// Lines are queued by the request threads and written by one writer thread
// in batches: a decision log line then costs a string move, not a write
// system call on the admission path. The queue is bounded; what overflows
// is counted and reported instead of growing memory without limit.
class Writer {
 public:
  static constexpr std::size_t kMaxQueued = 100000;
  static constexpr auto kFlushInterval = std::chrono::milliseconds(20);

  Writer() : thread_([this] { run(); }) {}
  ~Writer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void push(std::string line, bool urgent) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.size() >= kMaxQueued) {
        ++dropped_;
        return;
      }
      queue_.push_back(std::move(line));
    }
    if (urgent) wake_.notify_one();
  }

  void flush() {
    std::lock_guard<std::mutex> write_lock(write_mutex_);
    drain();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, kFlushInterval);
      lock.unlock();
      flush();
      lock.lock();
    }
    lock.unlock();
    flush();
  }

  void drain() {
    std::vector<std::string> batch;
    std::size_t dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.swap(queue_);
      dropped = dropped_;
      dropped_ = 0;
    }
    for (const std::string& line : batch) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
    }
    if (dropped) {
      std::fprintf(stdout, "{\"time\":\"%s\",\"level\":\"error\",\"msg\":\"log lines dropped\",\"dropped\":%zu}\n",
                   timestamp().c_str(), dropped);
    }
    if (!batch.empty() || dropped) std::fflush(stdout);
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::string> queue_;
  std::size_t dropped_ = 0;
  bool stopping_ = false;
  std::mutex write_mutex_;  // one drain at a time keeps lines in order
  std::thread thread_;
};

Writer& writer() {
  static Writer instance;
  return instance;
}

}  // namespace

std::optional<LogLevel> log_level_from_string(std::string_view name) {
  for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    if (name_of(l) == name) return l;
  }
  return std::nullopt;
}

void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

bool log_enabled(LogLevel level) { return level >= g_level.load(std::memory_order_relaxed); }

namespace detail {

JsonWriter begin_line(LogLevel level, std::string_view message) {
  JsonWriter line;
  line.begin_object().field("time", timestamp()).field("level", name_of(level)).field("msg", message);
  return line;
}

void queue_line(LogLevel level, JsonWriter&& line) {
  writer().push(line.end_object().take(), level >= LogLevel::Warn);
}

}  // namespace detail

void log(LogLevel level, std::string_view message, nlohmann::json fields) {
  log_with(level, message, [&fields](JsonWriter& line) {
    if (!fields.is_object()) return;
    for (const auto& [key, value] : fields.items()) {
      // Replace invalid UTF-8 rather than throw: log input comes from requests.
      line.key(key).raw(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  });
}

void flush_logs() { writer().flush(); }

}  // namespace releasegate::server
