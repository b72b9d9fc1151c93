#include "core/evidence.h"

#include <algorithm>

namespace releasegate {

bool is_evidence_kind(std::string_view kind) {
  return std::find(std::begin(kEvidenceKinds), std::end(kEvidenceKinds), kind) != std::end(kEvidenceKinds);
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

std::string EvidenceSet::index_key(EvidenceOf of, std::string_view key) {
  std::string out(of == EvidenceOf::Image ? "i " : "c ");
  return out.append(key);
}

void EvidenceSet::add(EvidenceRecord record) {
  by_key_[index_key(record.of, record.key)].push_back(static_cast<std::uint32_t>(records_.size()));
  records_.push_back(std::move(record));
}

std::vector<const EvidenceRecord*> EvidenceSet::find(EvidenceOf of, std::string_view key,
                                                     std::string_view environment, std::string_view tag,
                                                     std::string_view digest) const {
  std::vector<const EvidenceRecord*> found;
  auto it = by_key_.find(index_key(of, key));
  if (it == by_key_.end()) return found;
  for (std::uint32_t i : it->second) {
    const EvidenceRecord& r = records_[i];
    if (r.environment != environment) continue;
    bool same = !digest.empty() && !r.digest.empty() ? r.digest == digest : !tag.empty() && r.tag == tag;
    if (same) found.push_back(&r);
  }
  return found;
}

}  // namespace releasegate
