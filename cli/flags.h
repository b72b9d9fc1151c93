// Command-line flags: `--name value` or `--name=value`, some repeatable.
// Unknown flags and missing values are errors, never ignored.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace releasegate::cli {

// "250ms", "10s", "2m": a positive duration; nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// A positive whole number; nullopt when malformed or zero.
std::optional<std::size_t> parse_positive(std::string_view text);

class Flags {
 public:
  // `value_flags` take a value; `switches` take none.
  Flags(std::set<std::string> value_flags, std::set<std::string> switches = {})
      : value_flags_(std::move(value_flags)), switches_(std::move(switches)) {}

  // Parses argv (without the program and subcommand names). On failure
  // returns false with the reason in *error.
  bool parse(const std::vector<std::string>& args, std::string* error);

  std::optional<std::string> get(const std::string& name) const;  // the last value given
  std::vector<std::string> all(const std::string& name) const;     // every value, in order
  bool has(const std::string& name) const;

 private:
  std::set<std::string> value_flags_;
  std::set<std::string> switches_;
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace releasegate::cli
