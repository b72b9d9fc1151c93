// The test API server's resourceVersion semantics, which the reflector's
// tests rely on: they are kube-apiserver 1.28's (see fake_api_store.cc),
// checked here through the client, against the recordings where one shows
// the same thing. A fake kinder than the real server hides bugs: the
// restart loop (issue: a paged relist at an RV is an exact read) did.
#include <gtest/gtest.h>

#include "kube/client.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/test_support.h"

namespace releasegate::kube {
namespace {

using testing::FakeApiServer;
using nlohmann::json;

const std::string kCollection = "/api/v1/namespaces/dev/configmaps";

json config_map(const std::string& name) { return {{"metadata", {{"name", name}}}, {"data", {{"k", name}}}}; }

struct Listed {
  int status = 0;
  std::string resource_version;
  std::vector<std::string> names;
  std::string next;  // continue
  ApiError error;
};

Listed list(Client& client, const std::string& query) {
  Response response = client.get(kCollection + query);
  Listed listed;
  listed.status = response.status;
  if (!response.ok()) {
    listed.error = error_of(response);
    return listed;
  }
  json body = json::parse(response.body);
  listed.resource_version = body["metadata"]["resourceVersion"];
  listed.next = body["metadata"].value("continue", "");
  for (const json& item : body["items"]) listed.names.push_back(item["metadata"]["name"]);
  return listed;
}

using Names = std::vector<std::string>;

class FakeApiSemantics : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api.ok()) << api.error();
    first = api.put(kCollection, config_map("a"));
    api.put(kCollection, config_map("b"));
  }
  FakeApiServer api;
  Client client{api.client_config(), RetryPolicy{1, std::chrono::milliseconds(1), std::chrono::milliseconds(1)}};
  std::string first;  // the RV at which only "a" existed
};

TEST_F(FakeApiSemantics, APagedListAtAVersionIsAnExactReadOfThatVersion) {
  Listed exact = list(client, "?resourceVersion=" + first + "&limit=10");
  EXPECT_EQ(exact.status, 200);
  EXPECT_EQ(exact.resource_version, first);
  EXPECT_EQ(exact.names, Names{"a"});
  Listed match = list(client, "?resourceVersion=" + first + "&resourceVersionMatch=Exact");
  EXPECT_EQ(match.resource_version, first);
  EXPECT_EQ(match.names, Names{"a"});
}

TEST_F(FakeApiSemantics, AnUnpagedListAtAVersionIsNotOlderThanIt) {
  Listed listed = list(client, "?resourceVersion=" + first);
  EXPECT_EQ(listed.resource_version, api.resource_version());
  EXPECT_EQ(listed.names, (Names{"a", "b"}));
  Listed not_older = list(client, "?resourceVersion=" + first + "&resourceVersionMatch=NotOlderThan&limit=1");
  EXPECT_EQ(not_older.resource_version, api.resource_version());  // from etcd, newest, paged
  EXPECT_EQ(not_older.names, Names{"a"});
  EXPECT_FALSE(not_older.next.empty());
}

// a06: resourceVersion=0 is served from the watch cache, which ignores limit.
TEST_F(FakeApiSemantics, VersionZeroIgnoresTheLimit) {
  Listed listed = list(client, "?resourceVersion=0&limit=1");
  EXPECT_EQ(listed.names, (Names{"a", "b"}));
  EXPECT_TRUE(listed.next.empty());
}

TEST_F(FakeApiSemantics, LaterPagesStayAtTheFirstPagesVersion) {
  Listed page1 = list(client, "?limit=1");
  ASSERT_FALSE(page1.next.empty());
  api.remove(kCollection, "b");
  api.put(kCollection, config_map("c"));
  Listed page2 = list(client, "?limit=1&continue=" + query_escape(page1.next));
  EXPECT_EQ(page2.resource_version, page1.resource_version);
  EXPECT_EQ(page2.names, Names{"b"});  // deleted since, but there at that version
  EXPECT_TRUE(page2.next.empty());
}

