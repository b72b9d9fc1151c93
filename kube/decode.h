// Objects as the client decodes them from lists and watch events: without
// `metadata.managedFields`, dropped while parsing (client-go's informers
// offer the same as a transform, cache.TransformFunc, and
// controller-runtime's docs suggest exactly this one). No consumer reads
// it, and it is often half of a Deployment's text: every field manager's
// set of fields. Objects read one by one (Client::get) stay whole.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace releasegate::kube {

// `text` parsed as JSON; the object at `object_depth` (0: the text itself;
// 1: a member of it, as a watch event's `object`) loses
// metadata.managedFields. Discarded (is_discarded()) when not JSON.
nlohmann::json decode_object(std::string_view text, int object_depth);

}  // namespace releasegate::kube
