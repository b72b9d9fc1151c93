// /validate end to end: an AdmissionReview body parsed, decided against the
// example rules and rendered, as the listener hands it to the handler.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "admission/admission_handler.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Caching off: every input is decided, never answered from an earlier one.
  static admission::AdmissionHandler handler(fuzz::example_store(), {.cache_size = 0, .rules_edits = {}});
  admission::HandledReview handled = handler.handle(admission::Endpoint::Validate, fuzz::as_text(data, size));
  // Whatever came in, what goes out is JSON the apiserver can read.
  if (!nlohmann::json::accept(handled.body)) std::abort();
  if (handled.http_status == 200 && !handled.decision) std::abort();
  return 0;
}
