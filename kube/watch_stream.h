// The body of a watch response as the apiserver frames it: one JSON event
// `{"type":...,"object":{...}}` per line, lines ended by `\n`. HTTP chunk
// boundaries mean nothing here (an event may span chunks, a chunk may hold
// several events), so bytes are fed as they come and split on `\n` only.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kube/client.h"

namespace releasegate::kube {

// One line of a watch body as an event; nullopt with *error when it is not
// a JSON object with a known `type` and an object `object`.
std::optional<WatchEvent> parse_watch_event(std::string_view line, std::string* error);

class WatchStream {
 public:
  // An event line longer than this is refused: etcd stores objects of at
  // most 1.5 MiB, so a longer line is a broken stream, not an event.
  static constexpr std::size_t kMaxLine = 16u << 20;

  // Called with each complete event; returning false stops the stream.
  using OnEvent = std::function<bool(WatchEvent&& event)>;

  // Feeds the next bytes of the body; false once the stream is broken (a
  // malformed or over-long line: see error()) or on_event asked to stop.
  bool feed(std::string_view data, const OnEvent& on_event);

  // Bytes of an event not yet ended by `\n`: at the end of the body, a
  // cut stream.
  bool has_partial() const { return !pending_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool line(std::string_view text, const OnEvent& on_event);
  std::string pending_;
  std::string error_;
  bool broken_ = false;
};

}  // namespace releasegate::kube
