#include "policy/yaml_tree.h"

#include <yaml.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <unordered_map>

namespace releasegate::yaml {
namespace {

const std::string kEmpty;

Mark mark_of(const yaml_mark_t& mark) {
  constexpr std::size_t kMax = std::numeric_limits<int>::max();
  return Mark{static_cast<int>(std::min(mark.line, kMax)), static_cast<int>(std::min(mark.column, kMax))};
}

std::string text_of(const yaml_char_t* text) { return text ? reinterpret_cast<const char*>(text) : std::string(); }

bool is_plain_null(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

// Where libyaml stopped, and why. Bytes that are not UTF-8 (or not allowed
// in YAML) are found by its reader, which knows only the offset; a construct
// left open at the end of the text is pointed at where it opens, where the
// fix goes.
Tree::Error syntax_error(const yaml_parser_t& parser, std::string_view text) {
  std::string message = "YAML syntax error: " + std::string(parser.problem ? parser.problem : "unknown");
  if (parser.error == YAML_READER_ERROR) {
    std::size_t offset = std::min(parser.problem_offset, text.size());
    std::string_view before = text.substr(0, offset);
    auto line_start = before.rfind('\n');
    Mark at{static_cast<int>(std::count(before.begin(), before.end(), '\n')),
            static_cast<int>(line_start == std::string_view::npos ? offset : offset - line_start - 1)};
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned>(parser.problem_value) & 0xFFu);
    return {at, message + " (byte " + byte + ")"};
  }
  Mark at = mark_of(parser.problem_mark);
  if (parser.context) {
    Mark opened = mark_of(parser.context_mark);
    message += " (" + std::string(parser.context) + " that starts at line " + std::to_string(opened.line + 1) +
               ", column " + std::to_string(opened.column + 1) + ")";
    if (parser.problem_mark.index >= text.size()) at = opened;
  }
  return {at, std::move(message)};
}

}  // namespace

// Turns libyaml's events into a Tree: children are collected on a stack while
// their collection is open and stored contiguously when it closes.
class Builder {
 public:
  explicit Builder(Tree& tree) : tree_(tree) {}

  // False (with `error` set) when the event makes the input unacceptable.
  bool consume(const yaml_event_t& event, std::vector<Node>& documents, Tree::Error& error) {
    Mark at = mark_of(event.start_mark);
    switch (event.type) {
      case YAML_DOCUMENT_START_EVENT:
        anchors_.clear();
        alias_expansion_ = 0;
        root_ = kNone;
        return true;
      case YAML_DOCUMENT_END_EVENT:
        documents.push_back(root_ == kNone ? Node() : Node(&tree_, root_));
        return true;
      case YAML_SCALAR_EVENT: return scalar(event, at);
      case YAML_SEQUENCE_START_EVENT:
        return open(Node::Type::Sequence, at, event.data.sequence_start.anchor, event.data.sequence_start.tag, error);
      case YAML_MAPPING_START_EVENT:
        return open(Node::Type::Map, at, event.data.mapping_start.anchor, event.data.mapping_start.tag, error);
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: close(); return true;
      case YAML_ALIAS_EVENT: return alias(text_of(event.data.alias.anchor), at, error);
      default: return true;
    }
  }

 private:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  struct Open {
    std::uint32_t node;
    std::size_t first_pending;  // where its children start in pending_
    std::string anchor;         // registered when it closes: an alias inside it would be a cycle
  };

  std::uint32_t add(Node::Type type, Mark at, const yaml_char_t* tag) {
    tree_.nodes_.push_back(Tree::Stored{.type = type, .mark = at, .text = {}, .tag = text_of(tag)});
    expanded_.push_back(1);
    return static_cast<std::uint32_t>(tree_.nodes_.size() - 1);
  }

  void attach(std::uint32_t node) {
    if (open_.empty()) {
      root_ = node;
    } else {
      pending_.push_back(node);
    }
  }

  bool scalar(const yaml_event_t& event, Mark at) {
    const auto& s = event.data.scalar;
    std::string text(reinterpret_cast<const char*>(s.value), s.length);
    bool quoted = s.style != YAML_PLAIN_SCALAR_STYLE;
    std::string tag = text_of(s.tag);
    bool null = tag == YAML_NULL_TAG || (tag.empty() && !quoted && is_plain_null(text));
    std::uint32_t node = add(null ? Node::Type::Null : Node::Type::Scalar, at, s.tag);
    tree_.nodes_[node].quoted = quoted;
    tree_.nodes_[node].text = std::move(text);
    if (s.anchor) anchors_[text_of(s.anchor)] = node;
    attach(node);
    return true;
  }

