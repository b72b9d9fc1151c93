// What an UPDATE changed: the JSON pointers where request.object differs
// from request.oldObject, for the allowed-drift rule. Fields the apiserver
// maintains itself (managedFields, resourceVersion, generation, status...)
// are not changes anyone made.
//
// The review parser walks each object once more over the document it has
// already indexed (admission_review.cc) and records its nodes here, in
// document order; the two trees are then compared object by object. Keys
// in the same order on both sides (the apiserver's own serialisation) are
// compared pairwise; where the orders differ, that object's keys are sorted
// and merged: O(n log n) at worst, never a key lookup per key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace releasegate::admission {

inline constexpr std::size_t kMaxChangedPaths = 64;

struct ObjectDiff {
  std::vector<std::string> paths;  // JSON pointers, RFC 6901 escaped
  bool truncated = false;          // more than the limit: treat as "changed a lot"
  bool failed = false;             // the review could not be read again
};

// One object as a tree in document order (a node's descendants follow it).
// Keys and values are views into the parser's buffers: diff before the next
// parse.
class ObjectTree {
 public:
  enum class Kind : std::uint8_t { Object, Array, String, Number, Bool, Null };
  static constexpr std::uint32_t kRoot = UINT32_MAX;  // the parent of the root

  // Whether a member is one the apiserver maintains (skipped, with all below it).
  static bool server_maintained(std::size_t depth, std::string_view parent_key, std::string_view key);

  // Adds a node below `parent` (kRoot for the root): `key` for an object
  // member, `index` for an array element. Returns its index.
  std::uint32_t add(std::uint32_t parent, std::string_view key, std::uint32_t index, Kind kind,
                    std::string_view value = {});
  // After a node's children were added: closes its subtree.
  void close(std::uint32_t node) { nodes_[node].end = static_cast<std::uint32_t>(nodes_.size()); }
  bool empty() const { return nodes_.empty(); }

 private:
  friend class TreeDiff;
  struct Node {
    std::string_view key;
    std::uint32_t index;  // array element index, when the parent is an array
    std::uint32_t parent;
    std::uint32_t end;    // one past the last descendant
    Kind kind;
    std::string_view value;
  };
  std::vector<Node> nodes_;
};

// Leaves are reported; a key added or removed with an object value is
// reported by its leaves (so a new annotation map reports the annotation);
// an array whose length changed, or a value whose type changed, by its own
// pointer. At most `limit`.
ObjectDiff diff_trees(const ObjectTree& before, const ObjectTree& after, std::size_t limit = kMaxChangedPaths);

}  // namespace releasegate::admission
