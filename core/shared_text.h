// Immutable text shared by whoever holds a copy: a rules ConfigMap's key
// is held once, however many copies of the ConfigMap are made (the one the
// watch delivered, the content in force, a compile's candidates). Copies
// share the string; comparing two copies of one text compares a pointer.
// A TextPool hands out one copy per distinct text (the namespaces and
// environments of 100,000 observed objects are a handful of texts).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace releasegate {

class SharedText {
 public:
  SharedText() : text_(empty()) {}
  SharedText(std::string text) : text_(std::make_shared<const std::string>(std::move(text))) {}  // NOLINT: implicit
  SharedText(const char* text) : SharedText(std::string(text)) {}                                   // NOLINT: implicit

  const std::string& str() const { return *text_; }
  operator const std::string&() const { return *text_; }  // NOLINT: implicit, reads as the text
  operator std::string_view() const { return *text_; }     // NOLINT

  bool operator==(const SharedText& other) const { return text_ == other.text_ || *text_ == *other.text_; }
  // No other copy exists (a pool's own copy, nobody else's).
  bool unshared() const { return text_.use_count() == 1; }

 private:
  static const std::shared_ptr<const std::string>& empty() {
    static const auto none = std::make_shared<const std::string>();
    return none;
  }
  std::shared_ptr<const std::string> text_;
};

// One SharedText per distinct text. Texts that only the pool still holds
// are forgotten as it grows (namespaces come and go). Not thread-safe: its
// owner serializes.
class TextPool {
 public:
  SharedText intern(std::string_view text) {
    std::string key(text);
    if (auto it = texts_.find(key); it != texts_.end()) return it->second;
    if (texts_.size() >= forget_above_) forget_unshared();
    SharedText shared(key);
    texts_.emplace(std::move(key), shared);
    return shared;
  }
  std::size_t size() const { return texts_.size(); }

 private:
  void forget_unshared() {
    std::erase_if(texts_, [](const auto& entry) { return entry.second.unshared(); });
    forget_above_ = 2 * texts_.size() + 64;
  }
  std::unordered_map<std::string, SharedText> texts_;
  std::size_t forget_above_ = 64;
};

}  // namespace releasegate
