// Splitting rule sources into YAML documents, internal to the rules
// compiler: ConfigMap manifests are expanded into the documents of their
// *.yaml / *.yml keys, located in the file that holds them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/compiler.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

struct Document {
  Origin origin;
  yaml::Node node;
  std::shared_ptr<const yaml::Tree> tree;  // holds node's storage
};

// Parses `content` into documents (empty ones skipped); a ConfigMap at the
// top level of a file is replaced by the documents of its rules keys.
void parse_documents(const Origin& origin, const std::string& content, std::vector<Document>& out,
                     std::vector<LoadError>& errors);

// A document's kind and metadata.name, when it has both.
std::optional<DocumentKey> key_of(const yaml::Node& node);

}  // namespace releasegate::policy
