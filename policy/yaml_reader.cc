#include "policy/yaml_reader.h"

#include <algorithm>

namespace releasegate::policy {

LoadError Reader::at(const yaml::Mark& mark, std::string message) const {
  int line = mark.line < 0 ? 0 : mark.line + 1 + origin_.line_offset;
  int column = mark.column < 0 ? 0 : mark.column + 1 + origin_.column_offset;
  return {origin_.file, origin_.context, line, column, std::move(message)};
}

void Reader::error(const yaml::Mark& mark, std::string message) { errors_.push_back(at(mark, std::move(message))); }

void Reader::warning(const yaml::Node& node, std::string message) {
  if (warnings_) warnings_->push_back(at(node.mark(), std::move(message)));
}

WrittenAt Reader::written_at(const yaml::Node& node) const {
  LoadError located = at(node.mark(), {});
  return {static_cast<std::uint32_t>(located.line), static_cast<std::uint32_t>(located.column)};
}

std::string Reader::location(const yaml::Node& node) const {
  return origin_.file + ":" + std::to_string(node.mark().line + 1 + origin_.line_offset);
}

void Reader::report_unknown_keys(const yaml::Node& node, std::string_view what, std::span<const Field> fields) {
  std::vector<std::string_view> seen;
  for (auto [key_node, value] : node.entries()) {
    if (!key_node.is_scalar()) {
      error(key_node, std::string(what) + ": keys must be strings");
      continue;
    }
    const std::string& key = key_node.scalar();
    // A repeated key would silently replace the first: always a mistake in rules.
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      error(key_node, "duplicate field \"" + key + "\" in " + std::string(what));
      continue;
    }
    seen.push_back(key);
    if (key.empty() || std::none_of(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; })) {
      std::string known;
      for (const Field& f : fields) {
        if (!f.key.empty()) known += (known.empty() ? "" : ", ") + std::string(f.key);
      }
      error(key_node, "unknown field \"" + key + "\" in " + std::string(what) + " (known fields: " + known + ")");
    }
  }
}

bool Reader::fields(const yaml::Node& node, std::string_view what, std::span<const Field> fields) {
  if (!node.is_map()) {
    error(node, std::string(what) + " must be a map");
    return false;
  }
  report_unknown_keys(node, what, fields);
  bool valid = true;
  for (Field::When when : {Field::early, Field::in_order, Field::late}) {
    for (const Field& field : fields) {
      if (field.when != when) continue;
      if (!valid && !field.required) return false;
      if (field.key.empty()) {
        valid = field.read(node);
        continue;
      }
      if (const yaml::Node value = node[std::string(field.key)]) {
        if (field.read && !field.read(value)) valid = false;
      } else if (field.required) {
        error(node, std::string(what) + ": missing required field \"" + std::string(field.key) + "\"");
        valid = false;
      } else if (field.absent && !field.absent()) {
        valid = false;
      }
    }
  }
  return valid;
}

std::optional<std::string> Reader::string(const yaml::Node& node, std::string_view what) {
  if (!node.is_scalar()) {
    error(node, std::string(what) + " must be a string");
    return std::nullopt;
  }
  return node.scalar();
}

std::optional<std::string> Reader::required_string(const yaml::Node& node, std::string_view what) {
  auto value = string(node, what);
  if (value && value->empty()) {
    error(node, std::string(what) + " must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Reader::boolean(const yaml::Node& node, std::string_view what) {
  if (node.is_scalar() && !node.quoted()) {
    if (node.scalar() == "true") return true;
    if (node.scalar() == "false") return false;
  }
  error(node, std::string(what) + " must be true or false");
  return std::nullopt;
}

std::vector<std::pair<std::string, yaml::Node>> Reader::strings(const yaml::Node& node, std::string_view what) {
  std::vector<std::pair<std::string, yaml::Node>> out;
  if (!node.is_sequence()) {
    error(node, std::string(what) + " must be a list of strings");
    return out;
  }
  for (yaml::Node item : node.items()) {
    if (auto s = string(item, std::string(what) + " item")) out.emplace_back(*s, item);
  }
  return out;
}

std::optional<Pattern> Reader::pattern(const std::string& text, const yaml::Node& at, std::string_view what) {
  Pattern::Compiled compiled = Pattern::compile(text);
  if (!compiled.pattern) error(at, std::string(what) + " \"" + text + "\": " + compiled.error);
  return std::move(compiled.pattern);
}

void Reader::patterns(const yaml::Node& node, std::string_view what, PatternList& into) {
  for (auto& [text, at] : strings(node, what)) {
    if (auto p = pattern(text, at, what)) into.add(std::move(*p));
  }
}

}  // namespace releasegate::policy
