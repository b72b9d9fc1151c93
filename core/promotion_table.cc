#include "core/promotion_table.h"

#include <algorithm>
#include <tuple>

namespace releasegate {

std::string PromotedVersion::text() const {
  if (digest.empty()) return std::string(tag);
  if (tag.empty()) return std::string(digest);
  return std::string(tag) + "@" + std::string(digest);
}

std::uint32_t PromotionTable::key_hash(std::string_view key) {
  return static_cast<std::uint32_t>(std::hash<std::string_view>{}(key));
}

std::span<const PromotionTable::Version> PromotionTable::versions(std::uint32_t r) const {
  const Record& record = records_[r];
  return std::span(versions_).subspan(record.first_version, record.version_count);
}

std::span<const PromotionTable::EnvironmentUse> PromotionTable::uses(std::uint32_t r) const {
  const Record& record = records_[r];
  return std::span(uses_).subspan(record.first_use, record.use_count);
}

const PromotionTable::Version* PromotionTable::find_tag(std::uint32_t r, EnvironmentId env,
                                                        std::string_view tag) const {
  if (tag.empty()) return nullptr;
  auto range = versions(r);
  auto it = std::lower_bound(range.begin(), range.end(), std::tuple(env, tag), [this](const Version& v, auto wanted) {
    return std::tuple(v.environment, text(v.tag)) < wanted;
  });
  if (it == range.end() || it->environment != env || text(it->tag) != tag) return nullptr;
  return &*it;
}

bool PromotionTable::has_digest(std::uint32_t r, EnvironmentId env, std::string_view digest) const {
  if (digest.empty()) return false;
  const Record& record = records_[r];
  auto range = std::span(by_digest_).subspan(record.first_version, record.version_count);
  auto key_of = [this](std::uint32_t i) { return std::tuple(versions_[i].environment, text(versions_[i].digest)); };
  auto it = std::lower_bound(range.begin(), range.end(), std::tuple(env, digest),
                             [&](std::uint32_t i, auto wanted) { return key_of(i) < wanted; });
  return it != range.end() && key_of(*it) == std::tuple(env, digest);
}

std::size_t PromotionTable::memory_bytes() const {
  std::size_t bytes = arena_.capacity() + records_.capacity() * sizeof(Record) +
                      versions_.capacity() * sizeof(Version) + by_digest_.capacity() * sizeof(std::uint32_t) +
                      uses_.capacity() * sizeof(EnvironmentUse);
  for (const std::string& name : environment_names_) bytes += sizeof(std::string) + name.capacity();
  return bytes;
}

void PromotionTable::Builder::begin_record(std::string_view key, std::uint32_t document, WrittenAt at) {
  finish_record();
  Record record;
  record.key = intern(key);
  record.hash = key_hash(key);
  record.first_version = static_cast<std::uint32_t>(table_->versions_.size());
  record.first_use = static_cast<std::uint32_t>(table_->uses_.size());
  record.document = document;
  record.at = at;
  table_->records_.push_back(record);
  open_ = true;
}

bool PromotionTable::Builder::use_environment(std::string_view environment, WrittenAt at) {
  auto id = environment_id(environment);
  if (!id) return false;
  table_->uses_.push_back({*id, at});
  ++table_->records_.back().use_count;
  return true;
}

PromotionTable::Builder::Added PromotionTable::Builder::add_version(std::string_view environment,
                                                                    std::string_view tag, std::string_view digest,
                                                                    WrittenAt at) {
  auto id = environment_id(environment);
  if (!id) return Added::TooManyEnvironments;
  std::string prefix{static_cast<char>(*id)};
  if (!tag.empty() && !seen_.insert(prefix + "t" + std::string(tag)).second) return Added::DuplicateTag;
  if (!digest.empty() && !seen_.insert(prefix + "d" + std::string(digest)).second) return Added::DuplicateDigest;
  Record& record = table_->records_.back();
  table_->versions_.push_back({intern(tag), intern(digest), record.version_count++, *id, at});
  return Added::Yes;
}

void PromotionTable::Builder::mark_errors() {
  if (open_) table_->records_.back().has_errors = true;
}

std::shared_ptr<const PromotionTable> PromotionTable::Builder::build() {
  finish_record();
  table_->arena_.shrink_to_fit();
  table_->records_.shrink_to_fit();
  table_->versions_.shrink_to_fit();
  table_->uses_.shrink_to_fit();
  interned_ = {};
  return std::shared_ptr<const PromotionTable>(std::move(table_));
}

PromotionTable::Text PromotionTable::Builder::intern(std::string_view text) {
  if (text.empty()) return {};
  if (auto it = interned_.find(text); it != interned_.end()) return it->second;
  Text stored{static_cast<std::uint32_t>(table_->arena_.size()), static_cast<std::uint32_t>(text.size())};
  table_->arena_.append(text);
  interned_.emplace(std::string(text), stored);
  return stored;
}

std::optional<PromotionTable::EnvironmentId> PromotionTable::Builder::environment_id(std::string_view name) {
  auto& names = table_->environment_names_;
  auto it = std::find(names.begin(), names.end(), name);
  if (it != names.end()) return static_cast<EnvironmentId>(it - names.begin());
  if (names.size() == kMaxEnvironmentNames) return std::nullopt;
  names.emplace_back(name);
  return static_cast<EnvironmentId>(names.size() - 1);
}

// Sorts the record's versions for binary search, and indexes its digests.
void PromotionTable::Builder::finish_record() {
  if (!open_) return;
  open_ = false;
  seen_.clear();
  const Record& record = table_->records_.back();
  auto begin = table_->versions_.begin() + record.first_version;
  const PromotionTable& table = *table_;
  std::sort(begin, table_->versions_.end(), [&table](const Version& a, const Version& b) {
    return std::tuple(a.environment, table.text(a.tag)) < std::tuple(b.environment, table.text(b.tag));
  });
  auto& by_digest = table_->by_digest_;
  std::size_t first = by_digest.size();
  for (std::uint32_t i = 0; i < record.version_count; ++i) by_digest.push_back(record.first_version + i);
  std::sort(by_digest.begin() + static_cast<std::ptrdiff_t>(first), by_digest.end(),
            [&table](std::uint32_t a, std::uint32_t b) {
              const Version& va = table.versions_[a];
              const Version& vb = table.versions_[b];
              return std::tuple(va.environment, table.text(va.digest)) <
                     std::tuple(vb.environment, table.text(vb.digest));
            });
}

}  // namespace releasegate
