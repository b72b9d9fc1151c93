#include "cli/manifest.h"

#include <re2/re2.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "policy/yaml_tree.h"

namespace releasegate::cli {
namespace {

nlohmann::json scalar_to_json(const yaml::Node& node) {
  const std::string& text = node.scalar();
  // Quoted, a block, or tagged `!!str`: always a string.
  if (node.quoted() || node.tag() == "tag:yaml.org,2002:str") return text;
  static const RE2 kInt("[-+]?(0|[1-9][0-9]*)");
  static const RE2 kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (RE2::FullMatch(text, kInt)) {
    try {
      return std::stoll(text);
    } catch (const std::out_of_range&) {
      return text;
    }
  }
  if (RE2::FullMatch(text, kFloat)) {
    // Out of double's range (1e999, 1e-400): kept as written, never an exception.
    errno = 0;
    double value = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE || !std::isfinite(value)) return text;
    return value;
  }
  return text;
}

// Recursion is bounded by yaml::kMaxDepth; aliases by yaml::kMaxAliasExpansion.
// A repeated key's last value wins, as in the apiserver's decoder. A key
// that is not a string (`[a]: 1`) has no JSON form: the first is noted.
nlohmann::json to_json(const yaml::Node& node, std::optional<yaml::Mark>& bad_key) {
  switch (node.type()) {
    case yaml::Node::Type::Null: return nullptr;
    case yaml::Node::Type::Scalar: return scalar_to_json(node);
    case yaml::Node::Type::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (yaml::Node item : node.items()) out.push_back(to_json(item, bad_key));
      return out;
    }
    case yaml::Node::Type::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (auto [key, value] : node.entries()) {
        if (!key.is_scalar() && !bad_key) bad_key = key.mark();
        out[key.scalar()] = to_json(value, bad_key);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

ManifestReadResult read_manifests(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {.error = path + ": cannot open file"};
  std::ostringstream content;
  content << in.rdbuf();
  return parse_manifests(path, content.str());
}

ManifestReadResult parse_manifests(const std::string& file, std::string_view content) {
  ManifestReadResult result;
  auto fail = [&](yaml::Mark at, bool with_column, const std::string& message) {
    result.manifests.clear();
    result.error = file + ":" + std::to_string(at.line + 1) + (with_column ? ":" + std::to_string(at.column + 1) : "") +
                   ": " + message;
    return result;
  };
  yaml::Tree::Parsed parsed = yaml::Tree::parse(content);
  if (!parsed.errors.empty()) return fail(parsed.errors.front().mark, true, parsed.errors.front().message);
  for (yaml::Node node : parsed.documents) {
    if (!node || node.is_null()) continue;
    if (!node.is_map()) return fail(node.mark(), false, "a manifest must be a map");
    std::optional<yaml::Mark> bad_key;
    nlohmann::json object = to_json(node, bad_key);
    if (bad_key) return fail(*bad_key, true, "a map key must be a string");
    result.manifests.push_back({file, node.mark().line + 1, std::move(object)});
  }
  return result;
}

}  // namespace releasegate::cli
