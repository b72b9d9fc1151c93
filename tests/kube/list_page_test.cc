// A list page read without its tree (kube/list_page.h), as the apiserver
// writes them: built-in lists (no continue on the last page), custom
// resource lists (continue "" and items null), and pages that are not lists.
#include "kube/list_page.h"

#include <gtest/gtest.h>

#include <vector>

namespace releasegate::kube {
namespace {

struct Read {
  ListPage page;
  std::vector<std::string> items;
};

Read read(std::string body) {
  Read out;
  out.page = read_list_page(body, [&](std::string_view item) { out.items.emplace_back(item); });
  return out;
}

TEST(ListPage, ItemsAreHandedOverAsTheirOwnTextInOrder) {
  Read r = read(R"({"kind":"DeploymentList","apiVersion":"apps/v1",
    "metadata":{"resourceVersion":"1204","continue":"eyJ2Ijoi\u006d"},
    "items":[{"metadata":{"name":"a"},"spec":{"replicas":2}}, {"metadata":{"name":"b"}}]})");
  ASSERT_TRUE(r.page.ok);
  EXPECT_EQ(r.page.resource_version, "1204");
  EXPECT_EQ(r.page.continue_token, "eyJ2Ijoim") << "escapes are read";
  EXPECT_EQ(r.items, (std::vector<std::string>{R"({"metadata":{"name":"a"},"spec":{"replicas":2}})",
                                               R"({"metadata":{"name":"b"}})"}));
}

TEST(ListPage, AnyFieldOrderAndTheLastPagesOfBothKindsOfList) {
  Read built_in = read(R"({"items":[],"metadata":{"resourceVersion":"7"},"kind":"PodList"})");
  ASSERT_TRUE(built_in.page.ok);
  EXPECT_EQ(built_in.page.resource_version, "7");
  EXPECT_EQ(built_in.page.continue_token, "");
  Read custom = read(R"({"apiVersion":"helm.toolkit.fluxcd.io/v2","items":null,"metadata":{"continue":"","resourceVersion":"88"}})");
  ASSERT_TRUE(custom.page.ok);
  EXPECT_TRUE(custom.items.empty());
  EXPECT_EQ(custom.page.resource_version, "88");
}

TEST(ListPage, WhatIsNotAListDeliversNothing) {
  for (const char* body : {"", "[]", "{}", R"({"items":{}})", R"({"items":[1]})", R"({"items":[{"a":1},)",
                           R"({"items":[{"a":1}]} trailing)", R"({"metadata":{},"items":[{"a":1}])",
                           R"({"items":nul,"kind":"List"})", R"({"items":[{"a":1}],"items":[2]})"}) {
    Read r = read(body);
    EXPECT_FALSE(r.page.ok) << body;
    EXPECT_TRUE(r.items.empty()) << body << ": nothing before the page is known whole";
  }
}

TEST(ListPage, ARepeatedMemberIsReadAsTheLastOne) {
  Read r = read(R"({"items":[{"a":1}],"metadata":{"resourceVersion":"1","resourceVersion":2},"items":[{"b":2}]})");
  ASSERT_TRUE(r.page.ok);
  EXPECT_EQ(r.items, std::vector<std::string>{R"({"b":2})"});
  EXPECT_EQ(r.page.resource_version, "") << "a number is no resourceVersion";
  Read replaced = read(R"({"items":{"a":1},"metadata":"none","items":[{"b":2}]})");
  ASSERT_TRUE(replaced.page.ok) << "an items that is not a list is replaced by a later one";
  EXPECT_EQ(replaced.items, std::vector<std::string>{R"({"b":2})"});
  EXPECT_EQ(replaced.page.resource_version, "") << "metadata that is not an object is none";
}

// The identity the reflector compares before decoding an item: read from
// metadata alone (not from a field of the same name elsewhere), escapes
// undone, the last of a repeated key, and nothing when a part is missing.
TEST(ListPage, AnItemsIdentityIsReadFromItsMetadata) {
  ItemIdentity full = read_item_identity(
      R"({"spec":{"name":"not-this","resourceVersion":"1"},"metadata":{"name":"web\u002d1","namespace":"prod",)"
      R"("resourceVersion":"7","labels":{"name":"x"},"resourceVersion":"8"}})");
  EXPECT_TRUE(full.ok);
  EXPECT_EQ(full.name, "web-1");
  EXPECT_EQ(full.namespace_, "prod");
  EXPECT_EQ(full.resource_version, "8");
  ItemIdentity cluster_wide = read_item_identity(R"({"metadata":{"name":"ns","resourceVersion":"3"}})");
  EXPECT_TRUE(cluster_wide.ok);
  EXPECT_EQ(cluster_wide.namespace_, "");
  EXPECT_FALSE(read_item_identity(R"({"metadata":{"name":"a"}})").ok);
  EXPECT_FALSE(read_item_identity(R"({"metadata":{"name":"a","resourceVersion":7}})").ok);
  EXPECT_FALSE(read_item_identity(R"({"metadata":[]})").ok);
  EXPECT_FALSE(read_item_identity("not json").ok);
}

}  // namespace
}  // namespace releasegate::kube
