#include "core/display_text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace releasegate {
namespace {

constexpr std::string_view kCut = "...";

// The length of the UTF-8 sequence starting at text[i] and its code point;
// 0 when the bytes there are not valid UTF-8.
std::size_t decode(std::string_view text, std::size_t i, std::uint32_t& code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  unsigned char first = byte(0);
  std::size_t length = first < 0x80 ? 1 : (first >> 5) == 0x6 ? 2 : (first >> 4) == 0xE ? 3 : (first >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  code_point = length == 1 ? first : first & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(k) & 0x3F);
  }
  static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  bool overlong = code_point < kMinimum[length];
  bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  return overlong || surrogate || code_point > 0x10FFFF ? 0 : length;
}

bool needs_escape(std::uint32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||  // C0, DEL, C1
         c == 0x2028 || c == 0x2029 ||                          // line and paragraph separators
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);  // bidirectional overrides
}

// A byte: an ASCII control, or one that is not part of valid UTF-8.
std::string escape_byte(unsigned char byte) {
  if (byte == '\n') return "\\n";
  if (byte == '\t') return "\\t";
  if (byte == '\r') return "\\r";
  char out[8];
  std::snprintf(out, sizeof out, "\\x%02X", byte);
  return out;
}

std::string escape(std::uint32_t c) {
  if (c < 0x80) return escape_byte(static_cast<unsigned char>(c));
  char out[16];
  std::snprintf(out, sizeof out, "\\u{%04X}", static_cast<unsigned>(c));
  return out;
}

}  // namespace

std::string displayable(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit) + kCut.size());
  // Where to cut if the text turns out too long: the last piece boundary
  // that leaves room for the cut mark. Escaping stops just past the limit.
  std::size_t cut_at = 0;
  for (std::size_t i = 0; i < text.size() && out.size() <= limit;) {
    std::uint32_t c = 0;
    std::size_t length = decode(text, i, c);
    if (out.size() + kCut.size() <= limit) cut_at = out.size();
    if (length == 0) {
      out += escape_byte(static_cast<unsigned char>(text[i]));
      length = 1;
    } else if (needs_escape(c)) {
      out += escape(c);
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  if (out.size() <= limit) return out;
  if (limit < kCut.size()) return std::string(kCut.substr(0, limit));
  out.resize(cut_at);
  return out + std::string(kCut);
}

}  // namespace releasegate