TEST_F(FakeApiSemantics, ListOptionsAreValidatedAsTheApiServerDoes) {
  EXPECT_EQ(list(client, "?resourceVersionMatch=NotOlderThan").status, 422);
  EXPECT_EQ(list(client, "?resourceVersion=0&resourceVersionMatch=Exact").status, 422);
  EXPECT_EQ(list(client, "?resourceVersion=1&resourceVersionMatch=Newest").status, 422);
  EXPECT_EQ(list(client, "?resourceVersion=x").status, 400);
}

TEST_F(FakeApiSemantics, CompactedVersionsAreGoneForExactReadsOnly) {
  api.expire_watches();
  Listed exact = list(client, "?resourceVersion=" + first + "&limit=10");
  EXPECT_EQ(exact.status, 410);
  EXPECT_TRUE(exact.error.expired());
  EXPECT_EQ(list(client, "?resourceVersion=" + first).status, 200);  // not older than: the cache answers
}

TEST_F(FakeApiSemantics, AVersionNotReachedIsTooLarge) {
  std::uint64_t ahead = std::stoull(api.resource_version()) + 5;
  Listed etcd = list(client, "?resourceVersion=" + std::to_string(ahead) + "&resourceVersionMatch=NotOlderThan&limit=5");
  EXPECT_EQ(etcd.status, 504);
  EXPECT_TRUE(etcd.error.too_large_resource_version);
  EXPECT_FALSE(etcd.error.expired());
  api.hold_watch_cache(true);
  std::string newest = api.put(kCollection, config_map("c"));
  Listed cache = list(client, "?resourceVersion=" + newest);  // the cache waits 3 s, then gives up
  EXPECT_EQ(cache.status, 504);
  EXPECT_TRUE(cache.error.too_large_resource_version);
  EXPECT_EQ(cache.error.reason, "Timeout");
  api.hold_watch_cache(false);
  EXPECT_EQ(list(client, "?resourceVersion=" + newest).names, (Names{"a", "b", "c"}));
}

// After a restart the new watch cache refuses every earlier RV, while etcd
// still reads exactly at it: the two halves of the restart loop.
TEST_F(FakeApiSemantics, ARestartedServerRefusesOldWatchesButStillReadsOldVersions) {
  std::string before = api.resource_version();
  api.restart();
  WatchResult watched = client.watch(kCollection, ListOptions{"", "", 0, before}, std::chrono::seconds(5),
                                     [&](WatchEvent&&) {});
  EXPECT_EQ(watched.end, WatchEnd::Expired) << watched.error.describe();
  Listed exact = list(client, "?resourceVersion=" + before + "&limit=500");
  EXPECT_EQ(exact.resource_version, before);
  Listed not_older = list(client, "?resourceVersion=" + before);
  EXPECT_EQ(not_older.resource_version, api.resource_version());
  WatchResult resumed = client.watch(kCollection, ListOptions{"", "", 0, not_older.resource_version},
                                     std::chrono::seconds(1), [&](WatchEvent&&) {});
  EXPECT_EQ(resumed.end, WatchEnd::Closed) << resumed.error.describe();
}

// c05's 410, and a too-large answer from a server older than 1.17, as the
// client reads them.
TEST(ApiErrors, ExpiredAndTooLargeAreTold) {
  Response c05;
  c05.status = 410;
  c05.body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
             R"("message":"The resourceVersion for the provided list is too old.","reason":"Expired","code":410})";
  EXPECT_TRUE(error_of(c05).expired());
  EXPECT_FALSE(error_of(c05).too_large_resource_version);
  Response old_server;  // before 1.17: no cause, the message only
  old_server.status = 504;
  old_server.body = R"({"kind":"Status","status":"Failure","message":"Timeout: Too large resource version: 9, current: 8",)"
                    R"("reason":"Timeout","code":504})";
  EXPECT_TRUE(error_of(old_server).too_large_resource_version);
}

}  // namespace
}  // namespace releasegate::kube
