// Which keys the policy trusts to sign evidence (ReleasePolicy
// spec.evidence.trust, policy/README.md#evidence): each key for one
// cluster and the environments that cluster may prove. An Evidence
// document is a DSSE envelope over an in-toto Statement; it counts only
// when a key trusted for the cluster and the environment its statement
// claims verifies its signature. Verified when the rules compile (and when
// persisted evidence is read back), never per request.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_text.h"

#include "signing/dsse.h"

namespace releasegate {

// The statement's type URIs (in-toto Statement v1, and releasegate's predicate).
inline constexpr std::string_view kInTotoStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kEvidencePredicateType = "https://releasegate.io/evidence/v1";

struct TrustedEvidenceKey {
  std::string cluster;
  std::vector<std::string> environments;  // that this cluster's evidence may prove
  signing::PublicKey key;
  // A key retired (or feared leaked) at this time vouches for nothing
  // observed after it: a record whose observedUntil is later is refused.
  std::optional<UnixSeconds> valid_until;
};

// What verifying an envelope found: why it is not trusted, or until when
// the keys that signed it vouch (the latest of them).
struct EvidenceVerification {
  std::string error;
  UnixSeconds valid_until = std::numeric_limits<UnixSeconds>::max();

  // Empty when a record observed until `observed_until` counts; else why not.
  std::string vouches_for(UnixSeconds observed_until) const;
};

struct EvidenceTrust {
  std::vector<TrustedEvidenceKey> keys;

  // Whether a key trusted for `cluster` and `environment` signed
  // `envelope`; if not, why not, for a message (no key for the cluster,
  // none for the environment, or no signature that verifies).
  EvidenceVerification verify(const signing::Envelope& envelope, std::string_view cluster,
                              std::string_view environment) const;

 private:
  static std::string why_not(const signing::Envelope& envelope, std::string_view cluster, std::string_view environment,
                             bool cluster_known, bool environment_known);
};

}  // namespace releasegate
