// What the audit reads of a listed object besides what the rules read
// (admission's ObjectView): its uid, its controller, and what a Pod runs.
// Read from the item's text in one On-Demand pass, beside the webhook
// parser's own: no tree of the object is ever built.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace releasegate::audit {

struct ListedObject {
  std::string uid;
  // "Kind/uid" of the ownerReference with controller: true; "" when none.
  std::string controller;
  std::string phase;  // a Pod's status.phase
  // A Pod's status.containerStatuses: (image, imageID), the image as the
  // runtime resolved it and the digest the kubelet pulled.
  std::vector<std::pair<std::string, std::string>> container_statuses;
};

// nullopt when `text` is not a JSON object or its structure is broken;
// fields of the wrong type read as absent. Values it does not read are
// skipped, not validated (as by the webhook's parser).
std::optional<ListedObject> read_listed_object(std::string_view text);

}  // namespace releasegate::audit
