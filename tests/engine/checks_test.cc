// Which check runs when: the kinds table and the check table together
// decide it (engine/checks.cc); these cases pin the decisions down.
#include "engine/checks.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace releasegate::engine {
namespace {

struct Case {
  const char* what;
  GroupVersionKind kind;
  Operation operation;
  std::string namespace_;
  std::string username;
  std::vector<std::string_view> expected;  // check names, in order
};

std::vector<std::string_view> checks_run(const RuleSet& rules, const Case& c) {
  AdmissionRequest request;
  request.kind = c.kind;
  request.operation = c.operation;
  request.namespace_ = c.namespace_;
  request.name = "x";
  request.username = c.username;
  ObjectView object;
  object.namespace_ = c.namespace_;
  if (c.operation == Operation::Delete) {
    request.old_object = object;
  } else {
    request.object = object;
  }
  std::vector<std::string_view> names;
  std::optional<Subject> subject = subject_of(rules, request);
  if (!subject) return names;
  for (const Check& check : checks()) {
    if (runs(check, *subject)) names.push_back(check.name);
  }
  return names;
}

TEST(Checks, EachRunsForItsKindsAndWhen) {
  // The test policy, approving a source and exempting no Flux namespace:
  // flux-system has no environment; kube-system is exempt by default.
  std::string policy = testing::kTestPolicy;
  policy.replace(policy.find("namespaces: [sandbox]"), 21, "namespaces: [tools]");
  policy.replace(policy.find("    identities:"), 0,
                 "    sources:\n      - kind: GitRepository\n        url: https://github.com/acme/fleet\n");
  policy::LoadResult loaded = policy::compile_rules({{"policy.yaml", policy}, {"promotion.yaml", testing::kTestPromotion}});
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  auto rules = loaded.rules;
  ASSERT_FALSE(rules->approved_sources.empty());
  const GroupVersionKind deployment{"apps", "v1", "Deployment"}, pod{"", "v1", "Pod"},
      kustomization{"kustomize.toolkit.fluxcd.io", "v1", "Kustomization"},
      helm_release{"helm.toolkit.fluxcd.io", "v2", "HelmRelease"},
      git_repository{"source.toolkit.fluxcd.io", "v1", "GitRepository"},
      helm_chart{"source.toolkit.fluxcd.io", "v1", "HelmChart"}, application{"argoproj.io", "v1alpha1", "Application"},
      config_map{"", "v1", "ConfigMap"}, service{"", "v1", "Service"};
  const std::string flux = testing::kFluxKustomizeController;
  const std::string node = "system:serviceaccount:kube-system:replicaset-controller";
  std::vector<Case> cases = {
      {"workload in an environment", deployment, Operation::Create, "prod", flux,
       {"provenance", "container-images", "evidence"}},
      {"pod in an environment", pod, Operation::Update, "prod", flux, {"provenance", "container-images", "evidence"}},
      {"deleting runs nothing but provenance", deployment, Operation::Delete, "prod", flux, {"provenance"}},
      {"an exempt requester skips provenance only", deployment, Operation::Create, "prod", node,
       {"container-images", "evidence"}},
      {"no environment: a workload is not governed", deployment, Operation::Create, "flux-system", flux, {}},
      {"a HelmRelease in an environment", helm_release, Operation::Create, "prod", flux,
       {"provenance", "source", "tenant-account", "charts", "values-images", "evidence"}},
      {"a Kustomization without an environment: sources and tenants only", kustomization, Operation::Create,
       "flux-system", flux, {"source", "tenant-account"}},
      {"a Flux source in flux-system", git_repository, Operation::Create, "flux-system", flux, {"source"}},
      {"deleting a Flux source checks nothing without an environment", git_repository, Operation::Delete,
       "flux-system", flux, {}},
      {"a HelmChart in an environment", helm_chart, Operation::Create, "prod", flux,
       {"provenance", "source", "charts", "evidence"}},
      {"an Application in an environment", application, Operation::Update, "prod", flux,
       {"provenance", "source", "charts", "evidence"}},
      {"an exempt namespace", deployment, Operation::Create, "kube-system", flux, {}},
      {"rules ConfigMaps are validated elsewhere", config_map, Operation::Create, "prod", flux, {}},
      {"unknown kinds are not governed", service, Operation::Create, "prod", flux, {}},
  };
  for (const Case& c : cases) EXPECT_EQ(checks_run(*rules, c), c.expected) << c.what;
}

TEST(Checks, EveryGovernedKindHasACheckAndEveryCheckAGovernedKind) {
  for (const KindInfo& kind : kKinds) {
    bool checked = false;
    for (const Check& check : checks()) {
      checked = checked || check.kinds.contains(kind.kind_class);
    }
    EXPECT_EQ(checked, is_governed(kind.kind_class)) << kind.kind;
  }
}

}  // namespace
}  // namespace releasegate::engine
