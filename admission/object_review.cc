#include "admission/object_review.h"

namespace releasegate::admission {
namespace {

using nlohmann::json;

std::string string_field(const json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string metadata_field(const json& object, const char* field) {
  auto metadata = object.find("metadata");
  return metadata != object.end() && metadata->is_object() ? string_field(*metadata, field) : std::string();
}

}  // namespace

ReviewParseResult review_of_object(const json& object, const ObjectReviewSpec& spec) {
  std::string api_version = string_field(object, "apiVersion");
  std::string kind = string_field(object, "kind");
  if (kind.empty() || api_version.empty()) return {std::nullopt, "an object needs apiVersion and kind"};
  auto slash = api_version.find('/');
  json gvk{{"group", slash == std::string::npos ? "" : api_version.substr(0, slash)},
           {"version", slash == std::string::npos ? api_version : api_version.substr(slash + 1)},
           {"kind", kind}};
  bool deleting = spec.operation == "DELETE";
  json request{{"uid", "releasegate-object"},
               {"kind", gvk},
               {"operation", spec.operation},
               {"namespace", metadata_field(object, "namespace")},
               {"name", metadata_field(object, "name")},
               {"userInfo", {{"username", spec.user}, {"groups", spec.groups}}},
               {"object", deleting ? json(nullptr) : object},
               {"oldObject", deleting ? object : spec.old_object ? *spec.old_object : json(nullptr)}};
  std::string body;
  try {
    body = json{{"apiVersion", kAdmissionApiVersion}, {"kind", "AdmissionReview"}, {"request", std::move(request)}}.dump();
  } catch (const json::type_error&) {
    return {std::nullopt, "the object is not valid UTF-8 (the apiserver accepts only UTF-8 JSON)"};
  }
  return parse_admission_review(body);
}

}  // namespace releasegate::admission
