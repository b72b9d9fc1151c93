#include "audit/listed_object.h"

#include "admission/ondemand.h"

namespace releasegate::audit {
namespace {

using namespace admission::ondemand;

error_code read_controller(value references, std::string& controller) {
  array list;
  if (references.get_array().get(list) != SUCCESS) return SUCCESS;
  for (auto element : list) {
    object reference;
    if (element.get_object().get(reference) != SUCCESS) continue;
    std::string kind, uid;
    bool is_controller = false;
    error_code e = for_each_field(reference, [&](std::string_view key, value v) -> error_code {
      if (key == "kind") kind = string_of(v);
      if (key == "uid") uid = string_of(v);
      if (key == "controller") {
        bool b = false;
        if (v.get_bool().get(b) == SUCCESS) is_controller = b;
      }
      return SUCCESS;
    });
    if (e) return e;
    // The first controller reference, as the audit always took.
    if (is_controller) {
      controller = kind + "/" + uid;
      return SUCCESS;
    }
  }
  return SUCCESS;
}

error_code read_metadata(value field, ListedObject& out) {
  object metadata;
  if (field.get_object().get(metadata) != SUCCESS) return SUCCESS;
  return for_each_field(metadata, [&](std::string_view key, value v) -> error_code {
    if (key == "uid") out.uid = string_of(v);
    if (key == "ownerReferences" && out.controller.empty()) return read_controller(v, out.controller);
    return SUCCESS;
  });
}

error_code read_status(value field, ListedObject& out) {
  object status;
  if (field.get_object().get(status) != SUCCESS) return SUCCESS;
  return for_each_field(status, [&](std::string_view key, value v) -> error_code {
    if (key == "phase") out.phase = string_of(v);
    if (key != "containerStatuses") return SUCCESS;
    array statuses;
    if (v.get_array().get(statuses) != SUCCESS) return SUCCESS;
    for (auto element : statuses) {
      object container;
      if (element.get_object().get(container) != SUCCESS) continue;
      std::pair<std::string, std::string> image;
      if (error_code e = for_each_field(container, [&](std::string_view k, value c) -> error_code {
            if (k == "image") image.first = string_of(c);
            if (k == "imageID") image.second = string_of(c);
            return SUCCESS;
          })) {
        return e;
      }
      out.container_statuses.push_back(std::move(image));
    }
    return SUCCESS;
  });
}

}  // namespace

std::optional<ListedObject> read_listed_object(std::string_view text) {
  simdjson::padded_string padded(text);
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != SUCCESS) return std::nullopt;
  object root;
  if (doc.get_object().get(root) != SUCCESS) return std::nullopt;
  ListedObject out;
  error_code e = for_each_field(root, [&](std::string_view key, value field) -> error_code {
    if (key == "metadata") return read_metadata(field, out);
    if (key == "status") return read_status(field, out);
    return SUCCESS;
  });
  if (e || !doc.is_alive()) return std::nullopt;
  return out;
}

}  // namespace releasegate::audit
