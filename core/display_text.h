// Text from requests (names, images, annotations, break-glass reasons)
// shown to people: in denial messages, warnings, audit annotations, logs and
// `check` output. Control characters are escaped, so that an image name
// cannot forge a line of a denial or a terminal escape; and the text is cut
// to a bound at a UTF-8 boundary, so that a request cannot make a response
// (or the apiserver's audit log) grow without limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace releasegate {

// `text` with C0 and C1 controls, DEL, line and paragraph separators and
// bidirectional overrides escaped (\n, \t, \r, \xNN, \u{NNNN}), bytes that
// are not UTF-8 escaped as \xNN, and cut to at most `limit` bytes, ending
// in "..." when cut. Text without such characters and within the limit is
// returned unchanged.
std::string displayable(std::string_view text, std::size_t limit);

}  // namespace releasegate
