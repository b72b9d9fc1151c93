// Shared by the evidence suites: a policy whose prod requires 30 minutes of
// evidence from staging, its promotions, and workloads and HelmReleases
// with the status their controllers write when healthy, rolling out or
// failed.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/time_text.h"
#include "policy/compiler.h"
#include "tests/support/test_support.h"

namespace releasegate::testing {

// 2026-12-02T14:02:00Z: the tests' clock starts here.
inline constexpr UnixSeconds kT0 = 1796220120;

// kTestPolicy with `requires: {soak: 30m}` on prod (evidence from staging,
// the environment before it).
inline std::string evidence_policy(const std::string& requires_text = "requires: {soak: 30m}") {
  std::string policy = kTestPolicy;
  const std::string prod = "      requireDigest: true\n";
  policy.replace(policy.find(prod), prod.size(), prod + "      " + requires_text + "\n");
  return policy;
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
