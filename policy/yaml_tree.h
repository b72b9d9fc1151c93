// YAML text into located nodes, with libyaml's event parser: what the rules
// compiler and `check`'s manifest reader read. Every node knows its line and
// column; every failure is a located error, never an exception, and input
// that would take unbounded time or memory (aliases expanding without end,
// nesting too deep for the readers' recursion) is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace releasegate::yaml {

// 0-based, as libyaml counts; -1 when unknown.
struct Mark {
  int line = -1;
  int column = -1;
};

inline constexpr std::size_t kMaxDepth = 256;              // nested collections
inline constexpr std::size_t kMaxAliasExpansion = 100'000;  // nodes reached through aliases, per document

class Tree;

// A handle on a node of a Tree (which must outlive it); default-constructed,
// a missing node: false, and empty for every question.
class Node {
 public:
  enum class Type : std::uint8_t { Null, Scalar, Sequence, Map };
  struct Entry;
  class Iterator;
  template <class Item>
  class Range;

  Node() = default;
  explicit operator bool() const { return tree_ != nullptr; }

  Type type() const;
  // A plain `~`, `null`, `Null`, `NULL` or nothing at all is null, as in YAML 1.2's core schema.
  bool is_null() const { return *this && type() == Type::Null; }
  bool is_scalar() const { return *this && type() == Type::Scalar; }
  bool is_sequence() const { return *this && type() == Type::Sequence; }
  bool is_map() const { return *this && type() == Type::Map; }

  // A scalar's text (empty for anything else).
  const std::string& scalar() const;
  // Written in quotes or as a block (`|`, `>`): always a string, never a number or bool.
  bool quoted() const;
  // The explicit tag, resolved (`!!str` is "tag:yaml.org,2002:str"); empty when none.
  const std::string& tag() const;
  Mark mark() const;

  // Items of a sequence, entries of a map; 0 for anything else.
  std::size_t size() const;
  // A map's value for a scalar key, the last when the key repeats; missing otherwise.
  Node operator[](std::string_view key) const;
  Node operator[](std::size_t index) const;  // a sequence's item; missing when out of range

  // A sequence's items (nothing for anything else).
  Range<Node> items() const;
  // A map's entries in the order written (nothing for anything else).
  Range<Entry> entries() const;

 private:
  friend class Tree;
  friend class Builder;
  Node(const Tree* tree, std::uint32_t index) : tree_(tree), index_(index) {}
  const Tree* tree_ = nullptr;
  std::uint32_t index_ = 0;
};

struct Node::Entry {
  Node key;
  Node value;
};

// The documents of one text, and the storage of their nodes.
class Tree {
 public:
  struct Error {
    Mark mark;
    std::string message;  // "YAML syntax error: ..." and the like
  };
  struct Parsed {
    std::shared_ptr<const Tree> tree;  // keeps the documents' nodes alive
    std::vector<Node> documents;       // in order; an empty document is a null node
    std::vector<Error> errors;         // at most one: parsing stops at the first
  };

  // Parses every document of `text`. On an error, the documents before it are kept.
  static Parsed parse(std::string_view text);

 private:
  friend class Node;
  friend class Builder;
  struct Stored {
    Node::Type type;
    bool quoted = false;
    Mark mark;
    std::uint32_t first = 0;  // the first child in children_ (for maps: key, value, key, ...)
    std::uint32_t count = 0;  // children; a map has 2 per entry
    std::string text;
    std::string tag;
  };
  std::vector<Stored> nodes_;
  std::vector<std::uint32_t> children_;
};

class Node::Iterator {
 public:
  Iterator(const Tree* tree, const std::uint32_t* at, std::size_t step) : tree_(tree), at_(at), step_(step) {}
  Node node(std::size_t offset = 0) const { return Node(tree_, at_[offset]); }
  Iterator& operator++() {
    at_ += step_;
    return *this;
  }
  bool operator==(const Iterator& other) const { return at_ == other.at_; }

 private:
  const Tree* tree_;
  const std::uint32_t* at_;
  std::size_t step_;
};

template <class Item>
class Node::Range {
 public:
  class iterator : public Iterator {
   public:
    explicit iterator(Iterator it) : Iterator(it) {}
    Item operator*() const {
      if constexpr (std::is_same_v<Item, Entry>) {
        return Entry{node(0), node(1)};
      } else {
        return node(0);
      }
    }
    iterator& operator++() {
      Iterator::operator++();
      return *this;
    }
  };
  Range(Iterator begin, Iterator end) : begin_(begin), end_(end) {}
  iterator begin() const { return begin_; }
  iterator end() const { return end_; }

 private:
  iterator begin_;
  iterator end_;
};

}  // namespace releasegate::yaml
