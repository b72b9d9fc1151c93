// The UPDATE diff: two JSON values (object and oldObject, split at the first
// NUL byte) placed in a Deployment UPDATE review and parsed, which walks both
// into trees and compares them.
#include <algorithm>
#include <cstdlib>
#include <string>

#include <simdjson.h>

#include "admission/admission_review.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  std::size_t split = std::min(input.find('\0'), input.size());
  std::string_view object = input.substr(0, split);
  std::string_view old_object = split < input.size() ? input.substr(split + 1) : object;
  // Each must be one JSON value: text such as `{}, "oldObject": {...` would
  // add fields of its own to the review around it.
  static simdjson::dom::parser parser;
  for (std::string_view value : {object, old_object}) {
    if (parser.parse(std::string(value)).error()) return 0;
  }
  std::string body =
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"fuzz",)"
      R"("kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"UPDATE",)"
      R"("namespace":"prod","name":"podinfo","userInfo":{"username":"fuzz"},"object":)";
  body.append(object).append(R"(,"oldObject":)").append(old_object).append("}}");
  admission::ReviewParseResult parsed = admission::parse_admission_review(body);
  if (!parsed.review) return 0;
  const AdmissionRequest& request = parsed.review->request;
  // An object compared with itself has no changes.
  if (object == old_object && request.changed_paths_complete && !request.changed_paths.empty()) std::abort();
  return 0;
}
