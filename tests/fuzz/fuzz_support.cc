#include "tests/fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>

#include "policy/compiler.h"

namespace releasegate::fuzz {

const runtime::RuleStore& example_store() {
  static const runtime::RuleStore* store = [] {
    policy::LoadResult loaded = policy::load_rules({RELEASEGATE_SOURCE_DIR "/deploy/examples/rules"});
    if (!loaded.rules) {
      std::fprintf(stderr, "fuzz: the example rules do not compile: %s\n",
                   loaded.errors.empty() ? "?" : loaded.errors.front().to_string().c_str());
      std::abort();
    }
    auto* s = new runtime::RuleStore();  // lives as long as the process, as in the server
    s->publish(loaded);
    return s;
  }();
  return *store;
}

}  // namespace releasegate::fuzz
