// The JSON writer's strings against nlohmann's dump with
// error_handler_t::replace, which it stands in for on the request path:
// any bytes, escaped and repaired the same, byte for byte, and the result
// parses back.
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "core/json_writer.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string ours;
  releasegate::append_json_string(ours, bytes);
  std::string theirs = nlohmann::json(bytes).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (ours != theirs) std::abort();
  if (!nlohmann::json::accept(ours)) std::abort();
  return 0;
}
