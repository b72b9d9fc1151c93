// The small vocabulary the review parser and the object reader share over
// simdjson's On-Demand API: one pass over the bytes that builds nothing for
// the parts of the review the rules never read (managedFields, most of the
// pod spec). Every object is walked field by field in document order, so
// the key order the client chose does not matter. Internal to admission/.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

namespace releasegate::admission::ondemand {

using simdjson::error_code;
using simdjson::SUCCESS;
using simdjson::ondemand::array;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

template <typename Visit>
error_code for_each_field(object obj, Visit&& visit) {
  for (auto field : obj) {
    std::string_view key;
    if (error_code e = field.unescaped_key().get(key)) return e;
    value v;
    if (error_code e = field.value().get(v)) return e;
    if (error_code e = visit(key, v)) return e;
  }
  return SUCCESS;
}

// A number as written: a tag such as 1.10 must not become 1.1.
inline std::string_view raw_number(value v) {
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r')) {
    raw.remove_suffix(1);
  }
  return raw;
}

// A string field; anything else (a number, null) reads as absent.
inline std::string string_of(value v) {
  std::string_view s;
  return v.get_string().get(s) == SUCCESS ? std::string(s) : std::string();
}


}  // namespace releasegate::admission::ondemand
