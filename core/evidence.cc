#include "core/evidence.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace releasegate {

bool is_evidence_kind(std::string_view kind) {
  return std::find(std::begin(kEvidenceKinds), std::end(kEvidenceKinds), kind) != std::end(kEvidenceKinds);
}

bool is_workload_status_writer(std::string_view username) {
  return std::find(std::begin(kWorkloadStatusWriters), std::end(kWorkloadStatusWriters), username) !=
         std::end(kWorkloadStatusWriters);
}

bool makes_owned_objects(std::string_view kind, std::string_view username) {
  return std::any_of(std::begin(kOwnedObjectMakers), std::end(kOwnedObjectMakers), [&](const OwnedObjectMaker& m) {
    return m.kind == kind && (m.username == username || username == "system:kube-controller-manager");
  });
}

std::int64_t EvidenceRecord::healthy_for(UnixSeconds now) const {
  if (degraded_at != 0) return 0;
  // A record cannot prove time that has not passed yet.
  UnixSeconds until = ongoing ? std::max(now, observed_until) : std::min(now, observed_until);
  return std::max<std::int64_t>(0, until - healthy_since);
}

std::string EvidenceRecord::version_text() const {
  if (of == EvidenceOf::Chart) return "chart " + key + " " + tag;
  std::string text = key;
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

bool matches_version(std::string_view record_tag, std::string_view record_digest, std::string_view tag,
                  std::string_view digest) {
  return !digest.empty() && !record_digest.empty() ? record_digest == digest : !tag.empty() && record_tag == tag;
}

std::uint64_t EvidenceSet::hash_of(EvidenceOf of, std::string_view key) {
  return std::hash<std::string_view>{}(key) * 2 + (of == EvidenceOf::Chart ? 1 : 0);
}

EvidenceRecord& EvidenceSet::add(EvidenceRecord record) {
  auto index = static_cast<std::uint32_t>(records_.size());
  auto [newest, added] = newest_.try_emplace(hash_of(record.of, record.key), index);
  previous_.push_back(added ? kNone : std::exchange(newest->second, index));
  return records_.emplace_back(std::move(record));
}

EvidenceRecord* EvidenceSet::same_version(EvidenceOf of, std::string_view key, std::string_view environment,
                                          std::string_view tag, std::string_view digest) {
  auto newest = newest_.find(hash_of(of, key));
  if (newest == newest_.end()) return nullptr;
  for (std::uint32_t i = newest->second; i != kNone; i = previous_[i]) {
    EvidenceRecord& r = records_[i];
    if (r.of == of && r.key == key && r.environment == environment && r.tag == tag && r.digest == digest) return &r;
  }
  return nullptr;
}

std::vector<const EvidenceRecord*> EvidenceSet::find(EvidenceOf of, std::string_view key,
                                                     std::string_view environment, std::string_view tag,
                                                     std::string_view digest) const {
  std::vector<const EvidenceRecord*> found;
  auto newest = newest_.find(hash_of(of, key));
  if (newest == newest_.end()) return found;
  for (std::uint32_t i = newest->second; i != kNone; i = previous_[i]) {
    const EvidenceRecord& r = records_[i];
    if (r.of != of || r.key != key || r.environment != environment) continue;  // another key of the same hash
    if (matches_version(r.tag, r.digest, tag, digest)) found.push_back(&r);
  }
  std::reverse(found.begin(), found.end());  // in the order added
  return found;
}

std::vector<EvidenceRecord> EvidenceSet::records_of(EvidenceOf of, std::string_view key, std::string_view environment,
                                                    std::string_view tag, std::string_view digest) const {
  std::vector<EvidenceRecord> out;
  for (const EvidenceRecord* r : find(of, key, environment, tag, digest)) out.push_back(*r);
  return out;
}

}  // namespace releasegate
