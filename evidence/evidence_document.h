// Evidence records as rules documents (kind Evidence, policy/README.md):
// what `releasegate evidence export` writes for CI to commit, and what the
// observer persists in its ConfigMap so that a restart loses nothing. Each
// document is a DSSE envelope over an in-toto Statement, signed with the
// cluster's key (core/evidence_trust.h). Read back with the rules compiler
// itself, so the two can never disagree.
#pragma once

#include <string>
#include <vector>

#include "core/evidence.h"
#include "core/evidence_trust.h"
#include "signing/signing_key.h"
#include "core/rule_set.h"
#include "policy/compiler.h"

namespace releasegate::evidence {

// One Evidence document per (environment, cluster), its records sorted,
// signed with `key`; a degraded record, or one not yet healthy, proves
// nothing and is left out. An ongoing period is written as observed until
// `now`.
std::string render_evidence(const EvidenceSet& evidence, UnixSeconds now, const signing::SigningKey& key);

// The statements render_evidence signs, unsigned: equal exactly when the
// documents say the same (an ECDSA signature differs at each signing), so
// that unchanged evidence is not written again.
std::string evidence_statements(const EvidenceSet& evidence, UnixSeconds now);

// The records of Evidence documents in `text` (other documents are
// ignored) that a key of `trust` signed for their cluster and environment;
// errors say where, as for rules files, and why a document is not trusted
// (its records are dropped).
std::vector<EvidenceRecord> read_evidence(const std::string& text, const std::string& source,
                                          const EvidenceTrust& trust, std::vector<policy::LoadError>& errors);

// `key` trusted for `cluster` in every environment, with the policy's own
// entries for it: what this cluster reads its own persisted evidence with
// (a key rotated out stays readable while the policy still trusts it).
EvidenceTrust own_trust(const signing::SigningKey& key, const std::string& cluster, const RuleSet& rules);

}  // namespace releasegate::evidence
