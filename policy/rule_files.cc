#include "policy/rule_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include <sys/stat.h>
#include <time.h>

namespace releasegate::policy {
namespace {

// The whole file in one string, read in one pass (a rule set can be tens
// of megabytes, read again on every reload).
std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  std::string content(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(content.data(), static_cast<std::streamsize>(content.size()))) return std::nullopt;
  return content;
}

std::optional<FileStamp> stamp_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return FileStamp{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                   static_cast<std::uint64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim), ns(now)};
}

struct RulesFile {
  std::filesystem::path path;
  std::string config_map;  // the ConfigMap volume it is in, when it is in one
};

// The *.yaml / *.yml files of a directory, sorted, skipping hidden entries.
void yaml_files(const std::filesystem::path& dir, const std::string& config_map, std::vector<RulesFile>& into,
                std::error_code& ec) {
  namespace fs = std::filesystem;
  std::size_t first = into.size();
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".")) continue;  // kubelet's ..data and timestamped dirs
    if (!name.ends_with(".yaml") && !name.ends_with(".yml")) continue;
    if (!fs::is_regular_file(entry.path(), ec)) continue;  // follows symlinks
    into.push_back({entry.path(), config_map});
  }
  std::sort(into.begin() + static_cast<std::ptrdiff_t>(first), into.end(),
            [](const RulesFile& a, const RulesFile& b) { return a.path < b.path; });  // deterministic error order
}

// A rules directory's files, and those of each ConfigMap volume mounted in
// it (a subdirectory with kubelet's `..data`): one directory per ConfigMap,
// so that keys never collide and each file's ConfigMap is known.
std::vector<RulesFile> rules_files(const std::string& dir, std::error_code& ec) {
  namespace fs = std::filesystem;
  std::vector<RulesFile> files;
  yaml_files(dir, {}, files, ec);
  if (ec) return files;
  std::vector<fs::path> volumes;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::error_code ignored;
    bool hidden = entry.path().filename().string().starts_with(".");
    if (!hidden && fs::is_directory(entry.path(), ignored) && fs::exists(entry.path() / "..data", ignored)) {
      volumes.push_back(entry.path());
    }
  }
  std::sort(volumes.begin(), volumes.end());
  for (const fs::path& volume : volumes) yaml_files(volume, volume.filename().string(), files, ec);
  return files;
}

}  // namespace

bool FileStamp::unchanged(const FileStamp& now) const {
  constexpr std::int64_t kSettled = 1'000'000'000;
  bool same = device == now.device && inode == now.inode && size == now.size && modified_ns == now.modified_ns &&
              changed_ns == now.changed_ns;
  return same && read_ns - modified_ns > kSettled && read_ns - changed_ns > kSettled;
}

SourcesRead read_rule_sources(const std::vector<std::string>& directories, const FileStamps* known) {
  namespace fs = std::filesystem;
  SourcesRead read;
  std::unordered_set<std::string> listed;  // a directory given twice is read once
  for (const std::string& dir : directories) {
    std::error_code ec;
    std::vector<RulesFile> files = rules_files(dir, ec);
    if (ec) {
      read.errors.push_back({dir, {}, 0, 0, "cannot read rules directory: " + ec.message()});
      continue;
    }
    for (const auto& [path, config_map] : files) {
      if (!listed.insert(path.string()).second) continue;
      // Stat before reading: a change between the two shows next time.
      std::optional<FileStamp> stamp = stamp_of(path);
      auto previous = known && stamp ? known->find(path.string()) : FileStamps::const_iterator{};
      if (known && stamp && previous != known->end() && previous->second.unchanged(*stamp)) {
        read.stamps.emplace(path.string(), previous->second);
        read.unchanged.insert(path.string());
        read.sources.push_back({path.string(), {}, config_map});
        continue;
      }
      std::optional<std::string> content = read_file(path);
      if (!content) {
        read.errors.push_back({path.string(), {}, 0, 0, "cannot read file"});
        continue;
      }
      if (stamp) read.stamps.emplace(path.string(), *stamp);
      read.sources.push_back({path.string(), std::move(*content), config_map});
    }
  }
  return read;
}

LoadResult load_rules(const std::vector<std::string>& directories, const LoadOptions& options) {
  SourcesRead read = read_rule_sources(directories);
  if (!read.errors.empty()) return {nullptr, nullptr, std::move(read.errors), {}};
  return compile_rules(read.sources, options);
}

}  // namespace releasegate::policy
