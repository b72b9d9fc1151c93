// Every Promotion record of a rule set by key, over the tables of its
// sources (core/promotion_table.h): one open-addressing array of (table,
// record) slots, filled when the sources are linked. Each table's
// environment names are resolved to the policy's environment indexes once,
// when it is added, so a lookup is a hash probe and a binary search.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/promotion_table.h"

namespace releasegate {

inline constexpr std::size_t kMaxEnvironments = 64;

// The versions of one record promoted to one environment; empty when
// nothing is.
class PromotedVersions {
 public:
  PromotedVersions() = default;
  PromotedVersions(const PromotionTable* table, std::uint32_t record, PromotionTable::EnvironmentId environment)
      : table_(table), record_(record), environment_(environment) {}

  // The version promoted under that tag, with its digest when one is.
  std::optional<PromotedVersion> find_tag(std::string_view tag) const;
  bool has_digest(std::string_view digest) const;
  // In the order written (the newest promotion is usually the last).
  std::vector<PromotedVersion> in_written_order() const;

 private:
  const PromotionTable* table_ = nullptr;
  std::uint32_t record_ = 0;
  PromotionTable::EnvironmentId environment_ = 0;
};

class PromotionIndex {
 public:
  struct Entry {
    std::uint32_t table = 0;
    std::uint32_t record = 0;
  };

  // Adds a table, its environment names resolved against the policy's
  // environments (in order); returns its number for add_record.
  std::uint32_t add_table(std::shared_ptr<const PromotionTable> table, const std::vector<std::string>& environments);
  // Indexes a record of an added table under its key; when the key is
  // already indexed, leaves it and returns the entry that holds it.
  std::optional<Entry> add_record(std::uint32_t table, std::uint32_t record);
  void reserve(std::size_t records);

  PromotedVersions find(std::string_view key, std::size_t environment) const;
  bool contains(std::string_view key) const { return slot_of(key) != nullptr; }
  // Every key indexed, in no particular order.
  std::vector<std::string_view> keys() const;
  std::size_t size() const { return size_; }
  std::size_t version_count() const { return version_count_; }
  const PromotionTable& table(std::uint32_t t) const { return *tables_[t].table; }
  std::size_t table_count() const { return tables_.size(); }
  // Heap bytes of the index and of its tables.
  std::size_t memory_bytes() const;

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t table = kEmpty;
    std::uint32_t record = 0;
  };
  struct Table {
    std::shared_ptr<const PromotionTable> table;
    // Policy environment index -> the table's environment id, or kAbsent.
    std::array<std::uint8_t, kMaxEnvironments> local;
  };
  static constexpr std::uint8_t kAbsent = UINT8_MAX;

  const Slot* slot_of(std::string_view key) const;
  void grow();

  std::vector<Table> tables_;
  std::vector<Slot> slots_;  // size a power of two, at most half full
  std::size_t size_ = 0;
  std::size_t version_count_ = 0;
};

}  // namespace releasegate
