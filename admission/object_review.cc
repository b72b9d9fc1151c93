#include "admission/object_review.h"

namespace releasegate::admission {
using nlohmann::json;

std::string string_field(const json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string metadata_field(const json& object, const char* field) {
  auto metadata = object.find("metadata");
  return metadata != object.end() && metadata->is_object() ? string_field(*metadata, field) : std::string();
}

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
               {"kind", std::move(gvk)},
               {"operation", spec.operation},
               {"namespace", metadata_field(object, "namespace")},
               {"name", metadata_field(object, "name")},
               {"userInfo", {{"username", spec.user}, {"groups", spec.groups}}}};
  // The objects are written into the text as they are, not copied into a
  // tree first: the audit builds one review per object in the cluster.
  std::string body;
  try {
    std::string head = request.dump();
    head.pop_back();  // its closing brace: the objects follow
    body = R"({"apiVersion":")" + std::string(kAdmissionApiVersion) + R"(","kind":"AdmissionReview","request":)";
    body += head;
    body += R"(,"object":)";
    body += deleting ? "null" : object.dump();
    body += R"(,"oldObject":)";
    body += deleting ? object.dump() : spec.old_object ? spec.old_object->dump() : "null";
    body += "}}";
  } catch (const json::type_error&) {
    return {std::nullopt, "the object is not valid UTF-8 (the apiserver accepts only UTF-8 JSON)"};
  }
  return parse_admission_review(body);
}

}  // namespace releasegate::admission
