// Parsing an AdmissionReview (admission.k8s.io/v1) once, with simdjson, into
// the typed request the rule engine evaluates. Nothing downstream sees JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/request.h"

namespace releasegate::admission {

inline constexpr std::string_view kAdmissionApiVersion = "admission.k8s.io/v1";

struct AdmissionReview {
  std::string uid;
  AdmissionRequest request;
};

struct ReviewParseResult {
  std::optional<AdmissionReview> review;
  std::string error;  // a client error (HTTP 400) when review is empty
};

// Whether an UPDATE's changed paths (AdmissionRequest::changed_paths) are
// computed: /validate needs them for the allowed-drift rule, /mutate never
// reads them.
enum class Diff { Compute, Skip };

ReviewParseResult parse_admission_review(std::string_view body, Diff diff = Diff::Compute);

}  // namespace releasegate::admission
