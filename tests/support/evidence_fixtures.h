// Shared by the evidence suites: a policy whose prod requires 30 minutes of
// evidence from staging, its promotions, and workloads and HelmReleases
// with the status their controllers write when healthy, rolling out or
// failed.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/evidence_trust.h"
#include "core/time_text.h"
#include "policy/compiler.h"
#include "signing/dsse.h"
#include "tests/support/test_support.h"

namespace releasegate::testing {

// 2026-12-02T14:02:00Z: the tests' clock starts here.
inline constexpr UnixSeconds kT0 = 1796220120;

// The tests' evidence signing key, made once per process (Ed25519: its
// signatures are deterministic, so rendered evidence compares equal).
inline const signing::SigningKey& test_signing_key() {
  static const signing::SigningKey key = signing::SigningKey::generate(signing::KeyType::Ed25519);
  return key;
}

// A ReleasePolicy's `evidence.trust` entry, as YAML at the spec's indentation.
inline std::string trust_entry(const std::string& cluster, const std::string& environments,
                               const signing::PublicKey& key, const std::string& valid_until = "") {
  std::string pem = key.pem(), indented;
  for (std::size_t at = 0, next; at < pem.size(); at = next + 1) {
    next = pem.find('\n', at);
    if (next == std::string::npos) next = pem.size();
    indented += "            " + pem.substr(at, next - at) + "\n";
  }
  return "      - cluster: " + cluster + "\n        environments: " + environments +
         (valid_until.empty() ? "" : "\n        validUntil: \"" + valid_until + "\"") +
         "\n        publicKeys:\n          - |\n" + indented;
}

// kTestPolicy with `requires: {soak: 30m}` on prod (evidence from staging,
// the environment before it), trusting the test key for staging-eu-1's
// evidence of staging and prod, and `more_trust` entries (trust_entry).
inline std::string evidence_policy(const std::string& requires_text = "requires: {soak: 30m}",
                                   const std::string& more_trust = "") {
  std::string policy = kTestPolicy;
  const std::string prod = "      requireDigest: true\n";
  policy.replace(policy.find(prod), prod.size(), prod + "      " + requires_text + "\n");
  const std::string spec = "spec:\n";
  policy.replace(policy.find(spec), spec.size(),
                 spec + "  evidence:\n    trust:\n" +
                     trust_entry("staging-eu-1", "[staging, prod]", test_signing_key().public_key()) + more_trust);
  return policy;
}

// An Evidence document as `releasegate evidence export` writes it: the
// in-toto Statement of `predicate` (cluster, environment, images, charts;
// its subjects the images' digests), in a DSSE envelope signed by `key`.
inline std::string signed_evidence(const std::string& name, const nlohmann::json& predicate,
                                   const signing::SigningKey& key = test_signing_key()) {
  nlohmann::json subjects = nlohmann::json::array();
  if (predicate.contains("images") && predicate["images"].is_array()) {
    for (const nlohmann::json& image : predicate["images"]) {
      std::string digest = image.is_object() ? image.value("digest", "") : "";
      if (digest.starts_with("sha256:")) {
        subjects.push_back({{"name", image.value("repository", "")}, {"digest", {{"sha256", digest.substr(7)}}}});
      }
    }
  }
  nlohmann::json statement = {{"_type", kInTotoStatementType},
                              {"subject", subjects},
                              {"predicateType", kEvidencePredicateType},
                              {"predicate", predicate}};
  signing::Envelope envelope = signing::sign_envelope(signing::kInTotoPayloadType, statement.dump(), key);
  std::string out = "apiVersion: releasegate.io/v1alpha1\nkind: Evidence\nmetadata:\n  name: " + name +
                    "\nspec:\n  payloadType: " + envelope.payload_type + "\n  payload: " +
                    signing::base64_encode(envelope.payload) + "\n  signatures:\n";
  for (const signing::Signature& sig : envelope.signatures) {
    out += "    - keyid: \"" + sig.keyid + "\"\n      sig: " + signing::base64_encode(sig.sig) + "\n";
  }
  return out;
}

// The trust evidence_policy() gives the test key, for reading persisted evidence.
inline EvidenceTrust test_trust() {
  return {{{"staging-eu-1", {"dev", "staging", "prod"}, test_signing_key().public_key(), std::nullopt}}};
}

inline const std::string kEvidencePromotion = R"(apiVersion: releasegate.io/v1alpha1
kind: Promotion
metadata:
  name: podinfo
spec:
  images:
    - repository: ghcr.io/acme/podinfo
      environments:
        staging: ["6.5.0", "6.5.1@)" + kDigest651 + R"("]
        prod: ["6.5.0@)" + kDigest650 + R"(", "6.5.1@)" + kDigest651 + R"("]
  charts:
    - source: HelmRepository/flux-system/podinfo
      chart: podinfo
      environments:
        staging: ["6.5.1", "6.5.0"]
        prod: ["6.5.0", "6.5.1"]
)";

