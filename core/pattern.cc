#include "core/pattern.h"

#include <re2/re2.h>

#include <algorithm>

namespace releasegate {

Pattern::Compiled Pattern::compile(std::string_view text) {
  Pattern p;
  p.text_ = std::string(text);
  constexpr std::string_view kRegexPrefix = "regex:";
  if (text.substr(0, kRegexPrefix.size()) == kRegexPrefix) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(std::string(text.substr(kRegexPrefix.size())), options);
    if (!re->ok()) return {{}, "invalid regex: " + re->error()};
    if (re->ProgramSize() > kMaxRegexProgramSize) {
      return {{}, "regex too complex (program size " + std::to_string(re->ProgramSize()) + ", limit " +
                      std::to_string(kMaxRegexProgramSize) + ")"};
    }
    p.regex_ = std::move(re);
    p.exact_ = false;
    return {std::move(p), {}};
  }
  if (text.empty()) return {{}, "empty pattern"};
  std::size_t start = 0;
  for (;;) {
    auto star = text.find('*', start);
    p.pieces_.emplace_back(text.substr(start, star == std::string_view::npos ? std::string_view::npos : star - start));
    if (star == std::string_view::npos) break;
    p.exact_ = false;
    start = star + 1;
  }
  return {std::move(p), {}};
}

bool Pattern::matches(std::string_view value) const {
  if (regex_) return RE2::FullMatch(value, *regex_);
  if (exact_) return value == pieces_.front();
  // Glob: the first piece is a prefix, the last a suffix, the middle ones
  // are found left to right (greedy-free, linear in the value).
  const std::string& first = pieces_.front();
  const std::string& last = pieces_.back();
  if (value.size() < first.size() + last.size()) return false;
  if (value.substr(0, first.size()) != first) return false;
  if (value.substr(value.size() - last.size()) != last) return false;
  std::size_t pos = first.size();
  std::size_t end = value.size() - last.size();
  for (std::size_t i = 1; i + 1 < pieces_.size(); ++i) {
    auto found = value.substr(0, end).find(pieces_[i], pos);
    if (found == std::string_view::npos) return false;
    pos = found + pieces_[i].size();
  }
  return true;
}

// A glob matching the other pattern's text, its `*` taken as characters,
// matches every value the other matches: its literal pieces never match a
// `*`, so they matched the other's literal text, and its own `*` spans
// absorb whatever the other's `*` stand for.
bool Pattern::covers(const Pattern& other) const {
  if (regex_ || other.regex_) return text_ == other.text_;
  return matches(other.text_);
}

bool Pattern::may_overlap(const Pattern& other) const {
  if (regex_ || other.regex_) return true;
  if (exact_) return other.matches(pieces_.front());
  if (other.exact_) return matches(other.pieces_.front());
  auto compatible = [](std::string_view a, std::string_view b, bool prefix) {
    std::size_t n = std::min(a.size(), b.size());
    return prefix ? a.substr(0, n) == b.substr(0, n) : a.substr(a.size() - n) == b.substr(b.size() - n);
  };
  return compatible(pieces_.front(), other.pieces_.front(), true) &&
         compatible(pieces_.back(), other.pieces_.back(), false);
}

std::optional<std::pair<const Pattern*, const Pattern*>> PatternList::overlap(const PatternList& other) const {
  for (const Pattern& a : patterns_) {
    for (const Pattern& b : other.patterns_) {
      if (a.may_overlap(b)) return std::make_pair(&a, &b);
    }
  }
  return std::nullopt;
}

bool PatternList::matches(std::string_view value) const {
  for (const Pattern& p : patterns_) {
    if (p.matches(value)) return true;
  }
  return false;
}

std::string PatternList::describe() const {
  std::string out;
  for (const Pattern& p : patterns_) {
    if (!out.empty()) out += ", ";
    out += p.text();
  }
  return out;
}

}  // namespace releasegate
