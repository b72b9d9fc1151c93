// The delivery objects themselves (Kustomization, HelmRelease, HelmChart,
// Application) are governed by the strictest environment they reach, so a
// hand edit of an approved delivery in flux-system is out-of-band; and
// finalizer changes are changes, except the controllers' routine ones.
#include <gtest/gtest.h>

#include "engine/subject.h"
#include "policy/compiler.h"
#include "tests/engine/engine_fixture.h"

namespace releasegate {
namespace {

using nlohmann::json;

constexpr const char* kHelmController = "system:serviceaccount:flux-system:helm-controller";
constexpr const char* kSourceController = "system:serviceaccount:flux-system:source-controller";
constexpr const char* kHuman = "alice@acme.example";

// flux-system has no environment and is not exempt, as in the example
// policy; each apps-* Kustomization delivers to one environment and the
// root (flux bootstrap's flux-system) to all.
const char* const kPolicy = R"(apiVersion: releasegate.io/v1alpha1
kind: ReleasePolicy
metadata:
  name: platform
spec:
  environments:
    - name: dev
      namespaces: ["dev"]
    - name: staging
      namespaces: ["staging"]
    - name: prod
      namespaces: ["prod"]
  gitops:
    identities:
      - system:serviceaccount:flux-system:kustomize-controller
      - system:serviceaccount:flux-system:helm-controller
      - system:serviceaccount:argocd:argocd-application-controller
    deliveries:
      - kustomization: flux-system/flux-system
      - kustomization: flux-system/apps-dev
        environments: [dev]
      - kustomization: flux-system/apps-prod
        environments: [prod]
      - helmRelease: "*/podinfo"
      - argoApplication: guestbook-prod
        environments: [prod]
  breakGlass:
    groups: [platform-oncall]
)";

const char* const kPromotion = R"(apiVersion: releasegate.io/v1alpha1
kind: Promotion
metadata:
  name: podinfo
spec:
  charts:
    - source: HelmRepository/flux-system/podinfo
      chart: podinfo
      environments:
        dev: ["6.5.2", "6.5.1", "6.5.0"]
        staging: ["6.5.1", "6.5.0"]
        prod: ["6.5.0"]
)";

json marks_of(const std::string& kustomization) {
  return {{"kustomize.toolkit.fluxcd.io/name", kustomization}, {"kustomize.toolkit.fluxcd.io/namespace", "flux-system"}};
}

