// An environment's evidence requirement (`requires: {evidenceFrom, soak}`,
// core/evidence.h) applied to one version: the rule behind the `evidence`
// check at admission, and behind `lint`'s check of Promotion records at
// pull-request time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/evidence.h"
#include "core/rule_set.h"

namespace releasegate::engine {

// What a decision may read besides the rules and the request: the evidence
// observed in this cluster, and the time. Without an observer (check,
// lint), only the rules' Evidence records count.
struct Observations {
  const EvidenceSource* observed = nullptr;
  UnixSeconds now = wall_clock();
};

// One version of an image or chart, as admitted.
struct EvidenceVersion {
  EvidenceOf of = EvidenceOf::Image;
  std::string key;     // normalised repository, or chart key
  std::string tag;     // tag or chart version
  std::string digest;  // the image's digest, or the one promoted under its tag; may be empty
  std::string text;    // as written, for messages: "image ghcr.io/acme/podinfo:6.5.1"
};

// Nullopt when `version` has the evidence environment `env` requires (or
// it requires none); else what is missing and when it could pass, e.g.
// "image ghcr.io/acme/podinfo:6.5.1 has been healthy in staging for 12 of
// the 30 minutes required; earliest 14:32Z". A version with evidence in
// `env` itself (it runs, or ran, healthy there: a rollback, a re-created
// Deployment) needs no more.
std::optional<std::string> missing_evidence(const RuleSet& rules, std::size_t env, const EvidenceVersion& version,
                                            const Observations& observations);

// What is known of `version` in `environment`, for the audit's
// inventory: "healthy since 2026-12-02T14:02:00Z, observed in this
// cluster", "healthy from ... to ..., Evidence ...", "degraded at ...", or
// "none".
std::string evidence_summary(const RuleSet& rules, const std::string& environment, const EvidenceVersion& version,
                             const Observations& observations);

// Pull-request time (`lint`): every version promoted in `next` to an
// environment that requires evidence, and not promoted there in `base`
// (every one when there is no base), judged by the Evidence records of
// `next` alone; one message per version without enough.
std::vector<std::string> promotions_without_evidence(const RuleSet& next, const RuleSet* base, UnixSeconds now);

}  // namespace releasegate::engine
