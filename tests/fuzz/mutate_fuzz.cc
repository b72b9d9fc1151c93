// /mutate end to end: an AdmissionReview body parsed and answered with the
// digest-pinning patch (or none).
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "admission/admission_handler.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static admission::AdmissionHandler handler(fuzz::example_store(), {.cache_size = 0, .rules_edits = {}});
  admission::HandledReview handled = handler.handle(admission::Endpoint::Mutate, fuzz::as_text(data, size));
  if (!nlohmann::json::accept(handled.body)) std::abort();
  return 0;
}
