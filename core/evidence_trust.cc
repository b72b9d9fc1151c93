#include "core/evidence_trust.h"

#include <algorithm>

namespace releasegate {

std::string EvidenceVerification::vouches_for(UnixSeconds observed_until) const {
  if (!error.empty() || observed_until <= valid_until) return error;
  return "it was signed by a key trusted until " + rfc3339(valid_until) + " (validUntil), and a record was observed until " +
         rfc3339(observed_until) + ": a retired key vouches for nothing after it";
}

EvidenceVerification EvidenceTrust::verify(const signing::Envelope& envelope, std::string_view cluster,
                                           std::string_view environment) const {
  bool cluster_known = false, environment_known = false, verified = false;
  UnixSeconds valid_until = std::numeric_limits<UnixSeconds>::min();
  for (const TrustedEvidenceKey& trusted : keys) {
    if (trusted.cluster != cluster) continue;
    cluster_known = true;
    if (std::find(trusted.environments.begin(), trusted.environments.end(), environment) == trusted.environments.end()) {
      continue;
    }
    environment_known = true;
    if (!signing::signed_by(envelope, trusted.key)) continue;
    verified = true;
    valid_until = std::max(valid_until, trusted.valid_until.value_or(std::numeric_limits<UnixSeconds>::max()));
  }
  EvidenceVerification out;
  if (verified) {
    out.valid_until = valid_until;
  } else {
    out.error = why_not(envelope, cluster, environment, cluster_known, environment_known);
  }
  return out;
}

std::string EvidenceTrust::why_not(const signing::Envelope& envelope, std::string_view cluster,
                                   std::string_view environment, bool cluster_known, bool environment_known) {
  std::string claim = "it claims cluster " + std::string(cluster) + " and environment " + std::string(environment);
  if (!cluster_known) {
    return claim + ", and no key is trusted for cluster " + std::string(cluster) +
           " (ReleasePolicy spec.evidence.trust)";
  }
  if (!environment_known) {
    return claim + ", and no key trusted for cluster " + std::string(cluster) + " is trusted for environment " +
           std::string(environment) + " (ReleasePolicy spec.evidence.trust[].environments)";
  }
  std::string signers;
  for (const signing::Signature& s : envelope.signatures) {
    if (!s.keyid.empty()) signers += (signers.empty() ? "" : ", ") + s.keyid.substr(0, 12);
  }
  return claim + ", and its signature does not verify with any key trusted for them" +
         (signers.empty() ? std::string() : " (signed by key " + signers + "...)");
}

}  // namespace releasegate
