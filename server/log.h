// Structured logs: one JSON object per line on stdout, for the cluster's log
// pipeline. Decisions are logged at info; errors name what and where.
#pragma once

#include <nlohmann/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace releasegate::server {

enum class LogLevel { Debug, Info, Warn, Error };

std::optional<LogLevel> log_level_from_string(std::string_view name);
void set_log_level(LogLevel level);

// Queues {"time":..., "level":..., "msg": message, ...fields} as one line.
// A writer thread writes queued lines every 20 ms (at once for warnings and
// errors), so the admission path never waits for stdout.
void log(LogLevel level, std::string_view message, nlohmann::json fields = nlohmann::json::object());

// Writes every queued line now (before exit).
void flush_logs();

// RFC 3339 in UTC with milliseconds, as in the log lines.
std::string format_time(std::chrono::system_clock::time_point time);

}  // namespace releasegate::server
