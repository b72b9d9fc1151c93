#include "kube/watch_stream.h"

#include <array>
#include <utility>

#include "kube/decode.h"

namespace releasegate::kube {
namespace {

struct TypeName {
  std::string_view name;
  WatchEventType type;
};
constexpr std::array<TypeName, 5> kTypes{{
    {"ADDED", WatchEventType::Added},
    {"MODIFIED", WatchEventType::Modified},
    {"DELETED", WatchEventType::Deleted},
    {"BOOKMARK", WatchEventType::Bookmark},
    {"ERROR", WatchEventType::Error},
}};

bool blank(std::string_view text) { return text.find_first_not_of(" \t\r") == std::string_view::npos; }

}  // namespace

std::optional<WatchEvent> parse_watch_event(std::string_view line, std::string* error) {
  nlohmann::json parsed = decode_object(line, 1);
  if (parsed.is_discarded() || !parsed.is_object()) {
    *error = "watch event is not a JSON object";
    return std::nullopt;
  }
  auto type = parsed.find("type");
  auto object = parsed.find("object");
  if (type == parsed.end() || !type->is_string()) {
    *error = "watch event has no type";
    return std::nullopt;
  }
  if (object == parsed.end() || !object->is_object()) {
    *error = "watch event has no object";
    return std::nullopt;
  }
  const std::string& name = type->get_ref<const std::string&>();
  for (const TypeName& known : kTypes) {
    if (known.name == name) return WatchEvent{known.type, std::move(*object)};
  }
  *error = "unknown watch event type " + name.substr(0, 40);
  return std::nullopt;
}

bool WatchStream::feed(std::string_view data, const OnEvent& on_event) {
  if (broken_) return false;
  while (!data.empty()) {
    std::size_t end = data.find('\n');
    if (end == std::string_view::npos) {
      if (pending_.size() + data.size() > kMaxLine) {
        error_ = "watch event longer than 16 MiB";
        broken_ = true;
        return false;
      }
      pending_.append(data);
      return true;
    }
    bool go_on;
    if (pending_.empty()) {
      go_on = line(data.substr(0, end), on_event);
    } else {
      pending_.append(data.substr(0, end));
      std::string text = std::exchange(pending_, {});
      go_on = line(text, on_event);
    }
    data.remove_prefix(end + 1);
    if (!go_on) {
      broken_ = true;
      return false;
    }
  }
  return true;
}

bool WatchStream::line(std::string_view text, const OnEvent& on_event) {
  if (text.size() > kMaxLine) {
    error_ = "watch event longer than 16 MiB";
    return false;
  }
  if (blank(text)) return true;  // a keep-alive newline carries no event
  std::optional<WatchEvent> event = parse_watch_event(text, &error_);
  if (!event) return false;
  return on_event(std::move(*event));
}

}  // namespace releasegate::kube
