// JSON text written straight into a string, for the per-request paths (the
// AdmissionReview response, the decision log line), where building an
// nlohmann tree first costs more than the answer itself. Containers are
// opened and closed in order; commas are the writer's. Strings are escaped
// as nlohmann's dump(error_handler_t::replace) escapes them: '"', '\\' and
// control characters, and each invalid UTF-8 sequence replaced by U+FFFD;
// text from requests never makes it throw. Everything else stays a tree.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace releasegate {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view text);
  JsonWriter& boolean(bool value);
  JsonWriter& number(std::int64_t value);
  JsonWriter& number(std::uint64_t value);
  JsonWriter& raw(std::string_view json);  // a value already written as JSON

  // key(name) then the value.
  JsonWriter& field(std::string_view name, std::string_view text) { return key(name).string(text); }
  JsonWriter& field(std::string_view name, const char* text) { return key(name).string(text); }
  JsonWriter& field(std::string_view name, const std::string& text) { return key(name).string(text); }
  JsonWriter& field(std::string_view name, bool value) { return key(name).boolean(value); }
  JsonWriter& field(std::string_view name, int value) { return key(name).number(static_cast<std::int64_t>(value)); }
  JsonWriter& field(std::string_view name, std::int64_t value) { return key(name).number(value); }
  JsonWriter& field(std::string_view name, std::uint64_t value) { return key(name).number(value); }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();  // the comma before a value or key, unless first in its container
  void open(char bracket);
  void close(char bracket);

  static constexpr std::size_t kMaxDepth = 32;
  std::string out_;
  std::array<bool, kMaxDepth> has_member_{};
  std::size_t depth_ = 0;
  bool after_key_ = false;
};

// `text` as a JSON string, quotes included, escaped as above.
void append_json_string(std::string& out, std::string_view text);

}  // namespace releasegate
