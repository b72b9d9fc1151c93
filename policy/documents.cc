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
  const yaml::Node& node = doc.node;
  // A missing node, or one of another type, answers every lookup with a
  // missing node and every scalar with "": a scalar `metadata` has no name.
  yaml::Node metadata = node["metadata"];
  const std::string& name = metadata["name"].scalar();
  const std::string& ns = metadata["namespace"].scalar();
  if (metadata["labels"][marks::kRules].scalar() != "true") {
    reader.error(node, "ConfigMap " + name + " is not labelled " + std::string(marks::kRules) +
                           ": \"true\"; only rules ConfigMaps belong in a rules directory");
    return;
  }
  yaml::Node data = node["data"];
  if (!data) return;
  if (!data.is_map()) {
    reader.error(data, "ConfigMap data must be a map");
    return;
  }
  for (auto [key_node, value] : data.entries()) {
    const std::string& key = key_node.scalar();
    if (!key.ends_with(".yaml") && !key.ends_with(".yml")) continue;
    if (!value.is_scalar()) {
      reader.error(value, "ConfigMap key " + key + " must hold a string of YAML documents");
      continue;
    }
    Origin inner = doc.origin;
    inner.context = "ConfigMap " + (ns.empty() ? name : ns + "/" + name) + ", key " + key;
    inner.config_map = name;
    // A literal block's text starts on the line after the key.
    int value_line = value.mark().line + doc.origin.line_offset;
    inner.line_offset = value_line + 1;
    inner.column_offset = block_indent(file_content, value_line + 1);
    parse_documents(inner, value.scalar(), out, errors);
  }
}

}  // namespace

void parse_documents(const Origin& origin, const std::string& content, std::vector<Document>& out,
                     std::vector<LoadError>& errors) {
  yaml::Tree::Parsed parsed = yaml::Tree::parse(content);
  for (const yaml::Tree::Error& error : parsed.errors) Reader(origin, errors).error(error.mark, error.message);
  if (!parsed.errors.empty()) return;
  for (yaml::Node node : parsed.documents) {
    if (!node || node.is_null()) continue;  // empty document between separators
    Document doc{origin, node, parsed.tree};
    if (node["kind"].scalar() == "ConfigMap" && origin.context.empty()) {
      expand_config_map(doc, content, out, errors);
      continue;
    }
    out.push_back(std::move(doc));
  }
}

std::optional<DocumentKey> key_of(const yaml::Node& node) {
  if (!node["kind"].is_scalar() || !node["metadata"]["name"].is_scalar()) return std::nullopt;
  return DocumentKey{node["kind"].scalar(), node["metadata"]["name"].scalar()};
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
