// The rules compiler: one rules file's text in, a rule set or located errors out.
#include <cstdlib>
#include <string>

#include "policy/compiler.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  policy::LoadResult loaded = policy::compile_rules({{"fuzz.yaml", std::string(fuzz::as_text(data, size))}});
  if (!loaded.rules && loaded.errors.empty()) std::abort();  // refused without saying why
  if (loaded.rules && !loaded.errors.empty()) std::abort();
  for (const policy::LoadError& error : loaded.errors) {
    if (error.message.empty() || error.line < 0 || error.column < 0) std::abort();
  }
  return 0;
}
