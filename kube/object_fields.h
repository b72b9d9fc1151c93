// Fields of an object as the API returns it, by JSON pointer, without
// exceptions: a missing field, or one of another type, reads as absent.
// Shared by what reads listed objects (the audit's inventory, the evidence
// observer's health).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace releasegate::kube {

inline const nlohmann::json* field_at(const nlohmann::json& object, const char* pointer) {
  nlohmann::json::json_pointer p(pointer);
  return object.contains(p) ? &object.at(p) : nullptr;
}

inline std::string text_at(const nlohmann::json& object, const char* pointer) {
  const nlohmann::json* value = field_at(object, pointer);
  return value && value->is_string() ? value->get<std::string>() : std::string();
}

inline std::int64_t number_at(const nlohmann::json& object, const char* pointer, std::int64_t fallback = 0) {
  const nlohmann::json* value = field_at(object, pointer);
  return value && value->is_number_integer() ? value->get<std::int64_t>() : fallback;
}

}  // namespace releasegate::kube
