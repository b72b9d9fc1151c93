// Times and durations as Kubernetes and releasegate's rules write them:
// RFC 3339 timestamps in UTC ("2026-12-02T14:32:00Z", the form of
// metadata.creationTimestamp and condition lastTransitionTime) and Go-style
// durations ("30m", "1h30m", "90s"). Seconds since the epoch throughout:
// evidence is judged to the second.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace releasegate {

using UnixSeconds = std::int64_t;

// "2026-12-02T14:32:00Z", with optional fractional seconds and a numeric
// offset ("+02:00"), from 1970 on; nullopt for anything else.
std::optional<UnixSeconds> parse_rfc3339(std::string_view text);
std::string rfc3339(UnixSeconds time);  // "2026-12-02T14:32:00Z"
// With `digits` (1 to 9) of the second's fraction: 3 for log lines
// ("2026-12-02T14:32:00.123Z"), 6 for a Lease's MicroTime.
std::string rfc3339_fraction(std::chrono::system_clock::time_point time, int digits);
UnixSeconds wall_clock();                // the system clock, now

// "30m", "1h30m", "2h", "45s" (units h, m, s, each at most once, in that
// order); nullopt for anything else, zero or over `max`.
std::optional<std::int64_t> parse_duration(std::string_view text, std::int64_t max_seconds);
std::string duration_text(std::int64_t seconds);  // "1h30m", "12m", "45s", "0s"

// A moment for a message read near `now`: "14:32Z" within the same UTC day,
// else the date too ("2026-12-03 14:32Z").
std::string moment_text(UnixSeconds time, UnixSeconds now);

}  // namespace releasegate
