// Flux sources and the objects that reference them, Argo CD Applications,
// tenant identities, images in HelmRelease values and opt-in template
// pinning: decided over the corpus objects and this file's own cases,
// through the real AdmissionReview parser.
#include "engine/checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "engine/digest_pins.h"
#include "engine/engine.h"
#include "policy/compiler.h"
#include "tests/engine/engine_fixture.h"
#include "tests/support/test_support.h"
#include "admission/admission_review.h"
#include "cli/manifest.h"
#include "admission/verdict.h"

namespace releasegate {
namespace {

using nlohmann::json;
using admission::Outcome;

const char* const kPolicy = R"(apiVersion: releasegate.io/v1alpha1
kind: ReleasePolicy
metadata:
  name: platform
spec:
  environments:
    - name: dev
      namespaces: ["dev", "apps"]
      promotion: open
    - name: staging
      namespaces: ["staging", "podinfo"]
    - name: prod
      namespaces: ["prod"]
      requireDigest: true
  gitops:
    identities:
      - system:serviceaccount:flux-system:kustomize-controller
      - system:serviceaccount:flux-system:helm-controller
      - system:serviceaccount:argocd:argocd-application-controller
    tenants:
      - namespaces: ["apps"]
        serviceAccounts: ["dev-team"]
    deliveries:
      - kustomization: "*/*"
        environments: [dev, staging, prod]
      - argoApplication: "*"
        environments: [dev, staging, prod]
    sources:
      - kind: GitRepository
        url: https://github.com/fluxcd/flux2-multi-tenancy
        branches: [main, dev-team]
      - kind: GitRepository
        url: https://github.com/argoproj/argo-cd
        branches: [main, "release-*"]
      - kind: GitRepository
        url: https://github.com/argoproj/argo-cd
        branches: [HEAD]
        environments: [dev]
      - kind: HelmRepository
        url: https://stefanprodan.github.io/podinfo
      - kind: HelmRepository
        url: https://argoproj.github.io/argo-helm
      - kind: HelmRepository
        url: oci://ghcr.io/acme/charts
      - kind: Bucket
        url: minio.minio:9000/manifests
      - kind: OCIRepository
        names: ["flux-system/kyverno-controller"]
        url: oci://ghcr.io/kyverno/manifests/kyverno
        tags: ["v*"]
      - kind: OCIRepository
        names: ["cert-manager/*"]
        url: oci://quay.io/jetstack/charts/cert-manager
        tags: ["v*"]
  images:
    registries: ["ghcr.io/acme/*"]
    forbiddenTags: [latest]
    helmValues:
      - repository: redis.repository
        tag: redis.tag
      - image: sidecar.image
  mutation:
    workloadTemplates: true
)";

const char* const kArgoPromotion = R"(apiVersion: releasegate.io/v1alpha1
kind: Promotion
metadata:
  name: argo-workflows
spec:
  charts:
    - source: https://argoproj.github.io/argo-helm
      chart: argo-workflows
      environments:
        staging: ["0.45.27"]
    - source: oci://ghcr.io/acme/charts
      chart: podinfo
      environments:
        staging: ["6.5.0"]
)";

std::shared_ptr<const RuleSet> policy_rules() {
  policy::LoadResult result = policy::compile_rules(
      {{"policy.yaml", kPolicy}, {"promotion.yaml", testing::kTestPromotion}, {"argo.yaml", kArgoPromotion}});
  if (!result.rules) throw std::runtime_error(result.errors.front().to_string());
  return result.rules;
}

// The first document of `kind` in a corpus file.
json corpus_object(const std::string& file, const std::string& kind) {
  auto corpus = testing::corpus_dir();
  cli::ManifestReadResult read = cli::read_manifests((*corpus / file).string());
  for (const cli::Manifest& m : read.manifests) {
    if (m.object.value("kind", "") == kind) return m.object;
  }
  throw std::runtime_error(file + " has no " + kind);
}

