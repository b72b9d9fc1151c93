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

namespace {

// An AdmissionReview's text up to its request's first object: the objects
// are then written into the text as they are, never copied into a tree.
std::string review_head(const GroupVersionKind& kind, const ObjectReviewSpec& spec, const std::string& namespace_,
                        const std::string& name) {
  json request{{"uid", "releasegate-object"},
               {"kind", {{"group", kind.group}, {"version", kind.version}, {"kind", kind.kind}}},
               {"operation", spec.operation},
               {"namespace", namespace_},
               {"name", name},
               {"userInfo", {{"username", spec.user}, {"groups", spec.groups}}}};
  std::string head = request.dump();
  head.pop_back();  // its closing brace: the objects follow
  return R"({"apiVersion":")" + std::string(kAdmissionApiVersion) + R"(","kind":"AdmissionReview","request":)" + head;
}

}  // namespace

ReviewParseResult review_of_object(const json& object, const ObjectReviewSpec& spec) {
  std::string api_version = string_field(object, "apiVersion");
  std::string kind = string_field(object, "kind");
  if (kind.empty() || api_version.empty()) return {std::nullopt, "an object needs apiVersion and kind"};
  auto slash = api_version.find('/');
  GroupVersionKind gvk{slash == std::string::npos ? "" : api_version.substr(0, slash),
                       slash == std::string::npos ? api_version : api_version.substr(slash + 1), kind};
  bool deleting = spec.operation == "DELETE";
  std::string body;
  try {
    body = review_head(gvk, spec, metadata_field(object, "namespace"), metadata_field(object, "name"));
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

ReviewParseResult review_of_listed_object(const GroupVersionKind& kind, std::string_view object_text) {
  // One head per kind would do, but it is a tenth of a microsecond beside
  // the parse of a 10 KB object.
  std::string body = review_head(kind, {}, "", "");
  body.reserve(body.size() + object_text.size() + 32);
  body += R"(,"object":)";
  body += object_text;
  body += R"(,"oldObject":null}})";
  ReviewParseResult parsed = parse_admission_review(body, Diff::Skip);
  if (parsed.review && parsed.review->request.object) {
    parsed.review->request.namespace_ = parsed.review->request.object->namespace_;
    parsed.review->request.name = parsed.review->request.object->name;
  } else if (parsed.review) {
    return {std::nullopt, "the listed item is not an object"};
  }
  return parsed;
}

}  // namespace releasegate::admission