  bool open(Node::Type type, Mark at, const yaml_char_t* anchor, const yaml_char_t* tag, Tree::Error& error) {
    if (open_.size() >= kMaxDepth) {
      error = {at, "YAML nesting deeper than " + std::to_string(kMaxDepth) + " levels"};
      return false;
    }
    open_.push_back(Open{add(type, at, tag), pending_.size(), text_of(anchor)});
    return true;
  }

  void close() {
    Open done = std::move(open_.back());
    open_.pop_back();
    Tree::Stored& stored = tree_.nodes_[done.node];
    stored.first = static_cast<std::uint32_t>(tree_.children_.size());
    stored.count = static_cast<std::uint32_t>(pending_.size() - done.first_pending);
    std::uint64_t expanded = 1;
    for (std::size_t i = done.first_pending; i < pending_.size(); ++i) {
      tree_.children_.push_back(pending_[i]);
      expanded += expanded_[pending_[i]];
    }
    pending_.resize(done.first_pending);
    expanded_[done.node] = expanded;
    if (!done.anchor.empty()) anchors_[done.anchor] = done.node;
    attach(done.node);
  }

  // An alias shares the anchored node; what it would expand to is counted,
  // so that nested aliases (the "billion laughs") are refused early.
  bool alias(const std::string& anchor, Mark at, Tree::Error& error) {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      error = {at, "YAML alias *" + anchor + " refers to no anchor before it (or to a collection it is inside)"};
      return false;
    }
    alias_expansion_ += expanded_[it->second];
    if (alias_expansion_ > kMaxAliasExpansion) {
      error = {at, "YAML aliases expand to more than " + std::to_string(kMaxAliasExpansion) + " nodes"};
      return false;
    }
    attach(it->second);
    return true;
  }

  Tree& tree_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_;
  std::vector<std::uint64_t> expanded_;  // per node: itself and everything under it, aliases expanded
  std::unordered_map<std::string, std::uint32_t> anchors_;
  std::uint64_t alias_expansion_ = 0;
  std::uint32_t root_ = kNone;
};

Tree::Parsed Tree::parse(std::string_view text) {
  auto tree = std::make_shared<Tree>();
  Parsed parsed;
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  Builder builder(*tree);
  for (bool done = false; !done;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      parsed.errors.push_back(syntax_error(parser, text));
      break;
    }
    Error error;
    bool accepted = builder.consume(event, parsed.documents, error);
    done = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
    if (!accepted) {
      parsed.errors.push_back(std::move(error));
      break;
    }
  }
  yaml_parser_delete(&parser);
  parsed.tree = std::move(tree);
  return parsed;
}

Node::Type Node::type() const { return tree_ ? tree_->nodes_[index_].type : Type::Null; }

const std::string& Node::scalar() const {
  return tree_ && tree_->nodes_[index_].type == Type::Scalar ? tree_->nodes_[index_].text : kEmpty;
}

bool Node::quoted() const { return tree_ && tree_->nodes_[index_].quoted; }

const std::string& Node::tag() const { return tree_ ? tree_->nodes_[index_].tag : kEmpty; }

Mark Node::mark() const { return tree_ ? tree_->nodes_[index_].mark : Mark{}; }

std::size_t Node::size() const {
  if (!tree_) return 0;
  const Tree::Stored& stored = tree_->nodes_[index_];
  return stored.type == Type::Map ? stored.count / 2 : stored.type == Type::Sequence ? stored.count : 0;
}

Node Node::operator[](std::string_view key) const {
  Node found;
  for (Entry entry : entries()) {
    const Tree::Stored& k = tree_->nodes_[entry.key.index_];
    if (k.type != Type::Sequence && k.type != Type::Map && k.text == key) found = entry.value;
  }
  return found;
}

Node Node::operator[](std::size_t index) const {
  if (!is_sequence() || index >= size()) return {};
  return Node(tree_, tree_->children_[tree_->nodes_[index_].first + index]);
}

Node::Range<Node> Node::items() const {
  if (!is_sequence()) return {{nullptr, nullptr, 1}, {nullptr, nullptr, 1}};
  const std::uint32_t* first = tree_->children_.data() + tree_->nodes_[index_].first;
  return {{tree_, first, 1}, {tree_, first + size(), 1}};
}

Node::Range<Node::Entry> Node::entries() const {
  if (!is_map()) return {{nullptr, nullptr, 2}, {nullptr, nullptr, 2}};
  const std::uint32_t* first = tree_->children_.data() + tree_->nodes_[index_].first;
  return {{tree_, first, 2}, {tree_, first + 2 * size(), 2}};
}

}  // namespace releasegate::yaml
