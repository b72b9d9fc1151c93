// The UPDATE diff, through the review parser that computes it.
#include "admission/object_diff.h"

#include <gtest/gtest.h>

#include "admission/admission_review.h"

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace releasegate::admission {
namespace {

using nlohmann::json;

AdmissionRequest parsed_update(const json& old_object, const json& object) {
  testing::ReviewSpec spec;
  spec.operation = "UPDATE";
  spec.object = object;
  spec.old_object = old_object;
  ReviewParseResult parsed = parse_admission_review(testing::review(spec));
  EXPECT_TRUE(parsed.review) << parsed.error;
  return parsed.review ? parsed.review->request : AdmissionRequest{};
}

std::vector<std::string> diff(const json& old_object, const json& object) {
  AdmissionRequest request = parsed_update(old_object, object);
  EXPECT_TRUE(request.changed_paths_complete);
  return request.changed_paths;
}

TEST(ObjectDiff, NestedMapsListsAndChangedScalars) {
  json old = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  json now = old;
  now["spec"]["replicas"] = 5;
  now["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/podinfo:6.5.1";
  EXPECT_EQ(diff(old, now), (std::vector<std::string>{"/spec/replicas", "/spec/template/spec/containers/0/image"}));
}

TEST(ObjectDiff, AddedMapsReportTheirLeavesWithEscapedKeys) {
  json old = testing::deployment("prod", "x");
  json now = old;
  // kubectl rollout restart: the template gets its first annotation.
  now["spec"]["template"]["metadata"]["annotations"] = {{"kubectl.kubernetes.io/restartedAt", "2026-11-22T00:00:00Z"}};
  now["metadata"]["labels"]["a~b"] = "c";
  EXPECT_EQ(diff(old, now), (std::vector<std::string>{"/metadata/labels/a~0b",
                                                      "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"}));
}

TEST(ObjectDiff, RemovedKeysAndResizedListsAreChanges) {
  json old = testing::deployment("prod", "x");
  json now = old;
  now["metadata"]["labels"].erase("kustomize.toolkit.fluxcd.io/name");
  now["spec"]["template"]["spec"]["containers"].push_back({{"name", "sidecar"}, {"image", "y"}});
  EXPECT_EQ(diff(old, now), (std::vector<std::string>{"/metadata/labels/kustomize.toolkit.fluxcd.io~1name",
                                                      "/spec/template/spec/containers"}));
}

TEST(ObjectDiff, FieldsTheApiserverMaintainsAreIgnored) {
  json old = testing::deployment("prod", "x");
  old["metadata"]["resourceVersion"] = "1";
  old["metadata"]["generation"] = 1;
  old["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}}});
  old["status"] = {{"replicas", 1}};
  json now = old;
  now["metadata"]["resourceVersion"] = "2";
  now["metadata"]["generation"] = 2;
  now["metadata"]["managedFields"].push_back({{"manager", "flux"}});
  now["status"]["replicas"] = 2;
  EXPECT_TRUE(diff(old, now).empty());
  json type_change = old;
  type_change["spec"]["replicas"] = "2";
  EXPECT_EQ(diff(old, type_change), (std::vector<std::string>{"/spec/replicas"}));
}

TEST(ObjectDiff, CappedAtTheLimit) {
  json old = testing::deployment("prod", "x");
  json now = old;
  for (std::size_t i = 0; i < kMaxChangedPaths + 10; ++i) now["metadata"]["labels"]["l" + std::to_string(i)] = "v";
  AdmissionRequest request = parsed_update(old, now);
  EXPECT_FALSE(request.changed_paths_complete);
  EXPECT_EQ(request.changed_paths.size(), kMaxChangedPaths);
}

// The review as the apiserver could send it, with the two objects' text as given.
std::string update_review(const std::string& old_object, const std::string& object) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":)"
         R"({"group":"apps","version":"v1","kind":"Deployment"},"operation":"UPDATE","namespace":"prod",)"
         R"("object":)" + object + R"(,"oldObject":)" + old_object + "}}";
}

TEST(ObjectDiff, ManyKeysInOppositeOrdersAreNotQuadratic) {
  // 20,000 labels in opposite orders on the two sides, one of them changed:
  // a key lookup per key would be quadratic (seconds on a listener thread).
  auto labels = [](bool ascending, int changed) {
    std::string out;
    for (int n = 0; n < 20'000; ++n) {
      int i = ascending ? n : 19'999 - n;
      out += (n ? "," : "") + ("\"l" + std::to_string(i) + "\":\"") + (i == changed ? "changed" : "v") + "\"";
    }
    return R"({"metadata":{"name":"a","labels":{)" + out + "}}}";
  };
  ReviewParseResult parsed = parse_admission_review(update_review(labels(true, -1), labels(false, 123)));
  ASSERT_TRUE(parsed.review) << parsed.error;
  EXPECT_EQ(parsed.review->request.changed_paths, (std::vector<std::string>{"/metadata/labels/l123"}));
}

TEST(ObjectDiff, DifferentKeyOrderIsNoChange) {
  std::string object = R"({"metadata":{"name":"a","labels":{"x":"1","y":"2"}},"spec":{"replicas":1}})";
  std::string reordered = R"({"spec":{"replicas":1},"metadata":{"labels":{"y":"2","x":"1"},"name":"a"}})";
  ReviewParseResult parsed = parse_admission_review(update_review(object, reordered));
  ASSERT_TRUE(parsed.review) << parsed.error;
  EXPECT_TRUE(parsed.review->request.changed_paths.empty());
  EXPECT_TRUE(parsed.review->request.changed_paths_complete);
}

TEST(ObjectDiff, CorpusUpdateWithOldObject) {
  REQUIRE_CORPUS(corpus);
  json request = json::parse(testing::read_file(corpus / "admission/kubewarden_admissionrequest_deployment_update_with_oldObject.json"));
  json review{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}};
  ReviewParseResult parsed = parse_admission_review(review.dump());
  ASSERT_TRUE(parsed.review) << parsed.error;
  const AdmissionRequest& r = parsed.review->request;
  EXPECT_TRUE(r.changed_paths_complete);
  // The recorded update changes something, and never a server-maintained field.
  EXPECT_FALSE(r.changed_paths.empty());
  for (const std::string& p : r.changed_paths) {
    EXPECT_FALSE(p.starts_with("/metadata/managedFields") || p.starts_with("/status") ||
                 p == "/metadata/resourceVersion")
        << p;
  }
}

}  // namespace
}  // namespace releasegate::admission
