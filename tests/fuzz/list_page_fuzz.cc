// The list page reader (kube/list_page.h) against nlohmann's whole-page
// parse: wherever nlohmann reads a list of objects, the reader reads the
// same resourceVersion, continue token and items, in order.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/list_page.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;
using nlohmann::json;

namespace {

std::string metadata_string(const json& page, const char* key) {
  auto metadata = page.find("metadata");
  if (metadata == page.end() || !metadata->is_object()) return {};
  auto value = metadata->find(key);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(fuzz::as_text(data, size));
  std::vector<json> items;
  kube::ListPage page = kube::read_list_page(body, [&](std::string_view text) {
    // Each item is the text of an object inside the body.
    if (text.empty() || text.front() != '{' || text.data() < body.data() ||
        text.data() + text.size() > body.data() + body.size()) {
      std::abort();
    }
    items.push_back(json::parse(text, nullptr, false));
  });
  // nlohmann reads a NUL byte as the end of its input (JSON text cannot
  // hold one unescaped); the reader refuses what follows the list instead.
  if (std::string_view(fuzz::as_text(data, size)).find('\0') != std::string_view::npos) return 0;
  json whole = json::parse(fuzz::as_text(data, size), nullptr, false);
  if (!whole.is_object() || !whole.contains("items")) return 0;
  const json& listed = whole["items"];
  if (!listed.is_null() && !listed.is_array()) return 0;
  std::vector<json> expected;
  if (listed.is_array()) {
    for (const json& item : listed) {
      if (!item.is_object()) return 0;
      expected.push_back(item);
    }
  }
  if (!page.ok || items != expected) std::abort();
  if (page.resource_version != metadata_string(whole, "resourceVersion")) std::abort();
  if (page.continue_token != metadata_string(whole, "continue")) std::abort();
  return 0;
}
