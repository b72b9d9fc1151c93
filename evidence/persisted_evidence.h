// Where the observer keeps what it proved across restarts: Evidence
// documents (evidence_document.h) in one ConfigMap of releasegate's own
// namespace, under kEvidenceKey. Read by the observer at start and by
// `releasegate evidence export`; written by the observer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/evidence.h"
#include "core/evidence_trust.h"
#include "kube/client.h"

namespace releasegate::evidence {

inline constexpr std::string_view kEvidenceKey = "evidence.yaml";

struct PersistedEvidence {
  bool read = false;    // the ConfigMap was read, or does not exist
  std::string text;     // its Evidence documents, as written
  std::vector<EvidenceRecord> records;
  std::string error;    // why it could not be read, or what in it is invalid
};

// Its documents signed by a key of `trust` (evidence_document.h's
// own_trust); any other is dropped and reported in `error`.
PersistedEvidence read_persisted(kube::Client& client, const std::string& namespace_, const std::string& name,
                                 const EvidenceTrust& trust);

// Server-side applied (field manager releasegate); empty on success, else why not.
std::string write_persisted(kube::Client& client, const std::string& namespace_, const std::string& name,
                            const std::string& text);

}  // namespace releasegate::evidence
