// What really runs in each environment: the versions of each image
// repository in running Pods (with the digest the kubelet pulled, from
// status.containerStatuses[].imageID) and of each chart in HelmReleases
// (the version helm-controller last applied, when its status says so).
// Git says what was promoted; this says what is running.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "audit/listed_object.h"
#include "core/request.h"
#include "core/rule_set.h"
#include "engine/evidence_requirement.h"

namespace releasegate::audit {

struct RunningVersion {
  std::string environment;
  std::string artifact;  // an image repository ("ghcr.io/acme/podinfo") or a chart ("chart podinfo")
  std::string version;   // the tag or chart version ("" when the image has none)
  std::string digest;    // images: the digest running, when known
  bool chart = false;
  std::size_t count = 0;  // Pods or HelmReleases
  std::string chart_key = {};  // charts: RuleSet::chart_key, when the HelmRelease names its source
  // Whether it ran healthy there (engine::evidence_summary): "healthy since
  // 2026-12-02T14:02:00Z, observed in this cluster", "degraded at ...", "none".
  std::string evidence = {};
};

using Inventory = std::vector<RunningVersion>;  // sorted by environment, artifact, version, digest

class InventoryBuilder {
 public:
  // A Pod in `environment` (running or pending: not Succeeded or Failed):
  // what its container statuses say runs, else (before they exist) the
  // images its spec's containers name.
  void add_pod(const std::string& environment, const ListedObject& pod, const ObjectView& spec);
  // A HelmRelease in `environment`.
  void add_helm_release(const std::string& environment, const nlohmann::json& release);
  // With each version's evidence, from the rules' records and what the
  // evidence observer saw (when given).
  Inventory finish(const RuleSet& rules, const engine::Observations& observations) const;

 private:
  void count(const std::string& environment, const std::string& artifact, const std::string& version,
             const std::string& digest, bool chart, const std::string& chart_key = {});
  // (environment, artifact, version, digest, chart, chart key)
  std::map<std::tuple<std::string, std::string, std::string, std::string, bool, std::string>, std::size_t> counts_;
};

}  // namespace releasegate::audit
