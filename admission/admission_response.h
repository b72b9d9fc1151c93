// Rendering AdmissionReview responses (admission.k8s.io/v1) and the
// Kubernetes Status bodies of HTTP errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/decision.h"
#include "engine/digest_pins.h"
#include "admission/admission_review.h"
#include "admission/verdict.h"

namespace releasegate::admission {

// At most this many warnings, each at most this long: the apiserver passes
// them to kubectl, which prints every one.
inline constexpr std::size_t kMaxWarnings = 8;
inline constexpr std::size_t kMaxWarningLength = 256;

// The validating response: allowed or denied (status 403 with a message
// naming each enforced violation), warnings for warn-mode violations, and
// audit annotations for every governed request. Never carries a patch.
std::string render_validation(const AdmissionReview& review, const Decision& decision, Outcome outcome);

// The mutating response: always allowed; a base64 RFC 6902 JSON Patch when
// there is something to pin, no patch at all otherwise.
std::string render_mutation(const AdmissionReview& review, const std::vector<engine::ImagePin>& pins);

// The JSON Patch for the pins (exposed for tests).
std::string json_patch(const std::vector<engine::ImagePin>& pins);

// A Kubernetes Status object for an HTTP error (400, 404, 405, 411, 413, 503).
std::string render_status(int code, std::string_view reason, std::string_view message);

// The denial message users see in kubectl.
std::string denial_message(const AdmissionReview& review, const Decision& decision);

}  // namespace releasegate::admission
