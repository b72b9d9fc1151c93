#include "policy/rule_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace releasegate::policy {

SourcesRead read_rule_sources(const std::vector<std::string>& directories) {
  namespace fs = std::filesystem;
  SourcesRead read;
  for (const std::string& dir : directories) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(".")) continue;  // kubelet's ..data and timestamped dirs
      if (!name.ends_with(".yaml") && !name.ends_with(".yml")) continue;
      if (!fs::is_regular_file(entry.path(), ec)) continue;  // follows symlinks
      files.push_back(entry.path());
    }
    if (ec) {
      read.errors.push_back({dir, {}, 0, 0, "cannot read rules directory: " + ec.message()});
      continue;
    }
    std::sort(files.begin(), files.end());  // deterministic error order
    for (const fs::path& path : files) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      if (!in) {
        read.errors.push_back({path.string(), {}, 0, 0, "cannot read file"});
        continue;
      }
      read.sources.push_back({path.string(), content.str()});
    }
  }
  return read;
}

LoadResult load_rules(const std::vector<std::string>& directories, const LoadOptions& options) {
  SourcesRead read = read_rule_sources(directories);
  if (!read.errors.empty()) return {nullptr, nullptr, std::move(read.errors)};
  return compile_rules(read.sources, options);
}

}  // namespace releasegate::policy
