#include "kube/decode.h"

namespace releasegate::kube {

nlohmann::json decode_object(std::string_view text, int object_depth) {
  using Event = nlohmann::json::parse_event_t;
  // Which member of the object is being read: managedFields is dropped
  // only directly under the object's own `metadata`.
  bool in_metadata = false;
  auto keep = [&](int depth, Event event, nlohmann::json& parsed) {
    if (event != Event::key) return true;
    if (depth == object_depth + 1) in_metadata = parsed == "metadata";
    return !(depth == object_depth + 2 && in_metadata && parsed == "managedFields");
  };
  return nlohmann::json::parse(text, keep, false);
}

}  // namespace releasegate::kube