// Applied by Flux's kustomize-controller for the Kustomization flux-system/apps.
json delivered(json object) {
  object["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] = "apps";
  object["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/namespace"] = "flux-system";
  return object;
}

using Result = Evaluated;

AdmissionRequest request_for(const json& object, const std::string& user, const std::string& operation = "CREATE") {
  testing::ReviewSpec spec;
  std::string api_version = object.at("apiVersion");
  auto slash = api_version.find('/');
  spec.group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  spec.version = api_version.substr(slash + 1);
  spec.kind = object.at("kind");
  spec.namespace_ = object["metadata"].value("namespace", "");
  spec.name = object["metadata"].value("name", "");
  spec.user = user;
  spec.operation = operation;
  spec.object = object;
  admission::ReviewParseResult parsed = admission::parse_admission_review(testing::review(spec));
  if (!parsed.review) throw std::runtime_error(parsed.error);
  return parsed.review->request;
}

Result decide(const AdmissionRequest& request) {
  static const auto rules = policy_rules();
  Decision decision = engine::evaluate(*rules, request);
  Outcome outcome = admission::decide(decision);
  return {std::move(decision), outcome};
}

Result decide(const json& object, const std::string& user = testing::kFluxKustomizeController) {
  static const auto rules = policy_rules();
  Decision decision = engine::evaluate(*rules, request_for(object, user));
  Outcome outcome = admission::decide(decision);
  return {std::move(decision), outcome};
}

json in_namespace(json object, const std::string& ns) {
  object["metadata"]["namespace"] = ns;
  return object;
}

struct Case {
  const char* name;
  std::function<json()> object;
  Outcome outcome;
  std::optional<Rule> rule;        // the violation expected, when denied
  const char* message_part = "";  // in that violation's message
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class SourcesCorpus : public ::testing::TestWithParam<Case> {};

TEST_P(SourcesCorpus, Decides) {
  REQUIRE_CORPUS(corpus);
  const Case& c = GetParam();
  Result r = decide(c.object());
  EXPECT_EQ(r.outcome, c.outcome) << r.messages();
  if (c.rule) {
    EXPECT_TRUE(r.has(*c.rule)) << r.messages();
    EXPECT_NE(r.messages().find(c.message_part), std::string::npos) << r.messages();
  }
}

const std::string kTenantGit = "flux/flux2-mt_tenant_gitrepository_v1_branch_kustomization_serviceAccountName.yaml";

json tenant_git() { return delivered(corpus_object(kTenantGit, "GitRepository")); }

json bucket(const std::string& endpoint, const std::string& name) {
  return json{{"apiVersion", "source.toolkit.fluxcd.io/v1"},
              {"kind", "Bucket"},
              {"metadata", {{"name", "manifests"}, {"namespace", "flux-system"}}},
              {"spec", {{"interval", "5m"}, {"provider", "generic"}, {"bucketName", name}, {"endpoint", endpoint}}}};
}

json helm_chart(const std::string& ns, const std::string& version) {
  return delivered(json{{"apiVersion", "source.toolkit.fluxcd.io/v1"},
                        {"kind", "HelmChart"},
                        {"metadata", {{"name", "podinfo"}, {"namespace", ns}}},
                        {"spec",
                         {{"chart", "podinfo"},
                          {"version", version},
                          {"sourceRef", {{"kind", "HelmRepository"}, {"name", "podinfo"}}},
                          {"interval", "5m"}}}});
}

json argo_head(const std::string& destination) {
  json app = corpus_object("argocd/argo-cd_e2e_application_git_targetRevision-HEAD_no-namespace.yaml", "Application");
  app["metadata"]["namespace"] = "argocd";
  app["spec"]["destination"]["namespace"] = destination;
  return delivered(app);
}

json argo_chart(const std::string& version) {
  json app = corpus_object("argocd/argo-cd_controller_testdata_application_helm-chart_pinned_automated.yaml", "Application");
  app["spec"]["destination"]["namespace"] = "staging";
  app["spec"]["source"]["targetRevision"] = version;
  return delivered(app);
}

// A chart from an OCI repository, written as Argo CD writes it: no scheme.
json argo_oci_chart(const std::string& version) {
  json app = argo_chart(version);
  app["spec"]["source"]["repoURL"] = "ghcr.io/acme/charts";
  app["spec"]["source"]["chart"] = "podinfo";
  return app;
}

INSTANTIATE_TEST_SUITE_P(
    Flux, SourcesCorpus,
    ::testing::Values(
        Case{"TenantGitRepositoryOnAnApprovedBranch", [] { return tenant_git(); }, Outcome::Allow, {}},
        Case{"GitRepositoryPointingToAFork",
             [] {
               json git = tenant_git();
               git["spec"]["url"] = "https://github.com/mallory/flux2-multi-tenancy";
               return git;
             },
             Outcome::Deny, Rule::Source, "not an approved GitRepository"},
        Case{"GitRepositoryOnAnUnapprovedBranch",
             [] {
               json git = tenant_git();
               git["spec"]["ref"]["branch"] = "feature-x";
               return git;
             },
             Outcome::Deny, Rule::Source, "follows branch \"feature-x\""},
        Case{"GitRepositoryUrlWrittenWithDotGit",
             [] {
               json git = tenant_git();
               git["spec"]["url"] = "https://GitHub.com/fluxcd/flux2-multi-tenancy.git";
               return git;
             },
             Outcome::Allow, {}},
        Case{"GitRepositoryPinnedToACommitWithoutPermission",
             [] {
               json git = tenant_git();
               git["spec"]["ref"]["commit"] = std::string(40, 'a');
               return git;
             },
             Outcome::Deny, Rule::Source, "follows commit"},
        Case{"UnapprovedGitRepositoryWithoutAnEnvironment",
             [] {
               return in_namespace(corpus_object("flux/source-controller_sample_gitrepository_v1_branch.yaml", "GitRepository"),
                                   "flux-system");
             },
             Outcome::Deny, Rule::Source, "https://github.com/stefanprodan/podinfo"},
        Case{"ApprovedHelmRepository",
             [] { return delivered(corpus_object("flux/flux2-khe_apps_base_podinfo_helmrepository_v1.yaml", "HelmRepository")); },
             Outcome::Allow, {}},
        Case{"UnapprovedHelmRepository",
             [] {
               return corpus_object("flux/flux2-khe_ingress-nginx_helmrepository_v1beta2_helmrelease_v2beta2_version-star.yaml",
                                    "HelmRepository");
             },
             Outcome::Deny, Rule::Source, "not an approved HelmRepository"},
        Case{"OCIRepositoryOnAnApprovedTag",
             [] { return corpus_object("flux/flux2-mt_ocirepository_v1beta2_tag_cosign-verify.yaml", "OCIRepository"); },
             Outcome::Allow, {}},
        Case{"OCIRepositoryFollowingASemverRange",
             [] {
               return corpus_object("flux/flux2-khe_infra_cert-manager_ocirepository_helmrelease-chartRef.yaml", "OCIRepository");
             },
             Outcome::Deny, Rule::Source, "semver range \"1.x\""},
        Case{"KustomizationFromAnApprovedOCIRepository",
             [] {
               return delivered(corpus_object("flux/flux2-mt_kustomization_v1_ocirepository-source.yaml", "Kustomization"));
             },
             Outcome::Allow, {}},
        Case{"KustomizationFromAnExternalArtifact",
             [] {
               return corpus_object("flux/flux2-khe_clusters_production_apps_kustomization_v1_externalartifact.yaml",
                                    "Kustomization");
             },
             Outcome::Deny, Rule::Source, "is not an approved source"},
        Case{"TenantKustomizationRunningAsTheTenantAccount",
             [] { return delivered(corpus_object(kTenantGit, "Kustomization")); }, Outcome::Allow, {}},
        Case{"TenantKustomizationWithoutServiceAccountName",
             [] {
               json k = delivered(corpus_object(kTenantGit, "Kustomization"));
               k["spec"].erase("serviceAccountName");
               return k;
             },
             Outcome::Deny, Rule::Provenance, "does not set spec.serviceAccountName"},
        // Elsewhere, but targeting the tenant's namespace: the tenant's accounts too.
        Case{"KustomizationTargetingATenantNamespaceWithoutItsAccount",
             [] {
               json k = delivered(corpus_object(kTenantGit, "Kustomization"));
               k["metadata"]["namespace"] = "flux-system";
               k["spec"]["targetNamespace"] = "apps";
               k["spec"].erase("serviceAccountName");
               return k;
             },
             Outcome::Deny, Rule::Provenance, "targets tenant namespace apps"},
        Case{"ApprovedBucket", [] { return bucket("minio.minio:9000", "manifests"); }, Outcome::Allow, {}},
        Case{"UnapprovedBucket", [] { return bucket("minio.minio:9000", "scratch"); }, Outcome::Deny, Rule::Source,
             "fetches from minio.minio:9000/scratch"},
        Case{"HelmChartFromAnApprovedRepository", [] { return helm_chart("flux-system", "6.5.0"); }, Outcome::Allow, {}},
        Case{"HelmChartInStagingWithAnUnpromotedVersion", [] { return helm_chart("podinfo", "6.5.1"); }, Outcome::Deny,
             Rule::ChartPromotion, "HelmRepository/podinfo/podinfo version 6.5.1 is not promoted to staging"},
        Case{"HelmReleaseChartRefToAnUnapprovedOCIRepository",
             [] {
               return in_namespace(
                   corpus_object("flux/helm-controller_sample_helmrelease_v2_chartRef_ocirepository.yaml", "HelmRelease"),
                   "flux-system");
             },
             Outcome::Deny, Rule::Source, "chartRef OCIRepository/flux-system/podinfo"}),
    [](const auto& test) { return std::string(test.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ArgoCD, SourcesCorpus,
    ::testing::Values(Case{"TargetRevisionHeadInProd", [] { return argo_head("prod"); }, Outcome::Deny, Rule::Source,
                           "targetRevision \"HEAD\""},
                      Case{"TargetRevisionHeadInDev", [] { return argo_head("dev"); }, Outcome::Allow, {}},
                      Case{"ReleaseBranchInProd",
                           [] {
                             json app = argo_head("prod");
                             app["spec"]["source"]["targetRevision"] = "release-2.14";
                             return app;
                           },
                           Outcome::Allow, {}},
                      // A full ref matches like Flux's spec.ref.name: the branch after refs/heads/.
                      Case{"FullBranchRefInProd",
                           [] {
                             json app = argo_head("prod");
                             app["spec"]["source"]["targetRevision"] = "refs/heads/release-2.14";
                             return app;
                           },
                           Outcome::Allow, {}},
                      Case{"FullRefOfAnUnapprovedBranchInProd",
                           [] {
                             json app = argo_head("prod");
                             app["spec"]["source"]["targetRevision"] = "refs/heads/feature-x";
                             return app;
                           },
                           Outcome::Deny, Rule::Source, "targetRevision \"refs/heads/feature-x\""},
                      Case{"PromotedChartVersion", [] { return argo_chart("0.45.27"); }, Outcome::Allow, {}},
                      Case{"UnpromotedChartVersion", [] { return argo_chart("0.45.28"); }, Outcome::Deny,
                           Rule::ChartPromotion, "0.45.28 is not promoted to staging"},
                      // The record names oci://ghcr.io/acme/charts; the Application, no scheme.
                      Case{"PromotedOciChartWithoutAScheme", [] { return argo_oci_chart("6.5.0"); }, Outcome::Allow, {}},
                      Case{"UnpromotedOciChartWithoutAScheme", [] { return argo_oci_chart("6.5.1"); }, Outcome::Deny,
                           Rule::ChartPromotion, "6.5.1 is not promoted to staging"},
                      Case{"ChartFromAnUnapprovedRepository",
                           [] {
                             json app = argo_chart("0.45.27");
                             app["spec"]["source"]["repoURL"] = "https://charts.example.com";
                             return app;
                           },
                           Outcome::Deny, Rule::Source, "not an approved Helm repository"}),
    [](const auto& test) { return std::string(test.param.name); });

// The HelmRelease's values set redis.repository and redis.tag: a paths the
// policy names, so the image is checked like a container's.
TEST(ValuesImages, ImageInHelmReleaseValuesIsChecked) {
  REQUIRE_CORPUS(corpus);
  json release = delivered(corpus_object("flux/flux2-khe_apps_base_podinfo_helmrelease_v2_chart-spec-sourceRef.yaml",
                                         "HelmRelease"));
  Result r = decide(release);
  EXPECT_TRUE(r.has(Rule::ImageRegistry)) << r.messages();
  EXPECT_NE(r.messages().find("values redis.repository: image public.ecr.aws/docker/library/redis:8.6.2"),
            std::string::npos)
      << r.messages();

  release["spec"]["values"]["redis"]["repository"] = "ghcr.io/acme/podinfo";
  release["spec"]["values"]["redis"]["tag"] = "6.5.0";
  release["spec"]["values"]["sidecar"]["image"] = "ghcr.io/acme/podinfo:9.9.9";
  r = decide(release);
  EXPECT_FALSE(r.has(Rule::ImageRegistry)) << r.messages();
  EXPECT_TRUE(r.has(Rule::ImagePromotion)) << r.messages();
  EXPECT_NE(r.messages().find("values sidecar.image: image ghcr.io/acme/podinfo:9.9.9 is not promoted"), std::string::npos)
      << r.messages();
  EXPECT_EQ(r.messages().find("6.5.0 is not promoted"), std::string::npos) << r.messages();
}

// Values beyond the bounds read (1,024 leaves) may hide a configured image
// path: never skipped silently, refused.
TEST(ValuesImages, APathBeyondTheValuesReadFailsClosed) {
  json values = json::object();
  for (int i = 0; i < 1'100; ++i) values["filler"]["k" + std::to_string(i)] = "v";
  values["sidecar"]["image"] = "ghcr.io/acme/podinfo:9.9.9";  // after the filler: unread
  json release = delivered(json::parse(R"({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
    "metadata": {"name": "redis", "namespace": "staging"},
    "spec": {"chart": {"spec": {"chart": "podinfo", "version": "6.5.0",
                                "sourceRef": {"kind": "HelmRepository", "name": "podinfo", "namespace": "flux-system"}}}}})"));
  release["spec"]["values"] = values;
  Result r = decide(release);
  EXPECT_EQ(r.outcome, Outcome::Deny) << r.messages();
  EXPECT_NE(r.messages().find("cannot be checked"), std::string::npos) << r.messages();
  // Within the bounds, a path that is absent is the chart's default: allowed.
  release["spec"]["values"] = {{"sidecar", {{"image", "ghcr.io/acme/podinfo:6.5.0"}}}};
  EXPECT_EQ(decide(release).outcome, Outcome::Allow) << decide(release).messages();
}

TEST(ValuesImages, NumericTagsAreReadAsWritten) {
  json release = delivered(json::parse(R"({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
    "metadata": {"name": "redis", "namespace": "staging"},
    "spec": {"chart": {"spec": {"chart": "podinfo", "version": "6.5.0",
                                "sourceRef": {"kind": "HelmRepository", "name": "podinfo", "namespace": "flux-system"}}},
             "values": {"redis": {"repository": "ghcr.io/acme/podinfo", "tag": 6.5}}}})"));
  testing::ReviewSpec spec;
  spec.group = "helm.toolkit.fluxcd.io";
  spec.version = "v2";
  spec.kind = "HelmRelease";
  spec.name = "redis";
  spec.object = release;
  // As YAML `tag: 6.50` reaches the apiserver: a JSON number with its digits.
  std::string body = testing::review(spec);
  ASSERT_NE(body.find("\"tag\":6.5"), std::string::npos);
  body.replace(body.find("\"tag\":6.5"), 9, "\"tag\":6.50");
  admission::ReviewParseResult parsed = admission::parse_admission_review(body);
  ASSERT_TRUE(parsed.review) << parsed.error;
  Result r = decide(parsed.review->request);
  EXPECT_NE(r.messages().find("ghcr.io/acme/podinfo:6.50 is not promoted"), std::string::npos) << r.messages();
}

json tenant_deployment(const std::string& ns) {
  json d = testing::deployment(ns, "ghcr.io/acme/podinfo:6.5.0");
  d["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] = "dev-team";
  d["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/namespace"] = "apps";
  return d;
}

TEST(TenantIdentities, AnImpersonatedTenantAccountIsApprovedInItsOwnNamespaceOnly) {
  EXPECT_EQ(decide(tenant_deployment("apps"), "system:serviceaccount:apps:dev-team").outcome, Outcome::Allow);
  Result elsewhere = decide(tenant_deployment("staging"), "system:serviceaccount:apps:dev-team");
  EXPECT_TRUE(elsewhere.has(Rule::Provenance)) << elsewhere.messages();
  Result other_account = decide(tenant_deployment("apps"), "system:serviceaccount:apps:default");
  EXPECT_TRUE(other_account.has(Rule::Provenance)) << other_account.messages();
  // Forged marks on a human's object prove nothing.
  EXPECT_TRUE(decide(tenant_deployment("apps"), "jane@acme.com").has(Rule::Provenance));
  // Nor deliver elsewhere through a Kustomization's targetNamespace.
  json retargeted = delivered(corpus_object(kTenantGit, "Kustomization"));
  retargeted["spec"]["targetNamespace"] = "staging";
  EXPECT_TRUE(decide(retargeted, "system:serviceaccount:apps:dev-team").has(Rule::Provenance));
}

// Anyone who may create a Pod in the tenant's namespace may run it as the
// tenant's account: a token bound to a Pod (userInfo.extra, Kubernetes
// 1.30+) is never Flux impersonating the account, so it is not GitOps.
TEST(TenantIdentities, ATenantAccountsTokenUsedFromAPodIsNotGitOps) {
  testing::ReviewSpec spec;
  spec.namespace_ = "apps";
  spec.user = "system:serviceaccount:apps:dev-team";
  spec.object = tenant_deployment("apps");
  auto decide_review = [&] {
    admission::ReviewParseResult parsed = admission::parse_admission_review(testing::review(spec));
    if (!parsed.review) throw std::runtime_error(parsed.error);
    return decide(parsed.review->request);
  };
  EXPECT_EQ(decide_review().outcome, Outcome::Allow) << "impersonated by kustomize-controller";
  spec.extra = {{"authentication.kubernetes.io/credential-id", {"JTI=7c9e"}},
                {"authentication.kubernetes.io/pod-name", {"shell"}},
                {"authentication.kubernetes.io/pod-uid", {"0b7c4f2e-93a1-4d2b-8f5e-6a1c2d3e4f5a"}}};
  Result from_pod = decide_review();
  EXPECT_TRUE(from_pod.has(Rule::Provenance)) << from_pod.messages();
  spec.extra = {{"authentication.kubernetes.io/pod-uid", {"0b7c4f2e-93a1-4d2b-8f5e-6a1c2d3e4f5a"}}};
  EXPECT_TRUE(decide_review().has(Rule::Provenance)) << "either key is a binding";
  // Another extra (a credential id alone) binds nothing.
  spec.extra = {{"authentication.kubernetes.io/credential-id", {"JTI=7c9e"}}};
  EXPECT_EQ(decide_review().outcome, Outcome::Allow);
}

TEST(TemplatePins, WorkloadTemplatesArePinnedWhenThePolicyOptsIn) {
  auto opted_in = policy_rules();
  json deployment = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  std::vector<engine::ImagePin> pins = engine::digest_pins(*opted_in, request_for(deployment, "x"));
  ASSERT_EQ(pins.size(), 1u);
  EXPECT_EQ(pins[0].path, "/spec/template/spec/containers/0/image");
  EXPECT_EQ(pins[0].image, "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);

  json cronjob = json::parse(R"({"apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "report", "namespace": "prod"},
    "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
      "initContainers": [{"name": "init", "image": "ghcr.io/acme/podinfo:6.5.0"}]}}}}}})");
  pins = engine::digest_pins(*opted_in, request_for(cronjob, "x"));
  ASSERT_EQ(pins.size(), 1u);
  EXPECT_EQ(pins[0].path, "/spec/jobTemplate/spec/template/spec/initContainers/0/image");

  // Without the opt-in only Pods are mutated.
  EXPECT_TRUE(engine::digest_pins(*testing::test_rules(), request_for(deployment, "x")).empty());
}

TEST(SourcesPolicy, LoadErrorsNameTheField) {
  std::string policy = kPolicy;
  policy.replace(policy.find("kind: OCIRepository"), 19, "kind: GitRepo");
  policy::LoadResult result = policy::compile_rules({{"policy.yaml", policy}});
  ASSERT_FALSE(result.rules);
  EXPECT_EQ(result.errors.front().message,
            "source kind must be GitRepository, HelmRepository, OCIRepository or Bucket, not \"GitRepo\"");
  EXPECT_EQ(result.errors.front().line, 47);

  policy = kPolicy;
  policy.replace(policy.find("tag: redis.tag"), 14, "tag: redis..tag");
  result = policy::compile_rules({{"policy.yaml", policy}});
  ASSERT_FALSE(result.rules);
  EXPECT_EQ(result.errors.front().message, "helmValues tag must be a dotted path such as image.tag, not \"redis..tag\"");
}

}  // namespace
}  // namespace releasegate
