// The listener's HTTP/1.1 request head parser, on whatever a client sends.
#include <cstdlib>

#include "server/http_request.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  server::HeadParse parsed = server::parse_request_head(fuzz::as_text(data, size));
  switch (parsed.status) {
    case server::HeadParse::Status::Complete: {
      if (parsed.head_bytes == 0 || parsed.head_bytes > size) std::abort();
      bool error = false;
      parsed.head.content_length(&error);
      parsed.head.wants_close();
      break;
    }
    case server::HeadParse::Status::Invalid:
      if (parsed.error.empty()) std::abort();
      break;
    case server::HeadParse::Status::Incomplete: break;
  }
  return 0;
}
