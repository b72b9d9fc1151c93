// Image references as containers, volumes and rules write them.
#include <cstdlib>
#include <string>

#include "core/image_reference.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  ImageParseResult parsed = parse_image_reference(text);
  if (parsed.reference) {
    // The normalized form is itself a reference, and normalizing is idempotent.
    std::string normalized = parsed.reference->normalized();
    ImageParseResult again = parse_image_reference(normalized);
    if (!again.reference || again.reference->normalized() != normalized) std::abort();
  } else if (parsed.error.empty()) {
    std::abort();  // a refusal always says why
  }
  parse_repository(text);
  return 0;
}
