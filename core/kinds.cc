#include "core/kinds.h"

namespace releasegate {

std::string_view to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::GitRepository: return "GitRepository";
    case SourceKind::HelmRepository: return "HelmRepository";
    case SourceKind::OCIRepository: return "OCIRepository";
    case SourceKind::Bucket: return "Bucket";
  }
  return "GitRepository";
}

std::optional<SourceKind> source_kind_from_string(std::string_view kind) {
  for (SourceKind k : kSourceKinds) {
    if (to_string(k) == kind) return k;
  }
  return std::nullopt;
}

const KindInfo* find_kind(std::string_view group, std::string_view kind) {
  // Sixteen rows: a scan is cheaper than hashing the two strings.
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind && info.group == group) return &info;
  }
  return nullptr;
}

}  // namespace releasegate
