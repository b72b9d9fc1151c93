#include "admission/admission_response.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/digest_pins.h"
#include "engine/engine.h"
#include "policy/compiler.h"
#include "tests/support/test_support.h"
#include "admission/admission_handler.h"

namespace releasegate::admission {
namespace {

using nlohmann::json;
using testing::ReviewSpec;

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = kAlphabet.find(c);
    EXPECT_NE(pos, std::string::npos) << "not base64: " << c;
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

class Responses : public ::testing::Test {
 protected:
  runtime::RuleStore store;
  void SetUp() override { store.publish(testing::test_load()); }
  json handle(Endpoint endpoint, const std::string& body) {
    HandledReview handled = AdmissionHandler(store).handle(endpoint, body);
    EXPECT_EQ(handled.http_status, 200) << handled.body;
    return json::parse(handled.body);
  }
};

TEST_F(Responses, AllowEchoesUidWithAuditAnnotationsAndNoPatch) {
  ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  json reply = handle(Endpoint::Validate, testing::review(spec, "uid-allow"));
  EXPECT_EQ(reply["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(reply["kind"], "AdmissionReview");
  EXPECT_EQ(reply["response"]["uid"], "uid-allow");
  EXPECT_EQ(reply["response"]["allowed"], true);
  EXPECT_EQ(reply["response"]["auditAnnotations"]["decision"], "allow");
  EXPECT_EQ(reply["response"]["auditAnnotations"]["environment"], "staging");
  EXPECT_FALSE(reply["response"].contains("patch"));
  EXPECT_FALSE(reply["response"].contains("patchType"));
  EXPECT_FALSE(reply["response"].contains("status"));
}

TEST_F(Responses, DenyCarries403AndAnActionableMessageButNeverAPatch) {
  ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.group = "";
  spec.kind = "Pod";
  spec.user = "jane";
  spec.object = testing::pod("prod", "ghcr.io/acme/podinfo:6.5.0");
  json reply = handle(Endpoint::Validate, testing::review(spec, "uid-deny"));
  const json& response = reply["response"];
  EXPECT_EQ(response["uid"], "uid-deny");
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(response["status"]["code"], 403);
  std::string message = response["status"]["message"];
  EXPECT_EQ(message.rfind("releasegate denied Pod prod/podinfo", 0), 0u) << message;
  EXPECT_NE(message.find("[provenance]"), std::string::npos);
  EXPECT_NE(message.find("[image-digest-required]"), std::string::npos);
  EXPECT_EQ(response["auditAnnotations"]["decision"], "deny");
  EXPECT_NE(response["auditAnnotations"]["violations"].get<std::string>().find("provenance=enforce"), std::string::npos);
  EXPECT_FALSE(response.contains("patch"));
}

// Found by fuzzing: 50,000 containers gave a 25 MB response. Violations are
// kept up to kMaxViolations; the rest are counted, and still decide.
TEST_F(Responses, ViolationsAndTheDenialAreBounded) {
  ReviewSpec spec;
  spec.object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  json containers = json::array();
  for (std::size_t i = 0; i < kMaxImagesChecked; ++i) {
    containers.push_back({{"name", "c" + std::to_string(i)}, {"image", "docker.io/x/y:" + std::to_string(i)}});
  }
  spec.object["spec"]["template"]["spec"]["containers"] = containers;
  HandledReview handled = AdmissionHandler(store).handle(Endpoint::Validate, testing::review(spec));
  ASSERT_TRUE(handled.decision);
  EXPECT_EQ(handled.decision->violations.size(), kMaxViolations);
  EXPECT_GT(handled.decision->violations_left_out, kMaxImagesChecked);
  EXPECT_LT(handled.body.size(), 64u * 1024);
  json response = json::parse(handled.body)["response"];
  EXPECT_EQ(response["allowed"], false);
  std::string message = response["status"]["message"];
  EXPECT_NE(message.find("and " + std::to_string(handled.decision->violations_left_out) + " more violations"),
            std::string::npos);
}

// Beyond kMaxImagesChecked images the object is refused without judging
// each (50,000 containers took over 100 ms), and never pinned.
TEST_F(Responses, AnObjectWithMoreImagesThanTheBoundIsRefused) {
  ReviewSpec spec = testing::pod_review("prod", "ghcr.io/acme/podinfo:6.5.0");
  json& containers = spec.object["spec"]["containers"];
  while (containers.size() <= kMaxImagesChecked) containers.push_back(containers[0]);
  HandledReview handled = AdmissionHandler(store).handle(Endpoint::Validate, testing::review(spec));
  ASSERT_TRUE(handled.decision);
  auto refusal = std::find_if(handled.decision->violations.begin(), handled.decision->violations.end(),
                              [](const Violation& v) { return v.message.find("checks at most") != std::string::npos; });
  ASSERT_NE(refusal, handled.decision->violations.end());
  EXPECT_EQ(refusal->rule, Rule::ImageReference);
  EXPECT_EQ(json::parse(handled.body)["response"]["allowed"], false);
  HandledReview mutated = AdmissionHandler(store).handle(Endpoint::Mutate, testing::review(spec));
  EXPECT_EQ(mutated.patched_images, 0u);
}

TEST(Verdict, ViolationsLeftOutStillDecide) {
  Decision decision;
  decision.governance = Governance::Governed;
  decision.violations.push_back({Rule::ImageRegistry, Mode::Warn, "kept"});
  EXPECT_EQ(decide(decision), Outcome::Warn);
  decision.violations_left_out = 1;
  decision.left_out_mode = Mode::Enforce;
  EXPECT_EQ(decide(decision), Outcome::Deny);
  decision.left_out_mode = Mode::Audit;
  decision.violations.clear();
  EXPECT_EQ(decide(decision), Outcome::Allow);
}

TEST_F(Responses, WarningsAreShortAndCapped) {
  std::string policy = testing::kTestPolicy;
  policy.replace(policy.find("mode: enforce"), 13, "mode: warn");
  store.publish(policy::compile_rules({{"p.yaml", policy}, {"q.yaml", testing::kTestPromotion}}).rules);
  ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  json containers = json::array();
  for (int i = 0; i < 20; ++i) containers.push_back({{"name", "c" + std::to_string(i)}, {"image", "docker.io/x/y:" + std::to_string(i)}});
  spec.object["spec"]["template"]["spec"]["containers"] = containers;
  json reply = handle(Endpoint::Validate, testing::review(spec));
  EXPECT_EQ(reply["response"]["allowed"], true);
  const json& warnings = reply["response"]["warnings"];
  ASSERT_EQ(warnings.size(), kMaxWarnings);
  for (const json& w : warnings) EXPECT_LE(w.get<std::string>().size(), kMaxWarningLength);
  EXPECT_NE(warnings.back().get<std::string>().find("more warnings"), std::string::npos);
  EXPECT_EQ(reply["response"]["auditAnnotations"]["decision"], "warn");
}

TEST_F(Responses, NotGovernedIsAllowedWithoutAnnotations) {
  ReviewSpec spec;
  spec.namespace_ = "kube-system";
  spec.object = testing::deployment("kube-system", "nginx");
  json reply = handle(Endpoint::Validate, testing::review(spec));
  EXPECT_EQ(reply["response"]["allowed"], true);
  EXPECT_FALSE(reply["response"].contains("auditAnnotations"));
}

TEST_F(Responses, MutationPinsPromotedPodImagesAndThePatchApplies) {
  ReviewSpec spec;
  spec.group = "";
  spec.kind = "Pod";
  spec.namespace_ = "prod";
  spec.user = "system:serviceaccount:kube-system:replicaset-controller";
  json pod = testing::pod("prod", "ghcr.io/acme/podinfo:6.5.0");
  pod["spec"]["initContainers"] = {{{"name", "init"}, {"image", "ghcr.io/acme/podinfo:6.5.0"}}};
  pod["spec"]["containers"].push_back({{"name", "sidecar"}, {"image", "ghcr.io/acme/other:1"}});
  spec.object = pod;
  json reply = handle(Endpoint::Mutate, testing::review(spec, "uid-mutate"));
  const json& response = reply["response"];
  EXPECT_EQ(response["uid"], "uid-mutate");
  EXPECT_EQ(response["allowed"], true);
  ASSERT_EQ(response["patchType"], "JSONPatch");
  json patch = json::parse(base64_decode(response["patch"]));
  json patched = pod.patch(patch);
  EXPECT_EQ(patched["spec"]["containers"][0]["image"], "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  EXPECT_EQ(patched["spec"]["initContainers"][0]["image"], "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  EXPECT_EQ(patched["spec"]["containers"][1]["image"], "ghcr.io/acme/other:1");

  // Reinvocation on the patched Pod changes nothing: no patch at all.
  spec.object = patched;
  json again = handle(Endpoint::Mutate, testing::review(spec));
  EXPECT_FALSE(again["response"].contains("patch"));
  EXPECT_FALSE(again["response"].contains("patchType"));
}

// Image volumes are pinned like containers, on CREATE: a Pod's volumes
// cannot change once it exists.
TEST_F(Responses, MutationPinsImageVolumesOnCreateOnly) {
  ReviewSpec spec = testing::pod_review("prod", "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  spec.object["spec"]["volumes"] = {{{"name", "models"}, {"image", {{"reference", "ghcr.io/acme/podinfo:6.5.0"}}}}};
  json response = handle(Endpoint::Mutate, testing::review(spec))["response"];
  ASSERT_TRUE(response.contains("patch"));
  json patch = json::parse(base64_decode(response["patch"].get<std::string>()));
  ASSERT_EQ(patch.size(), 1u);
  EXPECT_EQ(patch[0]["path"], "/spec/volumes/0/image/reference");
  EXPECT_EQ(patch[0]["value"], "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  spec.operation = "UPDATE";
  spec.old_object = spec.object;
  EXPECT_FALSE(handle(Endpoint::Mutate, testing::review(spec))["response"].contains("patch"));
}

// A label edit (or any UPDATE leaving the images as they were) pins
// nothing: a new digest there would restart the containers.
TEST_F(Responses, MutationOnUpdatePinsOnlyTheImagesItIntroduces) {
  ReviewSpec spec = testing::pod_review("prod", "ghcr.io/acme/podinfo:6.5.0");
  spec.operation = "UPDATE";
  spec.old_object = spec.object;
  spec.object["metadata"]["labels"]["edited"] = "yes";
  EXPECT_FALSE(handle(Endpoint::Mutate, testing::review(spec))["response"].contains("patch"));
}

// The apiserver refuses a patch to ephemeral containers (they change only
// through their subresource), and with it the whole Pod update.
TEST_F(Responses, MutationNeverPatchesEphemeralContainers) {
  ReviewSpec spec = testing::pod_review("prod", "ghcr.io/acme/podinfo:6.5.0");
  spec.operation = "UPDATE";
  spec.old_object = testing::pod("prod", "ghcr.io/acme/podinfo:6.5.1");
  spec.object["spec"]["ephemeralContainers"] = {{{"name", "debugger"}, {"image", "ghcr.io/acme/podinfo:6.5.0"}}};
  HandledReview handled = AdmissionHandler(store).handle(Endpoint::Mutate, testing::review(spec));
  ASSERT_EQ(handled.http_status, 200);
  json response = json::parse(handled.body)["response"];
  ASSERT_TRUE(response.contains("patch"));  // the ordinary container is still pinned
  json patch = json::parse(base64_decode(response["patch"].get<std::string>()));
  ASSERT_EQ(patch.size(), 1u);
  EXPECT_EQ(patch[0]["path"], "/spec/containers/0/image");
}

TEST_F(Responses, MutationLeavesWorkloadTemplatesAndUnpinnableImagesAlone) {
  ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  EXPECT_FALSE(handle(Endpoint::Mutate, testing::review(spec))["response"].contains("patch"));
  // Staging's 6.5.0 record has no digest: nothing to pin.
  spec.group = "";
  spec.kind = "Pod";
  spec.namespace_ = "staging";
  spec.object = testing::pod("staging", "ghcr.io/acme/podinfo:6.5.0");
  EXPECT_FALSE(handle(Endpoint::Mutate, testing::review(spec))["response"].contains("patch"));
}

// With mutation.workloadTemplates the same pins go into a CronJob's pod
// template, at its own depth; the patch applies and reinvocation is a no-op.
TEST_F(Responses, OptedInWorkloadTemplatesArePinnedAndThePatchApplies) {
  std::string policy = std::string(testing::kTestPolicy) + "  mutation:\n    workloadTemplates: true\n";
  policy::LoadResult loaded = policy::compile_rules({{"policy.yaml", policy}, {"promotion.yaml", testing::kTestPromotion}});
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  store.publish(loaded.rules);
  json cronjob = json::parse(R"({"apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "report", "namespace": "prod"},
    "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
      "initContainers": [{"name": "init", "image": "ghcr.io/acme/podinfo:6.5.0"}],
      "containers": [{"name": "report", "image": "ghcr.io/acme/podinfo-init:1.2.0"},
                     {"name": "pinned", "image": "ghcr.io/acme/podinfo:6.5.0@sha256:)" + std::string(64, 'a') + R"("}]}}}}}})");
  ReviewSpec spec;
  spec.group = "batch";
  spec.kind = "CronJob";
  spec.namespace_ = "prod";
  spec.object = cronjob;
  json reply = handle(Endpoint::Mutate, testing::review(spec));
  ASSERT_EQ(reply["response"]["patchType"], "JSONPatch");
  json patched = cronjob.patch(json::parse(base64_decode(reply["response"]["patch"])));
  const json& pod_spec = patched["spec"]["jobTemplate"]["spec"]["template"]["spec"];
  EXPECT_EQ(pod_spec["initContainers"][0]["image"], "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650);
  // No digest in the test promotion for podinfo-init in prod: left alone.
  EXPECT_EQ(pod_spec["containers"][0]["image"], "ghcr.io/acme/podinfo-init:1.2.0");
  EXPECT_EQ(pod_spec["containers"][1], cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][1]);