// The evidence policy and promotions, plus more sources (Evidence documents).
inline policy::LoadResult evidence_rules(std::vector<policy::RuleSource> more = {},
                                         const std::string& requires_text = "requires: {soak: 30m}") {
  std::vector<policy::RuleSource> sources = {{"policy.yaml", evidence_policy(requires_text)},
                                             {"promotion.yaml", kEvidencePromotion}};
  for (auto& s : more) sources.push_back(std::move(s));
  return policy::compile_rules(sources);
}

// A Deployment's status as the deployment controller writes it.
enum class Rollout { Complete, Progressing, Unavailable };
inline nlohmann::json with_status(nlohmann::json deployment, Rollout rollout, UnixSeconds since) {
  int replicas = deployment["spec"].value("replicas", 1);
  int updated = rollout == Rollout::Progressing ? replicas - 1 : replicas;
  int ready = rollout == Rollout::Unavailable ? 0 : updated;
  deployment["metadata"]["generation"] = 3;
  deployment["status"] = {
      {"observedGeneration", 3},
      {"replicas", replicas},
      {"updatedReplicas", updated},
      {"readyReplicas", ready},
      {"availableReplicas", ready},
      {"conditions",
       {{{"type", "Available"},
         {"status", rollout == Rollout::Unavailable ? "False" : "True"},
         {"reason", rollout == Rollout::Unavailable ? "MinimumReplicasUnavailable" : "MinimumReplicasAvailable"},
         {"lastTransitionTime", rfc3339(since)},
         {"lastUpdateTime", rfc3339(since)}},
        {{"type", "Progressing"},
         {"status", "True"},
         {"reason", rollout == Rollout::Complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated"},
         {"lastTransitionTime", rfc3339(since)},
         {"lastUpdateTime", rfc3339(since)}}}}};
  return deployment;
}

// A StatefulSet of two replicas rolled out at `revision`, as its
// controller writes it: healthy, and its status says no time.
inline nlohmann::json stateful_set(const std::string& ns, const std::string& image, const std::string& revision = "r1") {
  nlohmann::json sts = deployment(ns, image);
  sts["kind"] = "StatefulSet";
  sts["metadata"]["generation"] = 1;
  sts["status"] = {{"observedGeneration", 1}, {"replicas", 2},           {"readyReplicas", 2},
                   {"updatedReplicas", 2},    {"availableReplicas", 2}, {"currentRevision", revision},
                   {"updateRevision", revision}};
  return sts;
}

// A HelmRelease of chart podinfo from HelmRepository flux-system/podinfo,
// its status after helm-controller installed `version` (ok: or failed).
inline nlohmann::json helm_release(const std::string& ns, const std::string& version, bool ok, UnixSeconds at) {
  return {{"apiVersion", "helm.toolkit.fluxcd.io/v2"},
          {"kind", "HelmRelease"},
          {"metadata", {{"name", "podinfo"}, {"namespace", ns}, {"generation", 2}}},
          {"spec",
           {{"interval", "10m"},
            {"chart",
             {{"spec",
               {{"chart", "podinfo"},
                {"version", version},
                {"sourceRef", {{"kind", "HelmRepository"}, {"name", "podinfo"}, {"namespace", "flux-system"}}}}}}}}},
          {"status",
           {{"observedGeneration", 2},
            {"conditions",
             {{{"type", "Ready"},
               {"status", ok ? "True" : "False"},
               {"reason", ok ? "UpgradeSucceeded" : "UpgradeFailed"},
               {"lastTransitionTime", rfc3339(at)}}}},
            {"history",
             {{{"chartName", "podinfo"},
               {"chartVersion", version},
               {"status", ok ? "deployed" : "failed"},
               {"firstDeployed", rfc3339(at)},
               {"lastDeployed", rfc3339(at)}}}}}}};
}

}  // namespace releasegate::testing
