// Name patterns as written in rules: an exact string, a glob where `*`
// matches any run of characters (including '/'), or `regex:<RE2>` matched
// against the whole value. Compiled once at load time; matching never
// allocates and is safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace re2 {
class RE2;
}

namespace releasegate {

class Pattern {
 public:
  struct Compiled;  // the result of compile(): a pattern or an error

  // Largest RE2 program accepted: keeps a rules edit from making every
  // admission slow or memory-hungry.
  static constexpr int kMaxRegexProgramSize = 2000;

  static Compiled compile(std::string_view text);

  bool matches(std::string_view value) const;
  const std::string& text() const { return text_; }
  // Whether every value `other` matches, this matches too. Exact for exact
  // strings and globs; a regex covers, or is covered by, only itself.
  bool covers(const Pattern& other) const;
  // Whether some value may match both: false only when none can (exact
  // strings that differ, globs whose literal prefixes or suffixes
  // disagree); a regex may overlap anything.
  bool may_overlap(const Pattern& other) const;

 private:
  Pattern() = default;
  std::string text_;
  std::vector<std::string> pieces_;  // glob split at '*'
  bool exact_ = true;
  std::shared_ptr<const re2::RE2> regex_;
};

struct Pattern::Compiled {
  std::optional<Pattern> pattern;  // set on success
  std::string error;
};

// An ordered list of patterns; matches when any does.
class PatternList {
 public:
  void add(Pattern pattern) { patterns_.push_back(std::move(pattern)); }
  bool matches(std::string_view value) const;
  bool empty() const { return patterns_.empty(); }
  const std::vector<Pattern>& patterns() const { return patterns_; }
  // "a, b, c" for messages.
  std::string describe() const;
  // The first pattern of each list that may match a value the other's
  // does (see Pattern::may_overlap); null when none.
  std::optional<std::pair<const Pattern*, const Pattern*>> overlap(const PatternList& other) const;

 private:
  std::vector<Pattern> patterns_;
};

}  // namespace releasegate