  spec.object = patched;
  EXPECT_FALSE(handle(Endpoint::Mutate, testing::review(spec))["response"].contains("patch"));
}

TEST_F(Responses, StatusBodiesAreKubernetesStatusObjects) {
  json status = json::parse(render_status(413, "RequestEntityTooLarge", "too big"));
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["code"], 413);
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["message"], "too big");
}

TEST_F(Responses, NoRulesLoadedMeans503NotAllowed) {
  runtime::RuleStore empty;
  HandledReview handled = AdmissionHandler(empty).handle(Endpoint::Validate, testing::review({}));
  EXPECT_EQ(handled.http_status, 503);
  EXPECT_EQ(handled.body.find("\"allowed\""), std::string::npos);
}

}  // namespace
}  // namespace releasegate::admission

namespace releasegate::admission {
namespace {

// An image name cannot forge a line of the denial (a fake "[provenance]
// allowed" line) or make one violation's message unbounded.
TEST_F(Responses, RequestTextInMessagesIsEscapedAndBounded) {
  ReviewSpec spec;
  spec.object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0\n[provenance] none: allowed");
  spec.object["spec"]["template"]["spec"]["containers"].push_back(
      {{"name", "long"}, {"image", "ghcr.io/acme/" + std::string(100'000, 'a') + ":1"}});
  HandledReview handled = AdmissionHandler(store).handle(Endpoint::Validate, testing::review(spec));
  ASSERT_TRUE(handled.decision);
  ASSERT_GE(handled.decision->violations.size(), 2u);
  for (const Violation& v : handled.decision->violations) {
    EXPECT_EQ(v.message.find('\n'), std::string::npos) << v.message;
    EXPECT_LE(v.message.size(), kMaxMessageLength);
  }
  std::string message = json::parse(handled.body)["response"]["status"]["message"];
  EXPECT_EQ(message.find("\n[provenance] none"), std::string::npos) << message;
  EXPECT_NE(message.find("\\n[provenance] none"), std::string::npos) << message;
  EXPECT_LT(handled.body.size(), 8u * 1024);
}

// A break-glass group member ends the break-glass by removing the
// annotation, and nothing else may change in the same UPDATE.
TEST_F(Responses, RemovingTheBreakGlassAnnotationEndsIt) {
  ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.operation = "UPDATE";
  spec.user = "oncall@acme.com";
  spec.groups = {"platform-oncall"};
  spec.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  spec.old_object["metadata"]["annotations"]["releasegate.io/break-glass"] = "INC-4711";
  spec.old_object["metadata"]["annotations"]["team"] = "web";
  spec.object = spec.old_object;
  spec.object["metadata"]["annotations"].erase("releasegate.io/break-glass");
  json response = handle(Endpoint::Validate, testing::review(spec))["response"];
  EXPECT_EQ(response["allowed"], true) << response.dump();
  EXPECT_EQ(response["auditAnnotations"]["breakGlass"], "ended: INC-4711");
  spec.object["spec"]["replicas"] = 7;  // rides along: denied
  EXPECT_EQ(handle(Endpoint::Validate, testing::review(spec))["response"]["allowed"], false);
  spec.groups = {"developers"};  // not a member: denied
  spec.object = spec.old_object;
  spec.object["metadata"]["annotations"].erase("releasegate.io/break-glass");
  EXPECT_EQ(handle(Endpoint::Validate, testing::review(spec))["response"]["allowed"], false);
}

TEST_F(Responses, TheBreakGlassReasonIsEscapedAndBounded) {
  ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.operation = "DELETE";
  spec.user = "oncall@acme.com";
  spec.groups = {"platform-oncall"};
  spec.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  spec.old_object["metadata"]["annotations"]["releasegate.io/break-glass"] = "INC-1\nforged: " + std::string(10'000, 'x');
  json response = handle(Endpoint::Validate, testing::review(spec))["response"];
  EXPECT_EQ(response["allowed"], true);
  std::string reason = response["auditAnnotations"]["breakGlass"];
  EXPECT_LE(reason.size(), kMaxBreakGlassReasonLength);
  EXPECT_TRUE(reason.starts_with("INC-1\\nforged: xxx")) << reason;
  for (const json& warning : response["warnings"]) EXPECT_LE(warning.get<std::string>().size(), kMaxWarningLength);
}

TEST_F(Responses, TextThatIsNotUtf8NeverBreaksTheResponse) {
  Decision decision;
  decision.governance = Governance::Governed;
  decision.environment = "prod";
  decision.violations.push_back({Rule::ImageReference, Mode::Enforce, "image \"\xff\xfe\" is invalid"});
  AdmissionReview review;
  review.uid = "u";
  std::string body = render_validation(review, decision, Outcome::Deny);
  json parsed = json::parse(body);
  EXPECT_EQ(parsed["response"]["allowed"], false);
}

}  // namespace
}  // namespace releasegate::admission

namespace releasegate::admission {
namespace {

TEST_F(Responses, BreakGlassIsAllowedWithAWarningAndAnAuditAnnotation) {
  ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.operation = "DELETE";
  spec.user = "oncall@acme.com";
  spec.groups = {"platform-oncall"};
  spec.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  spec.old_object["metadata"]["annotations"]["releasegate.io/break-glass"] = "INC-4711";
  json response = handle(Endpoint::Validate, testing::review(spec))["response"];
  EXPECT_EQ(response["allowed"], true);
  EXPECT_EQ(response["auditAnnotations"]["breakGlass"], "INC-4711");
  ASSERT_TRUE(response.contains("warnings"));
  EXPECT_NE(response["warnings"][0].get<std::string>().find("break-glass change allowed (INC-4711)"), std::string::npos);
}

}  // namespace
}  // namespace releasegate::admission

namespace releasegate::admission {
namespace {

// The README's quickstart quotes the denial of the sample review: keep the
// quote true.
TEST(Readme, QuickstartDenialIsWhatTheServerSays) {
  runtime::RuleStore store;
  store.publish(policy::load_rules({(testing::source_dir() / "deploy/examples/rules").string()}).rules);
  ASSERT_TRUE(store.current());
  std::string body =
      testing::read_file(testing::source_dir() / "deploy/examples/reviews/deployment-update-prod-kubectl-set-image.json");
  HandledReview handled = AdmissionHandler(store).handle(Endpoint::Validate, body);
  std::string message = json::parse(handled.body)["response"]["status"]["message"];

  std::string readme = testing::read_file(testing::source_dir() / "README.md");
  auto start = readme.find("```\n", readme.find("what `kubectl` prints:"));
  ASSERT_NE(start, std::string::npos);
  start += 4;
  std::string quoted = readme.substr(start, readme.find("\n```", start) - start);
  EXPECT_EQ(quoted, message);
}

}  // namespace
}  // namespace releasegate::admission
