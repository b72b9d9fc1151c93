// Immutable text shared by whoever holds a copy: a rules ConfigMap's key
// is held once, however many copies of the ConfigMap are made (the one the
// watch delivered, the content in force, a compile's candidates). Copies
// share the string; comparing two copies of one text compares a pointer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
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

 private:
  static const std::shared_ptr<const std::string>& empty() {
    static const auto none = std::make_shared<const std::string>();
    return none;
  }
  std::shared_ptr<const std::string> text_;
};

}  // namespace releasegate
