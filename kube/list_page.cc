#include "kube/list_page.h"

#include <simdjson.h>

#include <optional>
#include <vector>

namespace releasegate::kube {
namespace {

using simdjson::error_code;
using simdjson::SUCCESS;
namespace od = simdjson::ondemand;

error_code read_metadata(od::value field, ListPage& page) {
  od::object metadata;
  if (error_code e = field.get_object().get(metadata)) return e;
  for (auto member : metadata) {
    std::string_view key, text;
    if (error_code e = member.unescaped_key().get(key)) return e;
    od::value value;
    if (error_code e = member.value().get(value)) return e;
    if (key != "resourceVersion" && key != "continue") continue;
    // Anything but a string reads as absent; the last of a repeated key wins.
    if (value.get_string().get(text) != SUCCESS) text = {};
    (key == "continue" ? page.continue_token : page.resource_version) = std::string(text);
  }
  return SUCCESS;
}

// The items' texts (views into the page). A second `items` replaces the
// first, as a JSON object's last member wins.
error_code read_items(od::value field, std::optional<std::vector<std::string_view>>& items) {
  items.emplace();
  bool null = false;  // simdjson 3.0's is_null() is a result: converting it throws on an error
  if (error_code e = field.is_null().get(null)) return e;
  if (null) return SUCCESS;
  od::array array;
  if (error_code e = field.get_array().get(array)) return e;
  for (auto element : array) {
    od::object item;
    if (error_code e = element.get_object().get(item)) return e;
    std::string_view text;
    if (error_code e = item.raw_json().get(text)) return e;
    items->push_back(text);
  }
  return SUCCESS;
}

}  // namespace

ListPage read_list_page(std::string& body, const std::function<void(std::string_view item)>& on_item) {
  ListPage page;
  static_assert(kListPagePadding >= simdjson::SIMDJSON_PADDING);
  body.reserve(body.size() + kListPagePadding);
  simdjson::padded_string_view padded(body.data(), body.size(), body.capacity());
  od::parser parser;
  od::document document;
  od::object list;
  if (parser.iterate(padded).get(document) != SUCCESS || document.get_object().get(list) != SUCCESS) return page;
  std::optional<std::vector<std::string_view>> items;
  ListPage read;
  for (auto member : list) {
    std::string_view key;
    od::value value;
    if (member.unescaped_key().get(key) != SUCCESS || member.value().get(value) != SUCCESS) return page;
    error_code e = SUCCESS;
    if (key == "metadata") {
      read.resource_version.clear();
      read.continue_token.clear();
      e = read_metadata(value, read);
      if (e == simdjson::INCORRECT_TYPE) e = SUCCESS;  // metadata that is not an object: none
    }
    if (key == "items") {
      e = read_items(value, items);
      // Not a list of objects: no items, unless a later `items` is one.
      if (e == simdjson::INCORRECT_TYPE) items.reset(), e = SUCCESS;
    }
    if (e != SUCCESS) return page;
  }
  // Past the last structural character: nothing follows the list (simdjson
  // 3.0 has no document::at_end; current_location() is out of bounds there).
  if (!items || document.current_location().error() != simdjson::OUT_OF_BOUNDS) return page;
  for (std::string_view item : *items) on_item(item);
  read.ok = true;
  return read;
}

ItemIdentity read_item_identity(std::string_view item) {
  // The item is a view into a page: copied where simdjson's padding fits.
  thread_local std::string padded;
  padded.assign(item);
  padded.reserve(item.size() + simdjson::SIMDJSON_PADDING);
  thread_local od::parser parser;
  od::document document;
  od::object object;
  ItemIdentity identity;
  if (parser.iterate(padded.data(), padded.size(), padded.capacity()).get(document) != SUCCESS ||
      document.get_object().get(object) != SUCCESS) {
    return identity;
  }
  od::value metadata_value;
  od::object metadata;
  if (object.find_field_unordered("metadata").get(metadata_value) != SUCCESS ||
      metadata_value.get_object().get(metadata) != SUCCESS) {
    return identity;
  }
  bool name = false, version = false;
  for (auto member : metadata) {
    std::string_view key, text;
    od::value value;
    if (member.unescaped_key().get(key) != SUCCESS || member.value().get(value) != SUCCESS) return {};
    std::string* into = key == "name" ? &identity.name
                        : key == "namespace" ? &identity.namespace_
                        : key == "resourceVersion" ? &identity.resource_version
                                                   : nullptr;
    if (into == nullptr) continue;
    if (value.get_string().get(text) != SUCCESS) return {};
    *into = std::string(text);
    name |= key == "name";
    version |= key == "resourceVersion";
  }
  identity.ok = name && version;
  return identity;
}

}  // namespace releasegate::kube
