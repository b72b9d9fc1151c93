// Parsing an AdmissionReview (admission.k8s.io/v1) once, with simdjson, into
// the typed request the rule engine evaluates. Nothing downstream sees JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/request.h"

namespace simdjson::dom {
class element;
}

namespace releasegate::webhook {

inline constexpr std::string_view kAdmissionApiVersion = "admission.k8s.io/v1";

struct AdmissionReview {
  std::string uid;
  rules::AdmissionRequest request;
};

struct ReviewParseResult {
  std::optional<AdmissionReview> review;
  std::string error;  // a client error (HTTP 400) when review is empty
};

ReviewParseResult parse_admission_review(std::string_view body);

// Reads what the rules need of one Kubernetes object (metadata, and the pod
// spec's container images for the kind given). Shared by the webhook and by
// `releasegate check`, so both see an object the same way.
rules::ObjectView parse_object(const simdjson::dom::element& object, const rules::GroupVersionKind& kind);

}  // namespace releasegate::webhook
