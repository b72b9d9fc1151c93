// Reading rules files from directories (a mounted ConfigMap volume, or a
// checkout) into sources for compile_rules. Included by policy/compiler.h.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "policy/compiler.h"

namespace releasegate::policy {

// A file as stat saw it (following symlinks) when it was read.
struct FileStamp {
  std::uint64_t device = 0, inode = 0, size = 0;
  std::int64_t modified_ns = 0, changed_ns = 0;
  std::int64_t read_ns = 0;  // when it was read (system clock)

  // Whether `now` shows the same file, unchanged since it was read. A
  // stamp is trusted only for a file last changed over a second before
  // it was read: a write within the clock's granularity of the read
  // would leave the times as they were ("racy" stamps, as Git calls them).
  bool unchanged(const FileStamp& now) const;
};
using FileStamps = std::unordered_map<std::string, FileStamp>;

struct SourcesRead {
  std::vector<RuleSource> sources;
  std::vector<LoadError> errors;  // unreadable directories or files
  FileStamps stamps;              // of every file read or found unchanged
  // Files whose stamp showed them unchanged: their content was not read
  // (empty in `sources`).
  std::unordered_set<std::string> unchanged;
};

// Reads every *.yaml / *.yml file (following symlinks, skipping hidden
// entries such as kubelet's `..data`) of each directory, and of each
// ConfigMap volume mounted in it (a subdirectory holding `..data`, named
// after its ConfigMap: RuleSource::config_map), in a stable order;
// with `known`, a file whose stamp there shows it unchanged is not read.
SourcesRead read_rule_sources(const std::vector<std::string>& directories, const FileStamps* known = nullptr);

// read_rule_sources, then compile_rules.
LoadResult load_rules(const std::vector<std::string>& directories, const LoadOptions& options = {});

}  // namespace releasegate::policy
