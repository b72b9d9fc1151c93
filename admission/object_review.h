// The AdmissionReview the apiserver would send about an object: `check`
// (a manifest from a pull request) and the background audit (an object
// listed from the cluster) build one and parse it with the webhook's own
// parser, so that they decide exactly what the webhook would.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "admission/admission_review.h"

namespace releasegate::admission {

struct ObjectReviewSpec {
  std::string operation = "CREATE";  // CREATE, UPDATE or DELETE
  std::string user;                  // empty: no requester (an object at rest)
  std::vector<std::string> groups;
  const nlohmann::json* old_object = nullptr;  // UPDATE: the object before
};

// A string field of a JSON object, and one of its metadata; "" when absent
// or not a string.
std::string string_field(const nlohmann::json& object, const char* field);
std::string metadata_field(const nlohmann::json& object, const char* field);

// `object` needs apiVersion and kind. For a DELETE it is the object being
// deleted. The error says what is wrong with the object, without where.
ReviewParseResult review_of_object(const nlohmann::json& object, const ObjectReviewSpec& spec);

// The review of a CREATE of `object_text` (JSON as the API lists it: the
// kind and apiVersion may be missing, `kind` says them) by no requester:
// an object at rest, as the audit judges it. The request's namespace and
// name are the object's.
ReviewParseResult review_of_listed_object(const GroupVersionKind& kind, std::string_view object_text);

}  // namespace releasegate::admission
