// Which keys the policy trusts to sign evidence (ReleasePolicy
// spec.evidence.trust, policy/README.md#evidence): each key for one
// cluster and the environments that cluster may prove. An Evidence
// document is a DSSE envelope over an in-toto Statement; it counts only
// when a key trusted for the cluster and the environment its statement
// claims verifies its signature. Verified when the rules compile (and when
// persisted evidence is read back), never per request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "signing/dsse.h"

namespace releasegate {

// The statement's type URIs (in-toto Statement v1, and releasegate's predicate).
inline constexpr std::string_view kInTotoStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kEvidencePredicateType = "https://releasegate.io/evidence/v1";

struct TrustedEvidenceKey {
  std::string cluster;
  std::vector<std::string> environments;  // that this cluster's evidence may prove
  signing::PublicKey key;
};

struct EvidenceTrust {
  std::vector<TrustedEvidenceKey> keys;

  // Empty when a key trusted for `cluster` and `environment` signed
  // `envelope`; else why not, for a message (no key for the cluster, none
  // for the environment, or no signature that verifies).
  std::string verify(const signing::Envelope& envelope, std::string_view cluster, std::string_view environment) const;
};

}  // namespace releasegate
