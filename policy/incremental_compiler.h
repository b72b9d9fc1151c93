// Compiling rule sets generation after generation (the reloader's, and
// later the API watch's): a source whose content is unchanged keeps its
// fragment, so a change to one source of hundreds compiles that source
// alone and re-links. The result is identical to compile_rules over the
// same sources (tests/policy/incremental_compiler_test.cc compares them
// after many random edits).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "policy/compiler.h"
#include "policy/linker.h"

namespace releasegate::policy {

class IncrementalCompiler {
 public:
  using Digest = std::array<unsigned char, 32>;  // SHA-256 of a source's content

  // Compiles `sources` (identified by RuleSource::file), reusing the
  // fragments of those unchanged since the last call. Sources named in
  // `unchanged` are known unchanged without their content (which may be
  // empty), when the last call had them.
  LoadResult compile(const std::vector<RuleSource>& sources, const LoadOptions& options,
                     const std::unordered_set<std::string>* unchanged = nullptr);

  // Sources compiled by the last call (the others were reused).
  std::size_t last_compiled() const { return last_compiled_; }
  // Whether the last call's sources differ from the call's before (in
  // content, names or order); true for the first call.
  bool changed() const { return changed_; }

 private:
  struct Compiled {
    std::optional<Digest> digest;  // none when it could not be computed
    std::shared_ptr<const Fragment> fragment;
  };
  std::unordered_map<std::string, Compiled> by_source_;
  LinkCache cache_;
  std::vector<std::string> names_;  // of the last call's sources, in order
  std::size_t last_compiled_ = 0;
  bool changed_ = true;
};

}  // namespace releasegate::policy
