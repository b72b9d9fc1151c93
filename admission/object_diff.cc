#include "admission/object_diff.h"

#include <algorithm>
#include <array>

namespace releasegate::admission {
namespace {

constexpr std::array<std::string_view, 8> kServerMaintainedMetadata = {
    "managedFields",     "resourceVersion",   "generation", "uid", "creationTimestamp", "selfLink",
    "deletionTimestamp", "deletionGracePeriodSeconds"};

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

}  // namespace

bool ObjectTree::server_maintained(std::size_t depth, std::string_view parent_key, std::string_view key) {
  if (depth == 1) return key == "status";
  if (depth != 2 || parent_key != "metadata") return false;
  // Finalizers are not here: removing one is a change (it skips a
  // controller's clean-up); the engine tells the controllers' routine
  // finalizer work from other changes.
  return std::find(kServerMaintainedMetadata.begin(), kServerMaintainedMetadata.end(), key) !=
             kServerMaintainedMetadata.end();
}

std::uint32_t ObjectTree::add(std::uint32_t parent, std::string_view key, std::uint32_t index, Kind kind,
                              std::string_view value) {
  auto node = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back({key, index, parent, node + 1, kind, value});
  return node;
}

// The comparison of two trees, node by node from the roots.
class TreeDiff {
 public:
  using Node = ObjectTree::Node;
  using Kind = ObjectTree::Kind;

  TreeDiff(const ObjectTree& before, const ObjectTree& after, std::size_t limit)
      : a_(before.nodes_), b_(after.nodes_), limit_(limit) {}

  ObjectDiff run() {
    if (!a_.empty() && !b_.empty()) diff(0, 0);
    return std::move(out_);
  }

 private:
  void diff(std::uint32_t x, std::uint32_t y) {
    if (out_.truncated) return;
    const Node &a = a_[x], &b = b_[y];
    if (a.kind != b.kind) return report(a_, x);
    switch (a.kind) {
      case Kind::Object: return diff_members(x, y);
      case Kind::Array: return diff_elements(x, y);
      default:
        if (a.value != b.value) report(a_, x);
    }
  }

  // Members in the same order are compared pairwise; from the first key
  // out of order, the rest are sorted by key and merged.
  void diff_members(std::uint32_t x, std::uint32_t y) {
    std::uint32_t i = x + 1, j = y + 1;
    for (; i < a_[x].end && j < b_[y].end && a_[i].key == b_[j].key; i = a_[i].end, j = b_[j].end) diff(i, j);
    auto rest = [](const std::vector<Node>& nodes, std::uint32_t from, std::uint32_t end) {
      std::vector<std::uint32_t> members;
      for (std::uint32_t k = from; k < end; k = nodes[k].end) members.push_back(k);
      std::sort(members.begin(), members.end(), [&](auto p, auto q) { return nodes[p].key < nodes[q].key; });
      return members;
    };
    std::vector<std::uint32_t> left = rest(a_, i, a_[x].end), right = rest(b_, j, b_[y].end);
    std::size_t l = 0, r = 0;
    while ((l < left.size() || r < right.size()) && !out_.truncated) {
      if (r == right.size() || (l < left.size() && a_[left[l]].key < b_[right[r]].key)) {
        one_sided(a_, left[l++]);
      } else if (l == left.size() || b_[right[r]].key < a_[left[l]].key) {
        one_sided(b_, right[r++]);
      } else {
        diff(left[l++], right[r++]);
      }
    }
  }

  // An array whose length changed is reported whole; else element by element.
  void diff_elements(std::uint32_t x, std::uint32_t y) {
    std::uint32_t i = x + 1, j = y + 1, n = 0, m = 0;
    for (std::uint32_t k = i; k < a_[x].end; k = a_[k].end) ++n;
    for (std::uint32_t k = j; k < b_[y].end; k = b_[k].end) ++m;
    if (n != m) return report(a_, x);
    for (; i < a_[x].end; i = a_[i].end, j = b_[j].end) diff(i, j);
  }

  // On one side only: a non-empty object is reported by its leaves,
  // anything else by its own pointer.
  void one_sided(const std::vector<Node>& nodes, std::uint32_t x) {
    if (nodes[x].kind != Kind::Object || nodes[x].end == x + 1) return report(nodes, x);
    for (std::uint32_t k = x + 1; k < nodes[x].end && !out_.truncated; k = nodes[k].end) one_sided(nodes, k);
  }

  void report(const std::vector<Node>& nodes, std::uint32_t x) {
    if (out_.paths.size() >= limit_) {
      out_.truncated = true;
      return;
    }
    std::vector<std::uint32_t> chain;  // from the node up to (not including) the root
    for (std::uint32_t k = x; k != 0 && k != ObjectTree::kRoot; k = nodes[k].parent) chain.push_back(k);
    std::string pointer;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Node& node = nodes[*it];
      bool element = nodes[node.parent].kind == Kind::Array;
      if (element) {
        pointer += '/';
        pointer += std::to_string(node.index);
      } else {
        append_pointer_token(pointer, node.key);
      }
    }
    out_.paths.push_back(std::move(pointer));
  }

  const std::vector<Node>& a_;
  const std::vector<Node>& b_;
  std::size_t limit_;
  ObjectDiff out_;
};

ObjectDiff diff_trees(const ObjectTree& before, const ObjectTree& after, std::size_t limit) {
  return TreeDiff(before, after, limit).run();
}

}  // namespace releasegate::admission
