#include "admission/object_diff.h"

#include <simdjson.h>

#include <array>

namespace releasegate::admission {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr std::array<std::string_view, 10> kServerMaintained = {
    "/metadata/managedFields",     "/metadata/resourceVersion", "/metadata/generation",
    "/metadata/uid",               "/metadata/creationTimestamp", "/metadata/selfLink",
    "/metadata/deletionTimestamp", "/metadata/deletionGracePeriodSeconds", "/status",
    "/metadata/finalizers"};

std::string escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

class Differ {
 public:
  Differ(std::size_t limit, ObjectDiff& out) : limit_(limit), out_(out) {}

  void changed(const std::string& path) {
    if (out_.paths.size() >= limit_) {
      out_.truncated = true;
      return;
    }
    out_.paths.push_back(path);
  }

  // One side only: report its leaves (an object), or itself.
  void one_sided(element value, const std::string& path) {
    if (ignored(path)) return;
    object obj;
    if (value.get(obj) == simdjson::SUCCESS && obj.size() > 0) {
      for (auto [key, child] : obj) one_sided(child, path + "/" + escape(key));
      return;
    }
    changed(path);
  }

  void diff(element before, element after, const std::string& path) {
    if (out_.truncated || ignored(path)) return;
    if (before.type() != after.type()) return changed(path);
    switch (before.type()) {
      case element_type::OBJECT: {
        object old_obj = before.get_object().value_unsafe();
        object new_obj = after.get_object().value_unsafe();
        for (auto [key, value] : old_obj) {
          std::string child = path + "/" + escape(key);
          element other;
          if (new_obj[key].get(other) == simdjson::SUCCESS) {
            diff(value, other, child);
          } else {
            one_sided(value, child);
          }
        }
        for (auto [key, value] : new_obj) {
          element other;
          if (old_obj[key].get(other) != simdjson::SUCCESS) one_sided(value, path + "/" + escape(key));
        }
        return;
      }
      case element_type::ARRAY: {
        auto old_arr = before.get_array().value_unsafe();
        auto new_arr = after.get_array().value_unsafe();
        if (old_arr.size() != new_arr.size()) return changed(path);
        std::size_t i = 0;
        auto it = new_arr.begin();
        for (element value : old_arr) {
          diff(value, *it, path + "/" + std::to_string(i++));
          ++it;
        }
        return;
      }
      case element_type::STRING:
        if (before.get_string().value_unsafe() != after.get_string().value_unsafe()) changed(path);
        return;
      case element_type::INT64:
        if (before.get_int64().value_unsafe() != after.get_int64().value_unsafe()) changed(path);
        return;
      case element_type::UINT64:
        if (before.get_uint64().value_unsafe() != after.get_uint64().value_unsafe()) changed(path);
        return;
      case element_type::DOUBLE:
        if (before.get_double().value_unsafe() != after.get_double().value_unsafe()) changed(path);
        return;
      case element_type::BOOL:
        if (before.get_bool().value_unsafe() != after.get_bool().value_unsafe()) changed(path);
        return;
      case element_type::NULL_VALUE: return;
    }
  }

 private:
  static bool ignored(const std::string& path) {
    for (std::string_view prefix : kServerMaintained) {
      if (path == prefix) return true;
    }
    return false;
  }

  std::size_t limit_;
  ObjectDiff& out_;
};

}  // namespace

ObjectDiff diff_update(std::string_view review_body, std::size_t limit) {
  ObjectDiff result;
  thread_local simdjson::dom::parser parser;
  element root;
  element before, after;
  if (parser.parse(review_body.data(), review_body.size()).get(root) ||
      root["request"]["oldObject"].get(before) || root["request"]["object"].get(after)) {
    result.failed = true;
    return result;
  }
  Differ(limit, result).diff(before, after, "");
  return result;
}

}  // namespace releasegate::admission
