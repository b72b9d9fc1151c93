// Evidence records as rules documents (kind Evidence, policy/README.md):
// what `releasegate evidence export` writes for CI to commit, and what the
// observer persists in its ConfigMap so that a restart loses nothing. Read
// back with the rules compiler itself, so the two can never disagree.
#pragma once

#include <string>
#include <vector>

#include "core/evidence.h"
#include "policy/compiler.h"

namespace releasegate::evidence {

// One Evidence document per (environment, cluster), its records sorted;
// a degraded record, or one not yet healthy, proves nothing and is left
// out. An ongoing period is written as observed until `now`.
std::string render_evidence(const EvidenceSet& evidence, UnixSeconds now);

// The records of Evidence documents in `text` (other documents are
// ignored); errors say where, as for rules files.
std::vector<EvidenceRecord> read_evidence(const std::string& text, const std::string& source,
                                          std::vector<policy::LoadError>& errors);

}  // namespace releasegate::evidence
