// The watch body splitter and event parser: the input is a watch body,
// fed once whole and once in pieces whose sizes the input's own bytes
// choose, as chunks and TLS records would cut it.
#include <cstdlib>
#include <string>
#include <vector>

#include "kube/watch_stream.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

namespace {

// The events of `body` fed in pieces of 1 + (byte at the cut) % 97 bytes, or whole.
std::vector<std::string> events_of(std::string_view body, bool in_pieces, bool* broken) {
  kube::WatchStream stream;
  std::vector<std::string> events;
  auto on_event = [&events](kube::WatchEvent&& event) {
    // Delivered events are JSON objects with a type.
    if (!event.object.is_object()) std::abort();
    events.push_back(std::to_string(static_cast<int>(event.type)) + event.object.dump());
    return true;
  };
  std::size_t at = 0;
  *broken = false;
  while (at < body.size() && !*broken) {
    std::size_t piece = in_pieces ? 1 + static_cast<unsigned char>(body[at]) % 97 : body.size();
    *broken = !stream.feed(body.substr(at, piece), on_event);
    at += piece;
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body = fuzz::as_text(data, size);
  bool broken_whole = false;
  bool broken_pieces = false;
  std::vector<std::string> whole = events_of(body, false, &broken_whole);
  std::vector<std::string> pieces = events_of(body, true, &broken_pieces);
  // Where the body is cut never changes what it says.
  if (whole != pieces || broken_whole != broken_pieces) std::abort();
  return 0;
}
