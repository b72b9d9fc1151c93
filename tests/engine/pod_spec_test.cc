// What a pod spec holds beyond its containers, and what an UPDATE changes:
// ephemeral containers added by `kubectl debug`, image volumes, and images
// the old object already had.
#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "tests/engine/engine_fixture.h"

namespace releasegate {
namespace {

// `kubectl debug` adds an ephemeral container through the
// pods/ephemeralcontainers subresource: an out-of-band change of a prod Pod,
// whose image is judged like any other.
TEST_F(Engine, KubectlDebugInProdIsAnOutOfBandImageChange) {
  ReviewSpec debug = testing::pod_review("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650, "jane@acme.com");
  debug.operation = "UPDATE";
  debug.sub_resource = "ephemeralcontainers";
  debug.old_object = debug.object;
  debug.object["spec"]["ephemeralContainers"] = {{{"name", "debugger-x7k2"}, {"image", "busybox:1.36"}}};
  Evaluated e = run(debug);
  EXPECT_EQ(e.outcome, Outcome::Deny);
  EXPECT_TRUE(e.has(Rule::Provenance));
  EXPECT_TRUE(e.has(Rule::ImageRegistry));
  EXPECT_NE(e.message(Rule::ImageRegistry).find("container \"debugger-x7k2\" (ephemeralContainers)"),
            std::string::npos);
  // Any other subresource (status, binding, eviction) is not governed.
  ReviewSpec status = debug;
  status.sub_resource = "status";
  EXPECT_EQ(run(status).decision.governance, Governance::NotGoverned);
}

// An OCI image mounted as a volume runs code or data into the Pod: judged
// like a container's image, named as the volume.
TEST_F(Engine, AnImageVolumeIsJudgedLikeAContainer) {
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.object["spec"]["template"]["spec"]["volumes"] = {
      {{"name", "config"}, {"configMap", {{"name", "podinfo"}}}},
      {{"name", "models"}, {"image", {{"reference", "ghcr.io/acme/podinfo:9.9.9"}, {"pullPolicy", "IfNotPresent"}}}}};
  Evaluated e = run(spec);
  EXPECT_EQ(e.outcome, Outcome::Deny);
  ASSERT_TRUE(e.has(Rule::ImagePromotion));
  EXPECT_NE(e.message(Rule::ImagePromotion).find("volume \"models\""), std::string::npos)
      << e.message(Rule::ImagePromotion);
  spec.object["spec"]["template"]["spec"]["volumes"][1]["image"]["reference"] = "ghcr.io/acme/podinfo:6.5.0";
  EXPECT_EQ(run(spec).outcome, Outcome::Allow);
}

// The controllers' routine updates leave the images as they were: a version
// unpromoted since must not block them (a denial there stalls a rollout or
// a garbage collection). What the UPDATE changes is still judged.
TEST_F(Engine, AnUpdateIsJudgedByTheImagesItChanges) {
  ReviewSpec scale_down;
  scale_down.kind = "ReplicaSet";
  scale_down.namespace_ = "prod";
  scale_down.operation = "UPDATE";
  scale_down.user = "system:serviceaccount:kube-system:deployment-controller";
  scale_down.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.4.0");  // promoted once, not now
  scale_down.old_object["kind"] = "ReplicaSet";
  scale_down.old_object["spec"]["replicas"] = 3;
  scale_down.object = scale_down.old_object;
  scale_down.object["spec"]["replicas"] = 0;
  EXPECT_EQ(run(scale_down).outcome, Outcome::Allow);
  ReviewSpec new_image = scale_down;
  new_image.object["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/podinfo:9.9.9";
  EXPECT_TRUE(run(new_image).has(Rule::ImagePromotion));

  ReviewSpec finalizer = testing::pod_review("prod", "ghcr.io/acme/podinfo:6.4.0",
                                             "system:serviceaccount:kube-system:job-controller");
  finalizer.operation = "UPDATE";
  finalizer.old_object = finalizer.object;
  finalizer.old_object["metadata"]["finalizers"] = {"batch.kubernetes.io/job-tracking"};
  EXPECT_EQ(run(finalizer).outcome, Outcome::Allow);
  // The same image moved to another container is a change.
  ReviewSpec moved = finalizer;
  moved.object["spec"]["containers"][0]["name"] = "other";
  EXPECT_EQ(run(moved).outcome, Outcome::Deny);
}

// Images the platform injects (a mesh sidecar) are named in the policy:
// registry, tag and digest rules only, never promoted. Not by default.
TEST_F(Engine, PlatformImagesSkipOnlyThePromotionCheckAndOnlyWhenNamed) {
  ReviewSpec spec = flux_deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  auto& containers = spec.object["spec"]["template"]["spec"]["containers"];
  containers.push_back({{"name", "istio-proxy"}, {"image", "ghcr.io/acme/mesh/proxyv2:1.22.0"}});
  EXPECT_TRUE(run(spec).has(Rule::ImagePromotion));
  std::string policy = testing::kTestPolicy;
  policy.replace(policy.find("forbiddenTags: [latest]"), 23,
                 "forbiddenTags: [latest]\n    platform: [\"ghcr.io/acme/mesh/*\", \"docker.io/istio/*\"]");
  policy::LoadResult loaded = policy::compile_rules({{"p.yaml", policy}, {"q.yaml", testing::kTestPromotion}});
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  const RuleSet& platform = *loaded.rules;
  Evaluated allowed = evaluate(spec, platform);
  EXPECT_EQ(allowed.outcome, Outcome::Allow) << allowed.messages();
  containers[1]["image"] = "ghcr.io/acme/mesh/proxyv2:latest";
  EXPECT_TRUE(evaluate(spec, platform).has(Rule::ImageForbiddenTag));
  containers[1]["image"] = "docker.io/istio/proxyv2:1.22.0";  // named, but from a registry not allowed
  EXPECT_TRUE(evaluate(spec, platform).has(Rule::ImageRegistry));
  ReviewSpec prod = flux_deployment("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  prod.object["spec"]["template"]["spec"]["containers"].push_back(
      {{"name", "istio-proxy"}, {"image", "ghcr.io/acme/mesh/proxyv2:1.22.0"}});
  Evaluated in_prod = evaluate(prod, platform);
  EXPECT_TRUE(in_prod.has(Rule::ImageDigestRequired)) << in_prod.messages();
  EXPECT_FALSE(in_prod.has(Rule::ImagePromotion)) << in_prod.messages();
}

}  // namespace
}  // namespace releasegate
