// The manifest reader of `releasegate check`: YAML text in, objects (as the
// JSON the AdmissionReview will carry) or a located error out.
#include <cstdlib>

#include "cli/manifest.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cli::ManifestReadResult read = cli::parse_manifests("fuzz.yaml", fuzz::as_text(data, size));
  if (!read.error.empty() && !read.manifests.empty()) std::abort();
  for (const cli::Manifest& manifest : read.manifests) {
    if (!manifest.object.is_object() || manifest.line < 1) std::abort();
    manifest.object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
