// Structured logs: one JSON object per line on stdout, for the cluster's log
// pipeline. Decisions are logged at info; errors name what and where.
#pragma once

#include <nlohmann/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_writer.h"

namespace releasegate::server {

enum class LogLevel { Debug, Info, Warn, Error };

std::optional<LogLevel> log_level_from_string(std::string_view name);
void set_log_level(LogLevel level);

bool log_enabled(LogLevel level);

// The line {"time":..., "level":..., "msg": message, then what `fields`
// writes}, queued: a writer thread writes queued lines every 20 ms (at once
// for warnings and errors), so the admission path never waits for stdout.
// Written straight into the line, without a JSON tree: a decision is
// logged per request. Nothing is built when the level is off.
template <class Fields>
void log_with(LogLevel level, std::string_view message, Fields&& fields);

// The same with the fields as a JSON object (for what is not per request).
void log(LogLevel level, std::string_view message, nlohmann::json fields = nlohmann::json::object());

namespace detail {
JsonWriter begin_line(LogLevel level, std::string_view message);
void queue_line(LogLevel level, JsonWriter&& line);
}  // namespace detail

template <class Fields>
void log_with(LogLevel level, std::string_view message, Fields&& fields) {
  if (!log_enabled(level)) return;
  JsonWriter line = detail::begin_line(level, message);
  fields(line);
  detail::queue_line(level, std::move(line));
}

// Writes every queued line now (before exit).
void flush_logs();

// RFC 3339 in UTC with milliseconds, as in the log lines.
std::string format_time(std::chrono::system_clock::time_point time);

}  // namespace releasegate::server