json kustomization(const std::string& ns, const std::string& name, const std::string& applied_by = "flux-system") {
  return {{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
          {"kind", "Kustomization"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", marks_of(applied_by)}}},
          {"spec",
           {{"interval", "5m"},
            {"path", "./apps/" + name},
            {"prune", true},
            {"sourceRef", {{"kind", "GitRepository"}, {"name", "fleet"}}}}}};
}

json podinfo_release(const std::string& ns, const std::string& version, const std::string& applied_by) {
  json chart{{"chart", "podinfo"},
             {"version", version},
             {"sourceRef", {{"kind", "HelmRepository"}, {"name", "podinfo"}, {"namespace", "flux-system"}}}};
  json hr = helm_release(chart, ns);
  hr["metadata"]["labels"] = marks_of(applied_by);
  return hr;
}

ReviewSpec request(const json& object, const std::string& user, const std::string& operation = "CREATE") {
  std::string api_version = object["apiVersion"];
  ReviewSpec spec;
  spec.group = api_version.substr(0, api_version.find('/'));
  spec.version = api_version.substr(api_version.find('/') + 1);
  spec.kind = object["kind"];
  spec.namespace_ = object["metadata"]["namespace"];
  spec.name = object["metadata"]["name"];
  spec.user = user;
  spec.operation = operation;
  if (operation == "DELETE") {
    spec.old_object = object;
  } else {
    spec.object = object;
  }
  return spec;
}

// An UPDATE from `before` to `after`.
ReviewSpec update(const json& before, const json& after, const std::string& user) {
  ReviewSpec spec = request(after, user, "UPDATE");
  spec.old_object = before;
  return spec;
}

class DeliveryObjects : public ::testing::Test {
 protected:
  std::shared_ptr<const RuleSet> rules = [] {
    policy::LoadResult loaded = policy::compile_rules({{"p.yaml", kPolicy}, {"q.yaml", kPromotion}});
    if (!loaded.rules) throw std::runtime_error(loaded.errors.front().to_string());
    return loaded.rules;
  }();
  Evaluated run(const ReviewSpec& spec) { return evaluate(spec, *rules); }
  std::optional<std::size_t> environment_of(const ReviewSpec& spec) {
    admission::ReviewParseResult parsed = admission::parse_admission_review(testing::review(spec));
    return engine::governed_environment(*rules, parsed.review->request);
  }
  std::string name_of(std::optional<std::size_t> env) { return env ? rules->environments[*env].name : "none"; }
};

// apps-prod lives in flux-system, which has no environment: as an approved
// delivery to prod it is governed as prod. Flux applying it (with the
// root's marks) is allowed; a hand edit or delete is out-of-band.
TEST_F(DeliveryObjects, AnApprovedDeliveryIsGovernedAsTheEnvironmentItDeliversTo) {
  json apps_prod = kustomization("flux-system", "apps-prod");
  EXPECT_EQ(name_of(environment_of(request(apps_prod, testing::kFluxKustomizeController))), "prod");
  EXPECT_EQ(name_of(environment_of(request(kustomization("flux-system", "apps-dev"), kHuman))), "dev");
  EXPECT_EQ(run(request(apps_prod, testing::kFluxKustomizeController)).outcome, Outcome::Allow);

  json repointed = apps_prod;
  repointed["spec"]["path"] = "./scratch";
  Evaluated patched = run(update(apps_prod, repointed, kHuman));
  ASSERT_TRUE(patched.has(Rule::Provenance)) << patched.messages();
  EXPECT_NE(patched.message(Rule::Provenance).find("governed as prod: an approved delivery to prod"), std::string::npos)
      << patched.messages();
  EXPECT_EQ(run(update(apps_prod, repointed, testing::kFluxKustomizeController)).outcome, Outcome::Allow);
  EXPECT_TRUE(run(request(apps_prod, kHuman, "DELETE")).has(Rule::Provenance));
  // `flux suspend` by hand is an out-of-band change too.
  json suspended = apps_prod;
  suspended["spec"]["suspend"] = true;
  EXPECT_TRUE(run(update(apps_prod, suspended, kHuman)).has(Rule::Provenance));

  // Applied by a Kustomization that is not approved for prod: denied even
  // for Flux.
  EXPECT_TRUE(run(request(kustomization("flux-system", "apps-prod", "apps-dev"), testing::kFluxKustomizeController))
                  .has(Rule::Provenance));
}

// Own namespace and target namespace: the strictest wins, and a target
// without an environment does not take the object out of prod.
TEST_F(DeliveryObjects, TheStrictestOfOwnAndTargetNamespaceGoverns) {
  json in_prod = kustomization("prod", "scratch");
  in_prod["spec"]["targetNamespace"] = "scratch";
  EXPECT_EQ(name_of(environment_of(request(in_prod, kHuman))), "prod");
  EXPECT_TRUE(run(request(in_prod, kHuman)).has(Rule::Provenance));

  json to_dev = podinfo_release("prod", "6.5.2", "flux-system");
  to_dev["spec"]["targetNamespace"] = "dev";
  Evaluated prod_chart = run(request(to_dev, testing::kFluxKustomizeController));
  EXPECT_TRUE(prod_chart.has(Rule::ChartPromotion)) << prod_chart.messages();
  json to_prod = podinfo_release("dev", "6.5.2", "flux-system");
  to_prod["spec"]["targetNamespace"] = "prod";
  EXPECT_TRUE(run(request(to_prod, testing::kFluxKustomizeController)).has(Rule::ChartPromotion));
}

// "*/podinfo" may deliver to every environment; a HelmRelease in dev
// installs into dev and stays a dev release: dev's versions apply.
TEST_F(DeliveryObjects, AHelmReleaseWithANamespaceIsNotGovernedByEveryEnvironmentItsEntryAllows) {
  ReviewSpec dev = request(podinfo_release("dev", "6.5.2", "flux-system"), testing::kFluxKustomizeController);
  EXPECT_EQ(name_of(environment_of(dev)), "dev");
  EXPECT_EQ(run(dev).outcome, Outcome::Allow) << run(dev).messages();
  // In flux-system it installs into flux-system, which has no environment:
  // its role reaches every environment, so prod's versions apply.
  ReviewSpec platform = request(podinfo_release("flux-system", "6.5.2", "flux-system"), testing::kFluxKustomizeController);
  EXPECT_EQ(name_of(environment_of(platform)), "prod");
  EXPECT_TRUE(run(platform).has(Rule::ChartPromotion));
}

// A delivery object that is not itself approved, in a namespace without an
// environment, is governed by the delivery whose marks it carries.
TEST_F(DeliveryObjects, MarksGovernWhenNothingElseDoes) {
  json hr = podinfo_release("flux-system", "6.5.0", "apps-prod");
  hr["metadata"]["name"] = "ingress";
  hr["spec"]["targetNamespace"] = "ingress";
  ReviewSpec spec = request(hr, kHuman);
  EXPECT_EQ(name_of(environment_of(spec)), "prod");
  Evaluated e = run(spec);
  ASSERT_TRUE(e.has(Rule::Provenance)) << e.messages();
  EXPECT_NE(e.message(Rule::Provenance).find("applied by a delivery approved for prod"), std::string::npos);
  // A second mark of a dev delivery does not make it a dev object.
  hr["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"] = "podinfo";
  hr["metadata"]["labels"]["helm.toolkit.fluxcd.io/namespace"] = "dev";
  EXPECT_EQ(name_of(environment_of(request(hr, kHuman))), "prod");
  // Without marks or a role it has no environment: not governed.
  hr["metadata"].erase("labels");
  EXPECT_EQ(environment_of(request(hr, kHuman)), std::nullopt);
}

// The HelmChart that helm-controller generates for dev/podinfo, in the
// source's namespace: a dev object, although "*/podinfo" may deliver to
// every environment.
TEST_F(DeliveryObjects, AChartGeneratedForADevReleaseIsADevObject) {
  json chart{{"apiVersion", "source.toolkit.fluxcd.io/v1"},
             {"kind", "HelmChart"},
             {"metadata",
              {{"name", "dev-podinfo"},
               {"namespace", "flux-system"},
               {"labels", {{"helm.toolkit.fluxcd.io/name", "podinfo"}, {"helm.toolkit.fluxcd.io/namespace", "dev"}}}}},
             {"spec",
              {{"chart", "podinfo"},
               {"version", "6.5.2"},
               {"sourceRef", {{"kind", "HelmRepository"}, {"name", "podinfo"}}},
               {"interval", "10m"}}}};
  ReviewSpec spec = request(chart, kHelmController);
  EXPECT_EQ(name_of(environment_of(spec)), "dev");
  EXPECT_EQ(run(spec).outcome, Outcome::Allow) << run(spec).messages();
}

TEST_F(DeliveryObjects, AnArgoApplicationWithoutADestinationNamespaceIsGovernedByItsRole) {
  json app{{"apiVersion", "argoproj.io/v1alpha1"},
           {"kind", "Application"},
           {"metadata", {{"name", "guestbook-prod"}, {"namespace", "argocd"}}},
           {"spec",
            {{"project", "default"},
             {"source", {{"repoURL", "https://github.com/acme/fleet"}, {"path", "guestbook"}}},
             {"destination", {{"server", "https://kubernetes.default.svc"}}}}}};
  EXPECT_EQ(name_of(environment_of(request(app, kHuman))), "prod");
  EXPECT_TRUE(run(request(app, kHuman)).has(Rule::Provenance));
  app["metadata"]["name"] = "guestbook-dev";
  EXPECT_EQ(environment_of(request(app, kHuman)), std::nullopt);
}

// Removing Flux's finalizer from a live HelmRelease means deleting it would
// leave its Helm release installed: a change. The controllers' routine
// finalizer work (adding their own, removing on deletion) is not.
TEST_F(DeliveryObjects, FinalizerChangesAreChangesButNotTheControllersRoutineOnes) {
  json hr = podinfo_release("prod", "6.5.0", "flux-system");
  json finalized = hr;
  finalized["metadata"]["finalizers"] = {"finalizers.fluxcd.io"};
  EXPECT_EQ(run(update(hr, finalized, kHelmController)).outcome, Outcome::Allow)
      << run(update(hr, finalized, kHelmController)).messages();

  Evaluated removed = run(update(finalized, hr, kHuman));
  ASSERT_TRUE(removed.has(Rule::Provenance)) << removed.messages();
  EXPECT_NE(removed.message(Rule::Provenance).find("/metadata/finalizers"), std::string::npos) << removed.messages();
  EXPECT_TRUE(run(update(finalized, hr, kHelmController)).has(Rule::Provenance));

  json deleting = finalized;
  deleting["metadata"]["deletionTimestamp"] = "2026-12-01T20:00:00Z";
  json released = deleting;
  released["metadata"].erase("finalizers");
  EXPECT_EQ(run(update(deleting, released, kHelmController)).outcome, Outcome::Allow);

  // Another finalizer added by hand keeps a pruned object from going away.
  json held = finalized;
  held["metadata"]["finalizers"].push_back("acme.example/keep");
  EXPECT_TRUE(run(update(finalized, held, kHuman)).has(Rule::Provenance));
  // Flux's finalizer only belongs on Flux's kinds.
  ReviewSpec pod = testing::pod_review("prod", "ghcr.io/acme/podinfo:6.5.0", kHuman);
  pod.operation = "UPDATE";
  pod.old_object = pod.object;
  pod.object["metadata"]["finalizers"] = {"finalizers.fluxcd.io"};
  EXPECT_TRUE(run(pod).has(Rule::Provenance));
}

// source-controller is not a GitOps identity, but it adds its finalizer to
// every source it reconciles, in any namespace.
TEST_F(DeliveryObjects, SourceControllerAddsItsFinalizerToASourceInProd) {
  json repo{{"apiVersion", "source.toolkit.fluxcd.io/v1"},
            {"kind", "HelmRepository"},
            {"metadata", {{"name", "podinfo"}, {"namespace", "prod"}, {"labels", marks_of("apps-prod")}}},
            {"spec", {{"interval", "10m"}, {"url", "https://stefanprodan.github.io/podinfo"}}}};
  json finalized = repo;
  finalized["metadata"]["finalizers"] = {"finalizers.fluxcd.io"};
  EXPECT_EQ(run(update(repo, finalized, kSourceController)).outcome, Outcome::Allow);
}

// Every namespace exempt: not governed; one not exempt is enough.
TEST(DeliveryObjectsExempt, OnlyADeliveryWhoseNamespacesAreAllExemptIsNotGoverned) {
  std::string policy = kPolicy;
  policy += "  exempt:\n    namespaces: [scratch]\n";
  policy::LoadResult loaded = policy::compile_rules({{"p.yaml", policy}});
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  json in_prod = kustomization("prod", "x");
  in_prod["spec"]["targetNamespace"] = "scratch";
  EXPECT_TRUE(evaluate(request(in_prod, kHuman), *loaded.rules).has(Rule::Provenance));
  json in_scratch = kustomization("scratch", "apps-prod");
  in_scratch["spec"]["targetNamespace"] = "scratch";
  EXPECT_EQ(evaluate(request(in_scratch, kHuman), *loaded.rules).outcome, Outcome::NotGoverned);
}

// Exempting the namespace of an approved delivery takes the delivery out
// of governance: lint says so.
TEST(DeliveryObjectsExempt, AnExemptNamespaceHoldingAnApprovedDeliveryIsAWarning) {
  std::string policy = std::string(kPolicy) + "  exempt:\n    namespaces: [flux-system]\n";
  policy::LoadResult loaded = policy::compile_rules({{"p.yaml", policy}});
  ASSERT_TRUE(loaded.rules);
  ASSERT_FALSE(loaded.warnings.empty());
  EXPECT_NE(loaded.warnings[0].message.find("holds the approved delivery kustomization flux-system/flux-system"),
            std::string::npos)
      << loaded.warnings[0].to_string();
}

// The documented way to keep platform HelmReleases in flux-system out of
// the app environments: an environment of their own, open, with no
// namespaces, that they are approved deliveries of.
TEST(DeliveryObjectsPlatform, PlatformReleasesCanHaveAnEnvironmentOfTheirOwn) {
  std::string policy = kPolicy;
  policy.replace(policy.find("  gitops:"), 0, "    - {name: platform, promotion: open, after: []}\n");
  policy.replace(policy.find("      - argoApplication"), 0,
                 "      - {helmRelease: flux-system/ingress-nginx, environments: [platform]}\n");
  policy::LoadResult loaded = policy::compile_rules({{"p.yaml", policy}, {"q.yaml", kPromotion}});
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  json hr = podinfo_release("flux-system", "4.11.3", "flux-system");
  hr["metadata"]["name"] = "ingress-nginx";
  hr["spec"]["targetNamespace"] = "ingress-nginx";
  hr["spec"]["chart"]["spec"]["chart"] = "ingress-nginx";
  Evaluated e = evaluate(request(hr, testing::kFluxKustomizeController), *loaded.rules);
  EXPECT_EQ(e.outcome, Outcome::Allow) << e.messages();
  EXPECT_EQ(e.decision.environment, "platform");
  EXPECT_TRUE(evaluate(request(hr, kHuman), *loaded.rules).has(Rule::Provenance));
}

// A default environment is the last resort: it never hides a delivery's
// role or marks.
TEST(DeliveryObjectsDefault, TheDefaultEnvironmentDoesNotHideARoleOrMarks) {
  std::string policy = kPolicy;
  policy.replace(policy.find("  gitops:"), 0, "  defaultEnvironment: dev\n");
  policy::LoadResult loaded = policy::compile_rules({{"p.yaml", policy}, {"q.yaml", kPromotion}});
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  auto env_of = [&](const ReviewSpec& spec) {
    auto parsed = admission::parse_admission_review(testing::review(spec));
    auto env = engine::governed_environment(*loaded.rules, parsed.review->request);
    return env ? loaded.rules->environments[*env].name : "none";
  };
  EXPECT_EQ(env_of(request(kustomization("flux-system", "apps-prod"), kHuman)), "prod");
  json hr = podinfo_release("flux-system", "6.5.0", "apps-prod");
  hr["metadata"]["name"] = "ingress";
  hr["spec"]["targetNamespace"] = "ingress";
  EXPECT_EQ(env_of(request(hr, kHuman)), "prod");
  hr["metadata"]["labels"] = json::object();
  EXPECT_EQ(env_of(request(hr, kHuman)), "dev");  // nothing else: the default
}

// Removing the marks in the change that edits the object does not take it
// out of its environment: the old object's marks count too.
TEST_F(DeliveryObjects, MarksRemovedInTheSameUpdateStillGovern) {
  json hr = podinfo_release("flux-system", "6.5.0", "apps-prod");
  hr["metadata"]["name"] = "ingress";
  hr["spec"]["targetNamespace"] = "ingress";
  json unmarked = hr;
  unmarked["metadata"].erase("labels");
  unmarked["spec"]["chart"]["spec"]["version"] = "9.9.9";
  Evaluated e = run(update(hr, unmarked, kHuman));
  EXPECT_TRUE(e.has(Rule::Provenance)) << e.messages();
  EXPECT_TRUE(e.has(Rule::ChartPromotion)) << e.messages();
}

// "Strictest" follows the promotion graph, not the list order: prod listed
// first, after staging, is still the stricter of the two.
TEST(DeliveryObjectsGraph, StrictestFollowsThePromotionGraph) {
  std::string policy = kPolicy;
  const std::string listed = "    - name: dev\n      namespaces: [\"dev\"]\n    - name: staging\n      namespaces: "
                             "[\"staging\"]\n    - name: prod\n      namespaces: [\"prod\"]\n";
  policy.replace(policy.find(listed), listed.size(),
                 "    - name: prod\n      namespaces: [\"prod\"]\n      after: [staging]\n"
                 "    - name: dev\n      namespaces: [\"dev\"]\n      after: []\n"
                 "    - name: staging\n      namespaces: [\"staging\"]\n      after: [dev]\n");
  policy::LoadResult loaded = policy::compile_rules({{"p.yaml", policy}});
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  json hr = podinfo_release("staging", "6.5.1", "flux-system");
  hr["spec"]["targetNamespace"] = "prod";
  auto parsed = admission::parse_admission_review(testing::review(request(hr, testing::kFluxKustomizeController)));
  auto env = engine::governed_environment(*loaded.rules, parsed.review->request);
  ASSERT_TRUE(env);
  EXPECT_EQ(loaded.rules->environments[*env].name, "prod");
}

}  // namespace
}  // namespace releasegate
