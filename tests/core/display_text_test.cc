#include "core/display_text.h"

#include <gtest/gtest.h>

namespace releasegate {
namespace {

TEST(DisplayText, OrdinaryTextIsUnchanged) {
  EXPECT_EQ(displayable("ghcr.io/acme/app:1.2 — déjà vu", 100), "ghcr.io/acme/app:1.2 — déjà vu");
  EXPECT_EQ(displayable("", 10), "");
  EXPECT_EQ(displayable("exactly10!", 10), "exactly10!");
}

// No forged lines in a denial, a terminal or a log: a newline in an image
// name must not start what looks like another violation.
TEST(DisplayText, ControlCharactersAreEscaped) {
  EXPECT_EQ(displayable("a\nb\tc\rd", 100), "a\\nb\\tc\\rd");
  EXPECT_EQ(displayable("bell\x07 esc\x1b[31m del\x7f", 100), "bell\\x07 esc\\x1B[31m del\\x7F");
  EXPECT_EQ(displayable("c1\xc2\x85", 100), "c1\\u{0085}");
  EXPECT_EQ(displayable("ls\xe2\x80\xa8ps\xe2\x80\xa9", 100), "ls\\u{2028}ps\\u{2029}");
  EXPECT_EQ(displayable("rtl\xe2\x80\xae" "evil", 100), "rtl\\u{202E}evil");
}

TEST(DisplayText, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(displayable("a\x8f" "b", 100), "a\\x8Fb");
  EXPECT_EQ(displayable("\xc0\xaf", 100), "\\xC0\\xAF");          // overlong '/'
  EXPECT_EQ(displayable("\xed\xa0\x80", 100), "\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(displayable("cut\xe2\x82", 100), "cut\\xE2\\x82");     // a sequence cut short
}

TEST(DisplayText, LongTextIsCutAtACharacterBoundaryWithAMark) {
  std::string cut = displayable(std::string(5000, 'x'), 64);
  EXPECT_EQ(cut.size(), 64u);
  EXPECT_EQ(cut, std::string(61, 'x') + "...");
  // A two-byte character is never split.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "é";
  std::string shown = displayable(accents, 10);
  EXPECT_EQ(shown, "ééé...");
  // An escape is never split either.
  EXPECT_EQ(displayable("ab\ncd\nef", 7), "ab\\n...");
  EXPECT_EQ(displayable("abcdef", 2), "..");
}

}  // namespace
}  // namespace releasegate
