#include "core/promotion_index.h"

#include <algorithm>

namespace releasegate {

std::optional<PromotedVersion> PromotedVersions::find_tag(std::string_view tag) const {
  if (!table_) return std::nullopt;
  const PromotionTable::Version* version = table_->find_tag(record_, environment_, tag);
  if (!version) return std::nullopt;
  return table_->version(*version);
}

bool PromotedVersions::has_digest(std::string_view digest) const {
  return table_ && table_->has_digest(record_, environment_, digest);
}

std::vector<PromotedVersion> PromotedVersions::in_written_order() const {
  if (!table_) return {};
  std::vector<const PromotionTable::Version*> mine;
  for (const PromotionTable::Version& v : table_->versions(record_)) {
    if (v.environment == environment_) mine.push_back(&v);
  }
  std::sort(mine.begin(), mine.end(), [](auto* a, auto* b) { return a->written < b->written; });
  std::vector<PromotedVersion> out;
  out.reserve(mine.size());
  for (const auto* v : mine) out.push_back(table_->version(*v));
  return out;
}

std::uint32_t PromotionIndex::add_table(std::shared_ptr<const PromotionTable> table,
                                        const std::vector<std::string>& environments) {
  Table added{std::move(table), {}};
  added.local.fill(kAbsent);
  const auto& names = added.table->environment_names();
  for (std::size_t env = 0; env < environments.size() && env < kMaxEnvironments; ++env) {
    auto it = std::find(names.begin(), names.end(), environments[env]);
    if (it != names.end()) added.local[env] = static_cast<std::uint8_t>(it - names.begin());
  }
  tables_.push_back(std::move(added));
  return static_cast<std::uint32_t>(tables_.size() - 1);
}

void PromotionIndex::reserve(std::size_t records) {
  while (slots_.size() < 2 * records) grow();
}

std::optional<PromotionIndex::Entry> PromotionIndex::add_record(std::uint32_t table, std::uint32_t record) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  const PromotionTable& added = *tables_[table].table;
  std::uint32_t hash = added.record(record).hash;
  std::string_view key = added.key(record);
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.table == kEmpty) {
      slot = {hash, table, record};
      ++size_;
      version_count_ += added.record(record).version_count;
      return std::nullopt;
    }
    if (slot.hash == hash && tables_[slot.table].table->key(slot.record) == key) return Entry{slot.table, slot.record};
  }
}

const PromotionIndex::Slot* PromotionIndex::slot_of(std::string_view key) const {
  if (slots_.empty()) return nullptr;
  std::uint32_t hash = PromotionTable::key_hash(key);
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.table == kEmpty) return nullptr;
    if (slot.hash == hash && tables_[slot.table].table->key(slot.record) == key) return &slot;
  }
}

PromotedVersions PromotionIndex::find(std::string_view key, std::size_t environment) const {
  const Slot* slot = slot_of(key);
  if (!slot || environment >= kMaxEnvironments) return {};
  const Table& table = tables_[slot->table];
  std::uint8_t local = table.local[environment];
  if (local == kAbsent) return {};
  return PromotedVersions(table.table.get(), slot->record, local);
}

std::vector<std::string_view> PromotionIndex::keys() const {
  std::vector<std::string_view> out;
  out.reserve(size_);
  for (const Slot& slot : slots_) {
    if (slot.table != kEmpty) out.push_back(tables_[slot.table].table->key(slot.record));
  }
  return out;
}

// Doubles the slot array (at least 16) and re-places every entry.
void PromotionIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max<std::size_t>(16, old.size() * 2), Slot{});
  std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.table == kEmpty) continue;
    std::size_t i = slot.hash & mask;
    while (slots_[i].table != kEmpty) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

std::size_t PromotionIndex::memory_bytes() const {
  std::size_t bytes = slots_.capacity() * sizeof(Slot) + tables_.capacity() * sizeof(Table);
  for (const Table& t : tables_) bytes += t.table->memory_bytes();
  return bytes;
}

}  // namespace releasegate
