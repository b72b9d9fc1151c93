// What the audit reads of a listed object's text besides the rules' view
// (audit/listed_object.h).
#include "audit/listed_object.h"

#include <gtest/gtest.h>

namespace releasegate::audit {
namespace {

TEST(ListedObject, ReadsTheUidTheControllerAndWhatAPodRuns) {
  std::optional<ListedObject> pod = read_listed_object(R"({
    "metadata": {"name": "web-1", "uid": "u-1", "ownerReferences": [
      {"kind": "Node", "uid": "n-1"},
      {"kind": "ReplicaSet", "uid": "rs-1", "controller": false},
      {"kind": "ReplicaSet", "uid": "rs-2", "controller": true},
      {"kind": "StatefulSet", "uid": "ss-1", "controller": true}]},
    "spec": {"containers": [{"name": "web", "image": "ghcr.io/acme/web:1.0"}]},
    "status": {"phase": "Running", "containerStatuses": [
      {"name": "web", "image": "ghcr.io/acme/web:1.0", "imageID": "ghcr.io/acme/web@sha256:aa"},
      {"name": "sidecar", "image": "ghcr.io/acme/proxy:2"}]}})");
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->uid, "u-1");
  EXPECT_EQ(pod->controller, "ReplicaSet/rs-2") << "the first reference with controller: true";
  EXPECT_EQ(pod->phase, "Running");
  ASSERT_EQ(pod->container_statuses.size(), 2u);
  EXPECT_EQ(pod->container_statuses[0].second, "ghcr.io/acme/web@sha256:aa");
  EXPECT_EQ(pod->container_statuses[1].first, "ghcr.io/acme/proxy:2");
  EXPECT_EQ(pod->container_statuses[1].second, "");
}

TEST(ListedObject, FieldsOfTheWrongTypeReadAsAbsent) {
  std::optional<ListedObject> odd = read_listed_object(R"({
    "metadata": {"uid": 7, "ownerReferences": {"kind": "ReplicaSet", "uid": "rs", "controller": true}},
    "status": {"phase": ["Running"], "containerStatuses": [3, null, {"image": 1, "imageID": "x"}]}})");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->uid, "");
  EXPECT_EQ(odd->controller, "");
  EXPECT_EQ(odd->phase, "");
  ASSERT_EQ(odd->container_statuses.size(), 1u);
  EXPECT_EQ(odd->container_statuses[0].first, "");
  EXPECT_EQ(odd->container_statuses[0].second, "x");

  std::optional<ListedObject> string_controller =
      read_listed_object(R"({"metadata": {"ownerReferences": [{"kind": "Job", "uid": "j", "controller": "true"}]}})");
  ASSERT_TRUE(string_controller);
  EXPECT_EQ(string_controller->controller, "") << "controller is a boolean, as the API writes it";
}

TEST(ListedObject, TextThatIsNotAnObjectIsNothing) {
  EXPECT_FALSE(read_listed_object("[]"));
  EXPECT_FALSE(read_listed_object(""));
  EXPECT_FALSE(read_listed_object(R"({"metadata": {"uid": "u")"));
}

}  // namespace
}  // namespace releasegate::audit
