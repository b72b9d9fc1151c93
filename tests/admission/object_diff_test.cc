#include "admission/object_diff.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace releasegate::admission {
namespace {

using nlohmann::json;

std::vector<std::string> diff(const json& old_object, const json& object) {
  json review{{"request", {{"object", object}, {"oldObject", old_object}}}};
  ObjectDiff d = diff_update(review.dump());
  EXPECT_FALSE(d.failed);
  EXPECT_FALSE(d.truncated);
  return d.paths;
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
  for (int i = 0; i < 10; ++i) now["metadata"]["labels"]["l" + std::to_string(i)] = "v";
  json review{{"request", {{"object", now}, {"oldObject", old}}}};
  ObjectDiff d = diff_update(review.dump(), 4);
  EXPECT_TRUE(d.truncated);
  EXPECT_EQ(d.paths.size(), 4u);
}

TEST(ObjectDiff, CorpusUpdateWithOldObject) {
  REQUIRE_CORPUS(corpus);
  json request = json::parse(testing::read_file(corpus / "admission/kubewarden_admissionrequest_deployment_update_with_oldObject.json"));
  ObjectDiff d = diff_update(json{{"request", request}}.dump());
  ASSERT_FALSE(d.failed);
  EXPECT_FALSE(d.truncated);
  // The recorded update changes something, and never a server-maintained field.
  EXPECT_FALSE(d.paths.empty());
  for (const std::string& p : d.paths) {
    EXPECT_FALSE(p.starts_with("/metadata/managedFields") || p.starts_with("/status") ||
                 p == "/metadata/resourceVersion")
        << p;
  }
}

}  // namespace
}  // namespace releasegate::admission
