#include "core/time_text.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace releasegate {
namespace {

// Reads `digits` decimal digits at `pos`, advancing it.
std::optional<int> number(std::string_view text, std::size_t& pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || (text[pos] != c && !(c == 'T' && text[pos] == 't'))) return false;
  ++pos;
  return true;
}

std::tm utc_of(UnixSeconds time) {
  std::time_t t = static_cast<std::time_t>(time);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return utc;
}

}  // namespace

std::optional<UnixSeconds> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  auto year = number(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  auto month = number(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  auto day = number(text, pos, 2);
  if (!day || !expect(text, pos, 'T')) return std::nullopt;
  auto hour = number(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  auto minute = number(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  auto second = number(text, pos, 2);
  if (!second) return std::nullopt;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  long offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos++] == '-' ? -1 : 1;
    auto oh = number(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    auto om = number(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = sign * (*oh * 3600L + *om * 60L);
  } else {
    return std::nullopt;
  }
  // Before 1970 is no time a cluster wrote (and not one seconds count).
  if (pos != text.size() || *year < 1970 || *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  std::tm check = tm;
  UnixSeconds time = timegm(&tm);
  if (tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon) return std::nullopt;  // 31 February
  return time - offset;
}

std::string rfc3339(UnixSeconds time) {
  std::tm utc = utc_of(time);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buf;
}

std::string rfc3339_fraction(std::chrono::system_clock::time_point time, int digits) {
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  auto seconds = static_cast<UnixSeconds>(nanos / 1'000'000'000 - (nanos % 1'000'000'000 < 0 ? 1 : 0));
  long long fraction = nanos - seconds * 1'000'000'000LL;
  std::string text = rfc3339(seconds);
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%09lld", fraction);
  text.insert(text.size() - 1, buf, static_cast<std::size_t>(1 + std::clamp(digits, 1, 9)));
  return text;
}

UnixSeconds wall_clock() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<std::int64_t> parse_duration(std::string_view text, std::int64_t max_seconds) {
  constexpr std::string_view kUnits = "hms";
  constexpr std::int64_t kSeconds[] = {3600, 60, 1};
  std::int64_t total = 0;
  std::size_t next_unit = 0, pos = 0;
  if (text.empty()) return std::nullopt;
  while (pos < text.size()) {
    // Digits only: from_chars would take a sign, and "1h-59m" is no minute.
    if (text[pos] < '0' || text[pos] > '9') return std::nullopt;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data() + pos || end == text.data() + text.size()) return std::nullopt;
    pos = static_cast<std::size_t>(end - text.data());
    std::size_t unit = kUnits.find(text[pos++]);
    if (unit == std::string_view::npos || unit < next_unit || value > max_seconds) return std::nullopt;
    next_unit = unit + 1;
    total += value * kSeconds[unit];
    if (total > max_seconds) return std::nullopt;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

std::string duration_text(std::int64_t seconds) {
  if (seconds <= 0) return "0s";
  std::string out;
  if (seconds >= 3600) out += std::to_string(seconds / 3600) + "h";
  if (seconds % 3600 >= 60) out += std::to_string(seconds % 3600 / 60) + "m";
  if (seconds % 60 != 0) out += std::to_string(seconds % 60) + "s";
  return out;
}

std::string moment_text(UnixSeconds time, UnixSeconds now) {
  std::tm at = utc_of(time), today = utc_of(now);
  char buf[64];
  if (at.tm_year == today.tm_year && at.tm_yday == today.tm_yday) {
    std::snprintf(buf, sizeof buf, "%02d:%02dZ", at.tm_hour, at.tm_min);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02dZ", at.tm_year + 1900, at.tm_mon + 1, at.tm_mday,
                  at.tm_hour, at.tm_min);
  }
  return buf;
}

}  // namespace releasegate
