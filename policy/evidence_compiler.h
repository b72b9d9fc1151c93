// Compiling Evidence documents, internal to the rules compiler: what a
// cluster proved ran healthy in an environment, as `releasegate evidence
// export` writes it (core/evidence.h): a DSSE envelope over an in-toto
// Statement whose predicate holds the records (core/evidence_trust.h).
// Environments and signatures are checked against the policy when sources
// are linked (verified_evidence).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/evidence.h"
#include "core/evidence_trust.h"
#include "core/promotion_table.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// An Evidence record of a source, with where it was written.
struct WrittenEvidence {
  std::uint32_t document = 0;
  WrittenAt at;
  EvidenceRecord record;
  // The document's envelope, shared by its records: verified when linked.
  std::shared_ptr<const signing::Envelope> envelope;
};

// Compiles an Evidence's spec (document number `document`, named `name`).
// Errors go to the reader.
void compile_evidence(Reader& reader, const yaml::Node& spec, std::uint32_t document, const std::string& name,
                      std::vector<WrittenEvidence>& into);

// Whether each record counts: its document's envelope signed by a key
// `trust` trusts for its cluster and environment, still trusted when the
// record was observed. Records of one document share an envelope, which
// is verified once, and a refusal is said once a document.
class EvidenceVerifier {
 public:
  explicit EvidenceVerifier(const EvidenceTrust& trust) : trust_(trust) {}
  struct Verdict {
    bool trusted = false;
    std::optional<std::string> report;  // why not, the first time for its document
  };
  Verdict verify(const WrittenEvidence& written);

 private:
  const EvidenceTrust& trust_;
  std::map<const signing::Envelope*, EvidenceVerification> verified_;
  std::set<const signing::Envelope*> reported_;
};

}  // namespace releasegate::policy
