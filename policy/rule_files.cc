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
      if (!listed.insert(path.string()).second) continue;
      // Stat before reading: a change between the two shows next time.
      std::optional<FileStamp> stamp = stamp_of(path);
      auto previous = known && stamp ? known->find(path.string()) : FileStamps::const_iterator{};
      if (known && stamp && previous != known->end() && previous->second.unchanged(*stamp)) {
        read.stamps.emplace(path.string(), previous->second);
        read.unchanged.insert(path.string());
        read.sources.push_back({path.string(), {}});
        continue;
      }
      std::optional<std::string> content = read_file(path);
      if (!content) {
        read.errors.push_back({path.string(), {}, 0, 0, "cannot read file"});
        continue;
      }
      if (stamp) read.stamps.emplace(path.string(), *stamp);
      read.sources.push_back({path.string(), std::move(*content)});
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
