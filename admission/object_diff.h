// What an UPDATE changed: the JSON pointers where request.object differs
// from request.oldObject, for the allowed-drift rule. Fields the apiserver
// maintains itself (managedFields, resourceVersion, generation, status...)
// are not changes anyone made.
//
// The review parser walks each object once more over the document it has
// already indexed (admission_review.cc) and collects its leaves here; the
// two leaf lists are then sorted and merged: O(n log n) in the number of
// fields, whatever their order on either side.
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

// One object flattened: every object, array and scalar with its pointer.
// Values are views into the parser's buffers: diff before the next parse.
class ObjectLeaves {
 public:
  enum class Kind : std::uint8_t { Object, Array, String, Number, Bool, Null };

  // The apiserver's own fields, skipped with everything below them.
  static bool server_maintained(std::string_view pointer);

  // `pointer` is the value's JSON pointer; `size` the member or element
  // count of an object or array (set later with set_size).
  std::size_t add(std::string_view pointer, Kind kind, std::string_view value = {});
  void set_size(std::size_t leaf, std::size_t size) { leaves_[leaf].size = size; }

 private:
  friend ObjectDiff diff_leaves(ObjectLeaves before, ObjectLeaves after, std::size_t limit);
  struct Leaf {
    std::uint32_t pointer_begin;
    std::uint32_t pointer_size;
    Kind kind;
    std::size_t size = 0;
    std::string_view value;
  };
  std::string_view pointer(const Leaf& leaf) const {
    return std::string_view(pointers_).substr(leaf.pointer_begin, leaf.pointer_size);
  }
  void sort();  // by pointer, segment by segment: everything below a pointer follows it

  std::string pointers_;  // every pointer, back to back: one allocation, not one per leaf
  std::vector<Leaf> leaves_;
};

// "a/b~c" as a pointer token: "a~1b~0c".
void append_pointer_token(std::string& pointer, std::string_view key);

// Leaves are reported; a key added or removed with an object value is
// reported by its leaves (so a new annotation map reports the annotation);
// an array whose length changed, or a value whose type changed, by its own
// pointer. Sorted by pointer segments; at most `limit`.
ObjectDiff diff_leaves(ObjectLeaves before, ObjectLeaves after, std::size_t limit = kMaxChangedPaths);

}  // namespace releasegate::admission
