// Kubernetes manifests read from YAML files (multi-document), as JSON
// objects, for `releasegate check`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace releasegate::cli {

struct Manifest {
  std::string file;
  int line = 0;  // 1-based line where the document starts
  nlohmann::json object;
};

struct ManifestReadResult {
  std::vector<Manifest> manifests;
  std::string error;  // "file:line:col: message" when the file cannot be read or parsed
};

// Scalars are resolved by the YAML 1.2 core schema (null, bool, int,
// float), quoted scalars kept as strings: what the apiserver would store.
ManifestReadResult read_manifests(const std::string& path);
// The same over text already read; `file` names it in errors. On an error
// no manifest is returned.
ManifestReadResult parse_manifests(const std::string& file, std::string_view content);

}  // namespace releasegate::cli
