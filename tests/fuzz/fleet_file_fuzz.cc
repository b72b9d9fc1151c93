// Fleet and cluster files (lint --fleet, serve --cluster-file): text in,
// clusters or located errors out; then checked against a fleet policy.
#include <cstdlib>
#include <string>

#include "policy/compiler.h"
#include "policy/fleet.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

namespace {

const RuleSet& fleet_policy() {
  static const auto rules = policy::compile_rules({{"policy.yaml", R"(apiVersion: releasegate.io/v1alpha1
kind: ReleasePolicy
metadata: {name: fleet}
spec:
  environments:
    - {name: staging-europe, clusters: {labels: {region: europe}}, namespaces: [staging], after: []}
    - {name: prod-europe, clusters: {names: ["eu-*"], labels: {region: europe}}, namespaces: ["prod*"]}
    - {name: uat, clusters: {names: [uat], labels: {region: uat}}}
)"}}).rules;
  if (!rules) std::abort();
  return *rules;
}

void check_errors(const std::vector<policy::LoadError>& errors) {
  for (const policy::LoadError& error : errors) {
    if (error.message.empty() || error.line < 0 || error.column < 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(fuzz::as_text(data, size));
  policy::FleetFile fleet = policy::read_fleet_file({"fleet.yaml", text});
  check_errors(fleet.errors);
  if (fleet.errors.empty()) {
    if (fleet.clusters.empty()) std::abort();  // a fleet names at least one cluster
    if (policy::describe_fleet(fleet_policy(), fleet).size() != fleet.clusters.size()) std::abort();
    check_errors(policy::check_fleet(fleet_policy(), fleet, "fleet.yaml"));
  }
  policy::FleetFile one = policy::read_cluster_file({"cluster.yaml", text});
  check_errors(one.errors);
  if (one.errors.empty() && one.clusters.size() > 1) std::abort();
  return 0;
}
