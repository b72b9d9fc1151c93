// One page of a list answer, read without building its tree. simdjson's
// On-Demand API walks the page once and hands each item over as its own
// JSON text, parsed alone by the caller: a page of 500 Deployments (5 MB)
// never becomes one 40 MB nlohmann tree, whose freed nodes would leave
// the heap fragmented under what the consumers keep (bench/README.md,
// "Observer at scale"). Watch events are small and parsed whole
// (watch_stream.h).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace releasegate::kube {

struct ListPage {
  bool ok = false;  // a JSON object with `items` (an array, or null for none)
  std::string resource_version;
  std::string continue_token;  // "" or absent: the last page
};

// The bytes read_list_page needs past a body's end (simdjson's padding):
// a body received with this much spare capacity is never copied.
inline constexpr std::size_t kListPagePadding = 64;

// `body` gains simdjson's padding in its capacity (not its size).
// `on_item` gets each item's JSON text, in order, once the whole page has
// been read (nothing for a page that is not ok).
ListPage read_list_page(std::string& body, const std::function<void(std::string_view item)>& on_item);

// An item's namespace, name and resourceVersion, read from its metadata
// without a tree (ok: all three read; a missing namespace is ""). The
// reflector skips decoding an item whose version it delivered already: a
// relist, or a list lent to the audit, of 100,000 unchanged objects then
// decodes none of them.
struct ItemIdentity {
  bool ok = false;
  std::string namespace_, name, resource_version;
};
ItemIdentity read_item_identity(std::string_view item);

}  // namespace releasegate::kube
