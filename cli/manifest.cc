#include "cli/manifest.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace releasegate::cli {
namespace {

nlohmann::json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
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

nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it) out[it->first.Scalar()] = to_json(it->second);
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
  auto fail = [&](int line, int column, const std::string& message) {
    result.manifests.clear();
    result.error = file + ":" + std::to_string(line) + (column ? ":" + std::to_string(column) : "") + ": " + message;
    return result;
  };
  try {
    for (const YAML::Node& node : YAML::LoadAll(std::string(content))) {
      if (node.IsNull()) continue;
      if (!node.IsMap()) return fail(node.Mark().line + 1, 0, "a manifest must be a map");
      result.manifests.push_back({file, node.Mark().line + 1, to_json(node)});
    }
  } catch (const YAML::Exception& e) {
    return fail(e.mark.line + 1, e.mark.column + 1, "YAML syntax error: " + e.msg);
  }
  return result;
}

}  // namespace releasegate::cli
