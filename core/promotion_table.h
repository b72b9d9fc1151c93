// Promotion records, compact: the records of one rules source (a file, or
// a ConfigMap key) in flat arrays over one string arena, sorted once for
// binary search. A table knows environments by the names written in its
// source, not by a policy's order, so it stays valid when the policy
// changes; it is built once (PromotionTable::Builder), then shared
// read-only by every rule set generation that includes its source, so a
// changed source rebuilds only its own table.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace releasegate {

// A promoted version: views into the table that holds it.
struct PromotedVersion {
  std::string_view tag;     // may be empty for a digest-only record
  std::string_view digest;  // may be empty for a tag-only record
  std::string text() const;
};

// Where a record or version was written in its file (1-based; 0 unknown).
struct WrittenAt {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

class PromotionTable {
 public:
  class Builder;
  using EnvironmentId = std::uint8_t;  // into environment_names()
  static constexpr std::size_t kMaxEnvironmentNames = 255;

  // A string in the arena.
  struct Text {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };
  struct Version {
    Text tag, digest;
    std::uint32_t written = 0;  // order among the record's versions as written
    EnvironmentId environment = 0;
    WrittenAt at;
  };
  // An environment a record names (`environments: {<name>: [...]}`), even
  // with no versions: an unknown name is an error once linked.
  struct EnvironmentUse {
    EnvironmentId environment = 0;
    WrittenAt at;
  };
  struct Record {
    Text key;
    std::uint32_t hash = 0;  // of the key (key_hash), kept for linking
    std::uint32_t first_version = 0, version_count = 0;  // sorted by (environment, tag)
    std::uint32_t first_use = 0, use_count = 0;
    std::uint32_t document = 0;  // which document of the source wrote it
    WrittenAt at;
    bool has_errors = false;  // a record with errors of its own is not chain-checked
  };

  static std::uint32_t key_hash(std::string_view key);

  std::size_t size() const { return records_.size(); }
  const Record& record(std::uint32_t r) const { return records_[r]; }
  std::string_view key(std::uint32_t r) const { return text(records_[r].key); }
  std::span<const Version> versions(std::uint32_t r) const;
  std::span<const EnvironmentUse> uses(std::uint32_t r) const;
  std::string_view text(Text t) const { return std::string_view(arena_).substr(t.offset, t.size); }
  PromotedVersion version(const Version& v) const { return {text(v.tag), text(v.digest)}; }
  const std::vector<std::string>& environment_names() const { return environment_names_; }
  std::size_t version_count() const { return versions_.size(); }

  // Lookups within one record and environment.
  const Version* find_tag(std::uint32_t r, EnvironmentId env, std::string_view tag) const;
  bool has_digest(std::uint32_t r, EnvironmentId env, std::string_view digest) const;

  // Heap bytes held, for the bytes-per-record figure.
  std::size_t memory_bytes() const;

 private:
  std::string arena_;
  std::vector<std::string> environment_names_;
  std::vector<Record> records_;
  std::vector<Version> versions_;
  std::vector<std::uint32_t> by_digest_;  // version indexes, per record sorted by (environment, digest)
  std::vector<EnvironmentUse> uses_;
};

// Writes a table record by record. Strings are interned: a digest promoted
// to three environments is stored once.
class PromotionTable::Builder {
 public:
  enum class Added { Yes, DuplicateTag, DuplicateDigest, TooManyEnvironments };

  void begin_record(std::string_view key, std::uint32_t document, WrittenAt at);
  // The current record names an environment; false past 255 names.
  bool use_environment(std::string_view environment, WrittenAt at);
  // A version of the current record, in an environment it named.
  Added add_version(std::string_view environment, std::string_view tag, std::string_view digest, WrittenAt at);
  void mark_errors();
  std::shared_ptr<const PromotionTable> build();

 private:
  Text intern(std::string_view text);
  std::optional<EnvironmentId> environment_id(std::string_view name);
  void finish_record();

  std::unique_ptr<PromotionTable> table_ = std::make_unique<PromotionTable>();
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Text, Hash, std::equal_to<>> interned_;
  bool open_ = false;
  std::unordered_set<std::string> seen_;  // "<environment id><kind><tag or digest>" in the current record
};

}  // namespace releasegate
