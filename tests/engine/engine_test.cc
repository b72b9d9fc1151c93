#include "engine/engine.h"
#include "policy/compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "tests/engine/engine_fixture.h"
#include "tests/support/test_support.h"
#include "admission/admission_review.h"
#include "cli/manifest.h"
#include "admission/verdict.h"

namespace releasegate {
namespace {

TEST_F(Engine, FluxDeliveringAPromotedTagToStagingIsAllowed) {
  Evaluated e = run(flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0"));
  EXPECT_EQ(e.outcome, Outcome::Allow);
  EXPECT_EQ(e.decision.environment, "staging");
  EXPECT_TRUE(e.decision.violations.empty());
}

TEST_F(Engine, UnpromotedTagInProdIsDeniedWithWhatIsPromoted) {
  Evaluated e = run(flux_deployment("prod", "ghcr.io/acme/podinfo:6.5.1@" + testing::kDigest651));
  EXPECT_EQ(e.outcome, Outcome::Deny);
  ASSERT_TRUE(e.has(Rule::ImagePromotion));
  std::string message = e.message(Rule::ImagePromotion);
  EXPECT_NE(message.find("is not promoted to prod"), std::string::npos) << message;
  EXPECT_NE(message.find("promoted: 6.5.0@sha256:aaaaaaaaaaaa..."), std::string::npos) << message;
  EXPECT_NE(message.find("in Git"), std::string::npos) << message;
  EXPECT_FALSE(e.has(Rule::Provenance));
}

TEST_F(Engine, PromotedDigestMatchesWhicheverTagItIsListedUnder) {
  EXPECT_EQ(run(flux_deployment("prod", "ghcr.io/acme/podinfo@" + testing::kDigest650)).outcome, Outcome::Allow);
  EXPECT_EQ(run(flux_deployment("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650)).outcome, Outcome::Allow);
  // A digest that was never promoted is denied even under a promoted tag.
  Evaluated e = run(flux_deployment("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigestOther));
  EXPECT_TRUE(e.has(Rule::ImagePromotion));
}

TEST_F(Engine, ProdRequiresDigestEvenForAPromotedTag) {
  Evaluated e = run(flux_deployment("prod", "ghcr.io/acme/podinfo:6.5.0"));
  EXPECT_EQ(e.outcome, Outcome::Deny);
  EXPECT_TRUE(e.has(Rule::ImageDigestRequired));
  EXPECT_FALSE(e.has(Rule::ImagePromotion));
  // The message gives the promoted digest to pin to.
  EXPECT_NE(e.message(Rule::ImageDigestRequired).find("write it as ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650),
            std::string::npos)
      << e.message(Rule::ImageDigestRequired);
}

TEST_F(Engine, OpenEnvironmentChecksHygieneOnly) {
  EXPECT_EQ(run(flux_deployment("dev-42", "ghcr.io/acme/podinfo:7.0.0-rc.1")).outcome, Outcome::Allow);
  Evaluated latest = run(flux_deployment("dev", "ghcr.io/acme/podinfo"));
  EXPECT_TRUE(latest.has(Rule::ImageForbiddenTag));
  EXPECT_NE(latest.message(Rule::ImageForbiddenTag).find("implied by a missing tag"), std::string::npos);
  Evaluated registry = run(flux_deployment("dev", "docker.io/library/nginx:1.25"));
  EXPECT_TRUE(registry.has(Rule::ImageRegistry));
  EXPECT_EQ(run(flux_deployment("dev", "registry.acme.internal:5000/team/app:1")).outcome, Outcome::Allow);
}

TEST_F(Engine, KubectlSetImageByAHumanIsOutOfBand) {
  ReviewSpec spec = flux_deployment("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  spec.operation = "UPDATE";
  spec.user = "jane@acme.com";
  spec.groups = {"developers", "system:authenticated"};
  spec.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.4.0@" + testing::kDigest650);
  Evaluated e = run(spec);
  EXPECT_EQ(e.outcome, Outcome::Deny);
  ASSERT_TRUE(e.has(Rule::Provenance));
  EXPECT_NE(e.message(Rule::Provenance).find("\"jane@acme.com\", not by an approved GitOps controller"),
            std::string::npos);
}

TEST_F(Engine, CopiedFluxLabelsWithoutTheIdentityProveNothing) {
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.user = "mallory";
  EXPECT_TRUE(run(spec).has(Rule::Provenance));
}

TEST_F(Engine, IdentityWithoutMarksOfAnApprovedDeliveryIsNotEnough) {
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0", /*flux_marks=*/false);
  Evaluated e = run(spec);
  ASSERT_TRUE(e.has(Rule::Provenance));
  EXPECT_NE(e.message(Rule::Provenance).find("carries no marks of a delivery approved for staging"), std::string::npos);
  // Marks of a Kustomization that is not approved.
  spec.object["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] = "apps";
  spec.object["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/namespace"] = "tenant-a";
  EXPECT_TRUE(run(spec).has(Rule::Provenance));
}

TEST_F(Engine, DeliveriesAreApprovedPerEnvironment) {
  // The Argo CD application guestbook may deliver to staging but not prod.
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.user = "system:serviceaccount:argocd:argocd-application-controller";
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0", false);
  spec.object["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "guestbook:apps/Deployment:staging/podinfo";
  EXPECT_EQ(run(spec).outcome, Outcome::Allow);
  spec.namespace_ = "prod";
  spec.object = testing::deployment("prod", "ghcr.io/acme/podinfo@" + testing::kDigest650, false);
  spec.object["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "guestbook:apps/Deployment:prod/podinfo";
  EXPECT_TRUE(run(spec).has(Rule::Provenance));
  // Label tracking (app.kubernetes.io/instance) is recognised too.
  spec.namespace_ = "staging";
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0", false);
  spec.object["metadata"]["labels"]["app.kubernetes.io/instance"] = "guestbook";
  EXPECT_EQ(run(spec).outcome, Outcome::Allow);
}

TEST_F(Engine, HelmControllerMarksMatchHelmReleaseDeliveries) {
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.user = "system:serviceaccount:flux-system:helm-controller";
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0", false);
  spec.object["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"] = "podinfo";
  spec.object["metadata"]["labels"]["helm.toolkit.fluxcd.io/namespace"] = "apps";
  EXPECT_EQ(run(spec).outcome, Outcome::Allow);
}

TEST_F(Engine, DeleteByAHumanIsDeniedAndByFluxAllowed) {
  ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.operation = "DELETE";
  spec.user = "jane@acme.com";
  spec.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:0.0.1");
  Evaluated human = run(spec);
  EXPECT_EQ(human.outcome, Outcome::Deny);
  EXPECT_TRUE(human.has(Rule::Provenance));
  EXPECT_NE(human.message(Rule::Provenance).find("was deleted by"), std::string::npos);
  // Flux pruning: the images of what is deleted are not checked.
  spec.user = testing::kFluxKustomizeController;
  EXPECT_EQ(run(spec).outcome, Outcome::Allow);
}

TEST_F(Engine, ControllerCreatedPodsSkipProvenanceButNotImageChecks) {
  ReviewSpec spec;
  spec.group = "";
  spec.kind = "Pod";
  spec.namespace_ = "staging";
  spec.user = "system:serviceaccount:kube-system:replicaset-controller";
  spec.object = testing::pod("staging", "ghcr.io/acme/podinfo:6.5.0");
  Evaluated ok = run(spec);
  EXPECT_EQ(ok.outcome, Outcome::Allow);
  EXPECT_TRUE(ok.decision.provenance_exempt);
  spec.object = testing::pod("staging", "ghcr.io/acme/podinfo:9.9.9");
  Evaluated bad = run(spec);
  EXPECT_TRUE(bad.has(Rule::ImagePromotion));
  EXPECT_FALSE(bad.has(Rule::Provenance));
}

TEST_F(Engine, ImageSmuggledInAnInitOrEphemeralContainerIsChecked) {
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.object["spec"]["template"]["spec"]["initContainers"] = {{{"name", "setup"}, {"image", "ghcr.io/acme/tools:1"}}};
  Evaluated e = run(spec);
  ASSERT_TRUE(e.has(Rule::ImagePromotion));
  EXPECT_NE(e.message(Rule::ImagePromotion).find("container \"setup\" (initContainers)"), std::string::npos);

  ReviewSpec pod;
  pod.group = "";
  pod.kind = "Pod";
  pod.user = "system:serviceaccount:kube-system:replicaset-controller";
  pod.object = testing::pod("staging", "ghcr.io/acme/podinfo:6.5.0");
  pod.object["spec"]["ephemeralContainers"] = {{{"name", "debugger"}, {"image", "busybox"}}};
  Evaluated p = run(pod);
  EXPECT_TRUE(p.has(Rule::ImageRegistry));
  EXPECT_TRUE(p.has(Rule::ImageForbiddenTag));
}

TEST_F(Engine, MalformedImageIsItsOwnViolation) {
  Evaluated e = run(flux_deployment("staging", "ghcr.io/acme/PodInfo:1"));
  EXPECT_TRUE(e.has(Rule::ImageReference));
  EXPECT_EQ(e.outcome, Outcome::Deny);
}

TEST_F(Engine, ExemptNamespacesUngovernedKindsAndUnknownNamespacesAreNotGoverned) {
  EXPECT_EQ(run(flux_deployment("kube-system", "nginx")).outcome, Outcome::NotGoverned);
  EXPECT_EQ(run(flux_deployment("flux-system", "nginx")).outcome, Outcome::NotGoverned);
  EXPECT_EQ(run(flux_deployment("qa", "nginx")).outcome, Outcome::NotGoverned);
  ReviewSpec cm = flux_deployment("prod", "nginx");
  cm.group = "";
  cm.kind = "ConfigMap";
  cm.user = "jane";
  EXPECT_EQ(run(cm).outcome, Outcome::NotGoverned);
}

TEST_F(Engine, DryRunGetsTheSameDecision) {
  ReviewSpec spec = flux_deployment("prod", "ghcr.io/acme/podinfo:6.5.1");
  Evaluated real = run(spec);
  spec.dry_run = true;
  Evaluated dry = run(spec);
  EXPECT_EQ(real.outcome, dry.outcome);
  EXPECT_EQ(real.decision.violations.size(), dry.decision.violations.size());
}

TEST_F(Engine, RuleModesDecideTheOutcome) {
  std::string policy = testing::kTestPolicy;
  policy.replace(policy.find("  mode: enforce"), 15, "  mode: enforce\n  ruleModes:\n    image-promotion: warn");
  auto warn_rules = policy::compile_rules({{"p.yaml", policy}, {"q.yaml", testing::kTestPromotion}}).rules;
  ASSERT_TRUE(warn_rules);
  Evaluated warned = evaluate(flux_deployment("staging", "ghcr.io/acme/podinfo:7.0.0"), *warn_rules);
  EXPECT_EQ(warned.outcome, Outcome::Warn);
  // Warn and enforce together: the most severe wins.
  Evaluated denied = evaluate(flux_deployment("staging", "ghcr.io/acme/podinfo"), *warn_rules);
  EXPECT_EQ(denied.outcome, Outcome::Deny);

  policy = testing::kTestPolicy;
  policy.replace(policy.find("mode: enforce"), 13, "mode: audit");
  auto audit_rules = policy::compile_rules({{"p.yaml", policy}, {"q.yaml", testing::kTestPromotion}}).rules;
  ASSERT_TRUE(audit_rules);
  Evaluated audited = evaluate(flux_deployment("staging", "ghcr.io/acme/podinfo"), *audit_rules);
  EXPECT_EQ(audited.outcome, Outcome::Allow);
  EXPECT_FALSE(audited.decision.violations.empty());
}

TEST_F(Engine, WorkloadKindsReadTheirPodTemplates) {
  nlohmann::json cronjob = nlohmann::json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "backup", "namespace": "staging",
                 "labels": {"kustomize.toolkit.fluxcd.io/name": "apps",
                            "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
    "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {
      "containers": [{"name": "backup", "image": "ghcr.io/acme/backup:1"}]}}}}}})");
  ReviewSpec spec;
  spec.group = "batch";
  spec.kind = "CronJob";
  spec.name = "backup";
  spec.object = cronjob;
  EXPECT_TRUE(run(spec).has(Rule::ImagePromotion));
}

// Real requests from the corpus, moved into prod: a human's change is
// out-of-band; a controller-created Pod is exempt from provenance but its
// images (not from the allowed registry) are still checked.
TEST_F(Engine, CorpusAdmissionRequestsAreDecided) {
  REQUIRE_CORPUS(corpus);
  struct Case {
    const char* file;
    bool out_of_band;
  };
  for (Case c : {Case{"kubewarden_admissionrequest_deployment_create_minikube.json", true},
                 Case{"kubewarden_admissionrequest_deployment_update_with_oldObject.json", true},
                 Case{"kubewarden_admissionrequest_deployment_delete.json", true},
                 Case{"kubewarden-trusted-repos_admissionrequest_daemonset_create.json", true},
                 Case{"kubewarden-trusted-repos_admissionrequest_statefulset_create.json", true},
                 Case{"kubewarden-trusted-repos_admissionrequest_cronjob_create.json", true},
                 Case{"kubewarden-trusted-repos_admissionrequest_pod_create_image_implicit_latest.json", true},
                 Case{"kubewarden_admissionrequest_pod_create_by_replicaset-controller_sa.json", false}}) {
    SCOPED_TRACE(c.file);
    nlohmann::json request = nlohmann::json::parse(testing::read_file(corpus / "admission" / c.file));
    request["namespace"] = "prod";
    nlohmann::json review{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}};
    auto parsed = admission::parse_admission_review(review.dump());
    ASSERT_TRUE(parsed.review) << parsed.error;
    Decision decision = engine::evaluate(*rules, parsed.review->request);
    EXPECT_EQ(admission::decide(decision), Outcome::Deny);
    EXPECT_EQ(decision.environment, "prod");
    bool provenance = std::any_of(decision.violations.begin(), decision.violations.end(),
                                  [](const Violation& v) { return v.rule == Rule::Provenance; });
    EXPECT_EQ(provenance, c.out_of_band);
    bool image_checked = std::any_of(decision.violations.begin(), decision.violations.end(),
                                     [](const Violation& v) { return v.rule != Rule::Provenance; });
    // The corpus UPDATE leaves the images as they were: judged by what it
    // changes, it is out-of-band but its images are not judged again.
    EXPECT_EQ(image_checked, parsed.review->request.operation == Operation::Create);
  }
}

}  // namespace
}  // namespace releasegate

namespace releasegate {
namespace {

// Out-of-band UPDATEs by a human in prod, from the object Flux applied.
class Drift : public Engine {
 protected:
  ReviewSpec human_update(const std::function<void(nlohmann::json&)>& edit) {
    ReviewSpec spec;
    spec.namespace_ = "prod";
    spec.operation = "UPDATE";
    spec.user = "jane@acme.com";
    spec.groups = {"developers", "system:authenticated"};
    spec.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
    spec.old_object["metadata"]["resourceVersion"] = "100";
    spec.object = spec.old_object;
    spec.object["metadata"]["resourceVersion"] = "101";
    edit(spec.object);
    return spec;
  }
};

TEST_F(Drift, KubectlScaleIsAllowedDrift) {
  Evaluated e = run(human_update([](nlohmann::json& o) { o["spec"]["replicas"] = 7; }));
  EXPECT_EQ(e.outcome, Outcome::Allow);
  EXPECT_TRUE(e.decision.allowed_drift);
}

TEST_F(Drift, KubectlRolloutRestartIsAllowedDrift) {
  Evaluated e = run(human_update([](nlohmann::json& o) {
    o["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = "2026-11-22T03:00:00Z";
  }));
  EXPECT_EQ(e.outcome, Outcome::Allow);
}

TEST_F(Drift, FluxReconcileRequestIsAllowedDrift) {
  Evaluated e = run(human_update(
      [](nlohmann::json& o) { o["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"] = "2026-11-22"; }));
  EXPECT_EQ(e.outcome, Outcome::Allow);
}

TEST_F(Drift, KubectlSetImageIsDeniedNamingWhatChanged) {
  Evaluated e = run(human_update([](nlohmann::json& o) {
    o["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650;
    o["spec"]["replicas"] = 3;
    o["spec"]["template"]["spec"]["containers"][0]["env"] = {{{"name", "DEBUG"}, {"value", "1"}}};
  }));
  EXPECT_EQ(e.outcome, Outcome::Deny);
  ASSERT_TRUE(e.has(Rule::Provenance));
  EXPECT_NE(e.message(Rule::Provenance).find("(changed: /spec/replicas, /spec/template/spec/containers/0/env)"),
            std::string::npos)
      << e.message(Rule::Provenance);
}

TEST_F(Drift, KubectlEditOfLabelsOrDisablingFluxIsDenied) {
  EXPECT_EQ(run(human_update([](nlohmann::json& o) { o["metadata"]["labels"]["team"] = "x"; })).outcome, Outcome::Deny);
  // Suspending Flux reconciliation in the cluster is itself out-of-band.
  EXPECT_EQ(run(human_update([](nlohmann::json& o) {
              o["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/reconcile"] = "disabled";
            })).outcome,
            Outcome::Deny);
}

TEST_F(Drift, AnUpdateThatChangesOnlyServerFieldsIsAllowed) {
  EXPECT_EQ(run(human_update([](nlohmann::json&) {})).outcome, Outcome::Allow);
}

TEST_F(Drift, BreakGlassNeedsTheGroupAndTheAnnotation) {
  auto with_reason = [](nlohmann::json& o) {
    o["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650;
    o["metadata"]["annotations"]["releasegate.io/break-glass"] = "INC-4711 rollback";
    o["spec"]["template"]["spec"]["containers"][0]["env"] = {{{"name", "SAFE_MODE"}, {"value", "1"}}};
  };
  ReviewSpec spec = human_update(with_reason);
  EXPECT_EQ(run(spec).outcome, Outcome::Deny);  // not in a break-glass group
  spec.groups = {"platform-oncall", "system:authenticated"};
  Evaluated e = run(spec);
  EXPECT_EQ(e.outcome, Outcome::Allow);
  EXPECT_EQ(e.decision.break_glass, "INC-4711 rollback");
  // The group without the annotation proves nothing.
  ReviewSpec no_reason = human_update([](nlohmann::json& o) { o["metadata"]["labels"]["x"] = "y"; });
  no_reason.groups = {"platform-oncall"};
  EXPECT_EQ(run(no_reason).outcome, Outcome::Deny);
  // Break-glass waives provenance only: images are still checked.
  ReviewSpec unpromoted = human_update([&](nlohmann::json& o) {
    with_reason(o);
    o["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/podinfo:9.9.9@" + testing::kDigestOther;
  });
  unpromoted.groups = {"platform-oncall"};
  Evaluated still = run(unpromoted);
  EXPECT_EQ(still.outcome, Outcome::Deny);
  EXPECT_TRUE(still.has(Rule::ImagePromotion));
  EXPECT_FALSE(still.has(Rule::Provenance));
}

}  // namespace
}  // namespace releasegate

namespace releasegate {
namespace {

TEST_F(Charts, PromotedExactVersionIsAllowedInTheTargetNamespacesEnvironment) {
  Evaluated e = release(helm_release(chart("6.5.0"), "flux-system", "prod"), "flux-system");
  EXPECT_EQ(e.outcome, Outcome::Allow);
  EXPECT_EQ(e.decision.environment, "prod");
}

TEST_F(Charts, UnpromotedRangedOrMissingVersionsAreDenied) {
  Evaluated unpromoted = release(helm_release(chart("6.5.1"), "flux-system", "prod"), "flux-system");
  ASSERT_TRUE(unpromoted.has(Rule::ChartPromotion));
  EXPECT_NE(unpromoted.message(Rule::ChartPromotion).find("version 6.5.1 is not promoted to prod (promoted: 6.5.0)"),
            std::string::npos)
      << unpromoted.message(Rule::ChartPromotion);
  for (const char* range : {"*", "6.x", ">=1.0.0"}) {
    Evaluated ranged = release(helm_release(chart(range), "flux-system", "prod"), "flux-system");
    ASSERT_TRUE(ranged.has(Rule::ChartPromotion)) << range;
    EXPECT_NE(ranged.message(Rule::ChartPromotion).find("is a range, not a promoted version"), std::string::npos);
  }
  Evaluated floating = release(helm_release(chart(""), "flux-system", "prod"), "flux-system");
  EXPECT_NE(floating.message(Rule::ChartPromotion).find("has no version"), std::string::npos);
}

TEST_F(Charts, TheSourceMustBeThePromotedOne) {
  nlohmann::json other = chart("6.5.0");
  other["sourceRef"]["name"] = "podinfo-fork";
  EXPECT_TRUE(release(helm_release(other, "flux-system", "prod"), "flux-system").has(Rule::ChartPromotion));
}

TEST_F(Charts, AHelmReleaseInAnExemptNamespaceWithoutTargetIsNotGoverned) {
  nlohmann::json sandboxed = helm_release(chart("*"), "sandbox");
  EXPECT_EQ(release(sandboxed, "sandbox").outcome, Outcome::NotGoverned);
}

// The corpus HelmReleases, delivered into prod: floating versions and
// ranges are all refused; chartRef ones are left to their sources.
TEST_F(Charts, CorpusHelmReleasesInProd) {
  REQUIRE_CORPUS(corpus);
  struct Case {
    const char* file;
    bool chart_violation;
  };
  for (Case c : {Case{"flux2-khe_apps_base_podinfo_helmrelease_v2_chart-spec-sourceRef.yaml", true},
                 Case{"flux2-khe_podinfo_helmrelease_v2beta2.yaml", true},
                 Case{"flux2-khe_podinfo_helmrelease_v2beta1.yaml", true},
                 Case{"flux2-khe_ingress-nginx_helmrepository_v1beta2_helmrelease_v2beta2_version-star.yaml", true},
                 Case{"flux2-khe_infra_cert-manager_ocirepository_helmrelease-chartRef.yaml", false},
                 Case{"helm-controller_sample_helmrelease_v2_chartRef_ocirepository.yaml", false}}) {
    SCOPED_TRACE(c.file);
    cli::ManifestReadResult read = cli::read_manifests((corpus / "flux" / c.file).string());
    ASSERT_TRUE(read.error.empty()) << read.error;
    int releases = 0;
    for (cli::Manifest& m : read.manifests) {
      if (m.object.value("kind", "") != "HelmRelease") continue;
      ++releases;
      m.object["metadata"]["namespace"] = "prod";
      m.object["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] = "apps";
      m.object["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/namespace"] = "flux-system";
      m.object["spec"].erase("targetNamespace");
      std::string api_version = m.object["apiVersion"];
      Evaluated e = release(m.object, "prod");
      EXPECT_EQ(e.decision.environment, "prod");
      EXPECT_EQ(e.has(Rule::ChartPromotion), c.chart_violation) << api_version;
      EXPECT_FALSE(e.has(Rule::Provenance));
    }
    EXPECT_EQ(releases, 1);
  }
}

}  // namespace
}  // namespace releasegate
