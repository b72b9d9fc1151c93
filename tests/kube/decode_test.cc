// Objects decoded from lists and watch events lose metadata.managedFields
// (kube/decode.h), and nothing else: not a template's metadata, not a
// member that only has the name elsewhere.
#include "kube/decode.h"

#include <gtest/gtest.h>

#include "kube/watch_stream.h"

namespace releasegate::kube {
namespace {

const char* kDeployment = R"({"kind":"Deployment","metadata":{"name":"web","managedFields":[{"manager":"kubectl",
  "fieldsV1":{"f:spec":{}}}],"labels":{"managedFields":"kept"}},"spec":{"template":{"metadata":{"managedFields":[1]},
  "spec":{"containers":[{"name":"web","image":"ghcr.io/acme/web:1.0.0"}]}}},"managedFields":"top-level, kept"})";

TEST(Decode, AListedObjectLosesOnlyItsOwnManagedFields) {
  nlohmann::json object = decode_object(kDeployment, 0);
  ASSERT_TRUE(object.is_object());
  EXPECT_FALSE(object["metadata"].contains("managedFields"));
  EXPECT_EQ(object["metadata"]["name"], "web");
  EXPECT_EQ(object["metadata"]["labels"]["managedFields"], "kept");
  EXPECT_EQ(object["spec"]["template"]["metadata"]["managedFields"], nlohmann::json::array({1}));
  EXPECT_EQ(object["spec"]["template"]["spec"]["containers"][0]["image"], "ghcr.io/acme/web:1.0.0");
  EXPECT_EQ(object["managedFields"], "top-level, kept");
  nlohmann::json whole = nlohmann::json::parse(kDeployment);
  whole["metadata"].erase("managedFields");
  EXPECT_EQ(object, whole) << "nothing else differs";
}

TEST(Decode, AWatchEventsObjectLosesItsManagedFields) {
  std::string line = std::string(R"({"type":"MODIFIED","object":)") + kDeployment + "}";
  std::string error;
  std::optional<WatchEvent> event = parse_watch_event(line, &error);
  ASSERT_TRUE(event) << error;
  EXPECT_FALSE(event->object["metadata"].contains("managedFields"));
  EXPECT_EQ(event->object["metadata"]["name"], "web");
  EXPECT_EQ(event->object["spec"]["template"]["metadata"]["managedFields"], nlohmann::json::array({1}));
}

TEST(Decode, WhatIsNotJsonIsDiscarded) {
  EXPECT_TRUE(decode_object(R"({"metadata":{"managedFields":[)", 0).is_discarded());
  EXPECT_TRUE(decode_object("", 0).is_discarded());
}

}  // namespace
}  // namespace releasegate::kube
