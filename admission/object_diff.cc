#include "admission/object_diff.h"

#include <algorithm>
#include <array>

namespace releasegate::admission {
namespace {

constexpr std::array<std::string_view, 10> kServerMaintained = {
    "/metadata/managedFields",     "/metadata/resourceVersion", "/metadata/generation",
    "/metadata/uid",               "/metadata/creationTimestamp", "/metadata/selfLink",
    "/metadata/deletionTimestamp", "/metadata/deletionGracePeriodSeconds", "/status",
    "/metadata/finalizers"};

// Pointers ordered segment by segment ('/' sorts before every other
// character), so that everything below a pointer directly follows it.
bool segment_less(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    if (a[i] == '/') return true;
    if (b[i] == '/') return false;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

bool is_below(std::string_view pointer, std::string_view parent) {
  return pointer.size() > parent.size() && pointer[parent.size()] == '/' && pointer.starts_with(parent);
}

}  // namespace

bool ObjectLeaves::server_maintained(std::string_view pointer) {
  return std::find(kServerMaintained.begin(), kServerMaintained.end(), pointer) != kServerMaintained.end();
}

std::size_t ObjectLeaves::add(std::string_view pointer, Kind kind, std::string_view value) {
  leaves_.push_back({static_cast<std::uint32_t>(pointers_.size()), static_cast<std::uint32_t>(pointer.size()), kind, 0,
                     value});
  pointers_.append(pointer);
  return leaves_.size() - 1;
}

void ObjectLeaves::sort() {
  std::sort(leaves_.begin(), leaves_.end(),
            [&](const Leaf& a, const Leaf& b) { return segment_less(pointer(a), pointer(b)); });
}

void append_pointer_token(std::string& pointer, std::string_view key) {
  pointer += '/';
  for (char c : key) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
}

ObjectDiff diff_leaves(ObjectLeaves before, ObjectLeaves after, std::size_t limit) {
  using Leaf = ObjectLeaves::Leaf;
  using Kind = ObjectLeaves::Kind;
  ObjectDiff diff;
  auto pointer_of = [](const ObjectLeaves& side, const Leaf& leaf) { return side.pointer(leaf); };
  before.sort();
  after.sort();
  const std::vector<Leaf>& old_leaves = before.leaves_;
  const std::vector<Leaf>& new_leaves = after.leaves_;
  std::size_t i = 0, j = 0;
  auto report = [&](std::string_view pointer) {
    if (diff.paths.size() >= limit) {
      diff.truncated = true;
      return false;
    }
    diff.paths.emplace_back(pointer);
    return true;
  };
  // Past everything below `pointer` on one side (already reported whole).
  auto skip_below = [&](const ObjectLeaves& side, const std::vector<Leaf>& leaves, std::size_t& k,
                        std::string_view pointer) {
    while (k < leaves.size() && is_below(pointer_of(side, leaves[k]), pointer)) ++k;
  };
  // On one side only: a non-empty object is reported by its leaves, which
  // follow it; anything else by its own pointer.
  auto one_sided = [&](const ObjectLeaves& side, const std::vector<Leaf>& leaves, std::size_t& k) {
    const Leaf& leaf = leaves[k++];
    std::string_view pointer = pointer_of(side, leaf);
    if (leaf.kind == Kind::Object && leaf.size > 0) return true;
    skip_below(side, leaves, k, pointer);
    return report(pointer);
  };
  while (i < old_leaves.size() || j < new_leaves.size()) {
    if (j == new_leaves.size() ||
        (i < old_leaves.size() && segment_less(pointer_of(before, old_leaves[i]), pointer_of(after, new_leaves[j])))) {
      if (!one_sided(before, old_leaves, i)) break;
      continue;
    }
    if (i == old_leaves.size() || segment_less(pointer_of(after, new_leaves[j]), pointer_of(before, old_leaves[i]))) {
      if (!one_sided(after, new_leaves, j)) break;
      continue;
    }
    const Leaf& a = old_leaves[i++];
    const Leaf& b = new_leaves[j++];
    std::string_view pointer = pointer_of(before, a);
    bool replaced = a.kind != b.kind || (a.kind == Kind::Array && a.size != b.size);
    if (replaced) {
      skip_below(before, old_leaves, i, pointer);
      skip_below(after, new_leaves, j, pointer);
      if (!report(pointer)) break;
    } else if (a.kind != Kind::Object && a.kind != Kind::Array && a.value != b.value) {
      if (!report(pointer)) break;
    }
  }
  return diff;
}

}  // namespace releasegate::admission
