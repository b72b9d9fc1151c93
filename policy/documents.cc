#include "policy/documents.h"

#include <sstream>

#include "core/marks.h"

namespace releasegate::policy {
namespace {

// The column where a literal block's content starts: its first non-blank
// line's indentation in the file.
int block_indent(const std::string& content, int block_start_line) {
  std::istringstream in(content);
  std::string line;
  for (int i = 0; std::getline(in, line); ++i) {
    if (i < block_start_line) continue;
    auto first = line.find_first_not_of(' ');
    if (first != std::string::npos) return static_cast<int>(first);
  }
  return 0;
}

void expand_config_map(const Document& doc, const std::string& file_content, std::vector<Document>& out,
                       std::vector<LoadError>& errors) {
  Reader reader(doc.origin, errors);
  const YAML::Node& node = doc.node;
  // A scalar or list `metadata` has no fields: yaml-cpp throws on indexing
  // it, so only a map is looked into.
  YAML::Node metadata = node["metadata"] && node["metadata"].IsMap() ? node["metadata"] : YAML::Node();
  std::string name = metadata && metadata["name"] && metadata["name"].IsScalar() ? metadata["name"].Scalar() : "";
  std::string ns = metadata && metadata["namespace"] && metadata["namespace"].IsScalar() ? metadata["namespace"].Scalar() : "";
  YAML::Node label = metadata && metadata["labels"] && metadata["labels"].IsMap() ? metadata["labels"][std::string(marks::kRules)] : YAML::Node();
  if (!label || !label.IsScalar() || label.Scalar() != "true") {
    reader.error(node, "ConfigMap " + name + " is not labelled " + std::string(marks::kRules) +
                           ": \"true\"; only rules ConfigMaps belong in a rules directory");
    return;
  }
  YAML::Node data = node["data"];
  if (!data) return;
  if (!data.IsMap()) {
    reader.error(data, "ConfigMap data must be a map");
    return;
  }
  for (auto it = data.begin(); it != data.end(); ++it) {
    std::string key = it->first.Scalar();
    if (!key.ends_with(".yaml") && !key.ends_with(".yml")) continue;
    if (!it->second.IsScalar()) {
      reader.error(it->second, "ConfigMap key " + key + " must hold a string of YAML documents");
      continue;
    }
    Origin inner = doc.origin;
    inner.context = "ConfigMap " + (ns.empty() ? name : ns + "/" + name) + ", key " + key;
    // A literal block's text starts on the line after the key.
    int value_line = it->second.Mark().line + doc.origin.line_offset;
    inner.line_offset = value_line + 1;
    inner.column_offset = block_indent(file_content, value_line + 1);
    parse_documents(inner, it->second.Scalar(), out, errors);
  }
}

}  // namespace

void parse_documents(const Origin& origin, const std::string& content, std::vector<Document>& out,
                     std::vector<LoadError>& errors) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(content);
  } catch (const YAML::Exception& e) {
    Reader(origin, errors).error(e.mark, "YAML syntax error: " + e.msg);
    return;
  }
  for (YAML::Node& node : nodes) {
    if (node.IsNull()) continue;  // empty document between separators
    Document doc{origin, node};
    if (node.IsMap() && node["kind"] && node["kind"].IsScalar() && node["kind"].Scalar() == "ConfigMap" &&
        origin.context.empty()) {
      expand_config_map(doc, content, out, errors);
      continue;
    }
    out.push_back(std::move(doc));
  }
}

std::optional<DocumentKey> key_of(const YAML::Node& node) {
  if (!node.IsMap() || !node["kind"] || !node["kind"].IsScalar()) return std::nullopt;
  YAML::Node metadata = node["metadata"];
  if (!metadata || !metadata.IsMap() || !metadata["name"] || !metadata["name"].IsScalar()) return std::nullopt;
  return DocumentKey{node["kind"].Scalar(), metadata["name"].Scalar()};
}

std::set<DocumentKey> document_keys(const RuleSource& source) {
  std::vector<Document> documents;
  std::vector<LoadError> ignored;
  parse_documents(Origin{source.file, {}, 0, 0}, source.content, documents, ignored);
  std::set<DocumentKey> keys;
  for (const Document& doc : documents) {
    if (auto key = key_of(doc.node)) keys.insert(std::move(*key));
  }
  return keys;
}

}  // namespace releasegate::policy
