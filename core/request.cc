#include "core/request.h"

#include <algorithm>

#include "core/marks.h"

namespace releasegate {

std::string_view to_string(Operation op) {
  switch (op) {
    case Operation::Create: return "CREATE";
    case Operation::Update: return "UPDATE";
    case Operation::Delete: return "DELETE";
    case Operation::Connect: return "CONNECT";
  }
  return "UNKNOWN";
}

std::string_view to_string(ContainerList list) {
  switch (list) {
    case ContainerList::Containers: return "containers";
    case ContainerList::InitContainers: return "initContainers";
    case ContainerList::EphemeralContainers: return "ephemeralContainers";
    case ContainerList::ImageVolumes: return "volumes";
  }
  return "containers";
}

std::string ContainerImage::where() const {
  if (list == ContainerList::ImageVolumes) return "volume \"" + container + "\"";
  return "container \"" + container + "\" (" + std::string(to_string(list)) + ")";
}

std::string ContainerImage::field() const {
  // List names and indexes need no JSON-pointer escaping ('~', '/').
  std::string pointer = std::string(to_string(list)) + "/" + std::to_string(index) + "/image";
  return list == ContainerList::ImageVolumes ? pointer + "/reference" : pointer;
}

std::optional<std::string_view> StringMap::find(std::string_view key) const {
  // The last entry wins when a key is written twice, as in the apiserver's
  // decoder and in the rest of the parse.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return std::nullopt;
}

bool image_unchanged(const AdmissionRequest& request, const ContainerImage& image) {
  if (request.operation != Operation::Update || !request.old_object) return false;
  const std::vector<ContainerImage>& before = request.old_object->images;
  return std::any_of(before.begin(), before.end(), [&](const ContainerImage& old) {
    return old.list == image.list && old.container == image.container && old.image == image.image;
  });
}

std::string describe(const AdmissionRequest& request) {
  std::string out = request.kind.kind + " ";
  if (!request.namespace_.empty()) out += request.namespace_ + "/";
  return out + (request.name.empty() ? "(unnamed)" : request.name);
}

bool is_metadata_key_read_by_rules(std::string_view key) {
  for (std::string_view k : marks::kKeys) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace releasegate

