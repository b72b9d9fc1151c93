// Structured logs: one JSON object per line on stdout, for the cluster's log
// pipeline. Decisions are logged at info; errors name what and where.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace releasegate::webhook {

enum class LogLevel { Debug, Info, Warn, Error };

std::optional<LogLevel> log_level_from_string(std::string_view name);
void set_log_level(LogLevel level);

// Writes {"time":..., "level":..., "msg": message, ...fields} as one line.
void log(LogLevel level, std::string_view message, nlohmann::json fields = nlohmann::json::object());

}  // namespace releasegate::webhook
