// Client::watch against the recorded watch streams (replayed byte for byte
// and chunk by chunk) and against broken ones written by hand.
#include <gtest/gtest.h>

#include <thread>

#include "kube/client.h"
#include "tests/support/fake_api_server.h"

namespace releasegate::kube {
namespace {

using testing::FakeApiServer;
using testing::FakeReply;
using testing::FakeRequest;

const std::string kRulesPath = "/api/v1/namespaces/releasegate-system/configmaps";
const ListOptions kRulesSelector{"releasegate.io/rules=true", "", 0, "328"};

struct Seen {
  std::vector<WatchEventType> types;
  std::vector<std::string> names;
  std::vector<std::string> versions;
};

WatchResult watch(Client& client, Seen& seen, const ListOptions& options = kRulesSelector) {
  return client.watch(kRulesPath, options, std::chrono::seconds(20), [&](WatchEvent&& event) {
    seen.types.push_back(event.type);
    seen.names.push_back(event.object["metadata"].value("name", ""));
    seen.versions.push_back(event.object["metadata"].value("resourceVersion", ""));
  });
}

void script(FakeApiServer& api, FakeReply reply) {
  api.set_handler([reply](const FakeRequest&) -> std::optional<FakeReply> { return reply; });
}

std::string event_line(const std::string& type, const std::string& name, const std::string& rv) {
  nlohmann::json event = {{"type", type},
                          {"object",
                           {{"kind", "ConfigMap"},
                            {"apiVersion", "v1"},
                            {"metadata", {{"name", name}, {"namespace", "releasegate-system"}, {"resourceVersion", rv}}}}}};
  return event.dump() + "\n";
}

using T = WatchEventType;

TEST(ClientWatch, AsksForBookmarksFromTheResourceVersionWithATimeout) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::recording("b02-watch-configmaps-labelselector-timeout20"));
  Client client(api.client_config());
  Seen seen;
  watch(client, seen);
  FakeRequest sent = api.requests().at(0);
  EXPECT_EQ(sent.path, kRulesPath);
  EXPECT_EQ(sent.query.at("watch"), "true");
  EXPECT_EQ(sent.query.at("allowWatchBookmarks"), "true");
  EXPECT_EQ(sent.query.at("resourceVersion"), "328");
  EXPECT_EQ(sent.query.at("timeoutSeconds"), "20");
  EXPECT_EQ(sent.query.at("labelSelector"), "releasegate.io/rules=true");
}

TEST(ClientWatch, RecordingB02DeliversEveryEventThenTheBookmarkThenCloses) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::recording_in_chunks("b02-watch-configmaps-labelselector-timeout20",
                                              std::chrono::milliseconds(2)));
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Closed) << result.error.describe();
  EXPECT_EQ(seen.types, (std::vector<T>{T::Added, T::Modified, T::Deleted, T::Added, T::Modified, T::Deleted,
                                        T::Bookmark}));
  EXPECT_EQ(seen.versions, (std::vector<std::string>{"329", "330", "331", "333", "334", "335", "336"}));
  EXPECT_EQ(seen.names[2], "podinfo-promotion");  // the label removal, as DELETED
  EXPECT_EQ(result.resource_version, "336");      // the bookmark's
  EXPECT_EQ(result.events, 7u);
}

TEST(ClientWatch, RecordingB05BookmarksOnlyMoveTheResourceVersion) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::recording("b05-watch-configmaps-labelselector-timeout75-bookmarks"));
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Closed);
  EXPECT_EQ(seen.types, (std::vector<T>{T::Bookmark, T::Bookmark, T::Bookmark}));
  EXPECT_EQ(result.resource_version, "347");
}

TEST(ClientWatch, RecordingB07EventSpanningTwoChunksIsDeliveredWhole) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  // A pause between the chunks, so that the second arrives in a read of its own.
  script(api, FakeReply::recording_in_chunks("b07-watch-configmaps-labelselector-rv-unset-initial-added",
                                              std::chrono::milliseconds(30)));
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen, {"releasegate.io/rules=true", "", 0, ""});
  EXPECT_EQ(result.end, WatchEnd::Closed) << result.error.describe();
  EXPECT_EQ(seen.names, (std::vector<std::string>{"podinfo-promotion", "releasegate-policy"}));
  EXPECT_EQ(seen.types, (std::vector<T>{T::Added, T::Added}));
  EXPECT_EQ(api.requests().at(0).query.count("resourceVersion"), 0u);
}

TEST(ClientWatch, ErrorEvent410InA200IsExpired) {
  REQUIRE_RECORDINGS(recordings);
  for (const char* name : {"c01-watch-configmaps-too-old-resourceversion-410-error-event",
                           "c02-watch-configmaps-resourceversion-1-410-error-event"}) {
    FakeApiServer api;
    ASSERT_TRUE(api.ok()) << api.error();
    script(api, FakeReply::recording(name));
    Client client(api.client_config());
    Seen seen;
    WatchResult result = watch(client, seen);
    EXPECT_EQ(result.end, WatchEnd::Expired) << name;
    EXPECT_EQ(result.error.code, 410);
    EXPECT_EQ(result.error.reason, "Expired");
    EXPECT_TRUE(seen.types.empty()) << "the ERROR event is not delivered";
  }
}

TEST(ClientWatch, Http410IsExpired) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::recording("c05-list-configmaps-resourceversion-exact-compacted-410"));
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Expired);
  EXPECT_EQ(result.error.message, "The resourceVersion for the provided list is too old.");
}

TEST(ClientWatch, RefusedWatchFailsWithTheStatus) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::recording("d04-403-serviceaccount-without-rbac-watch"));
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Failed);
  EXPECT_EQ(result.error.code, 403);
  EXPECT_EQ(result.error.reason, "Forbidden");
  EXPECT_NE(result.error.message.find("cannot watch resource"), std::string::npos);
}

TEST(ClientWatch, OtherErrorEventFails) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  std::string status = R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)"
                       R"("status":"Failure","message":"internal error","reason":"InternalError","code":500}})";
  script(api, FakeReply().then(FakeReply::chunked_head() + FakeReply::chunk(event_line("ADDED", "a", "5")) +
                               FakeReply::chunk(status + "\n") + FakeReply::chunk({})));
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Failed);
  EXPECT_EQ(result.error.reason, "InternalError");
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(result.resource_version, "5");
}

TEST(ClientWatch, StreamCutInTheMiddleOfAnEventFailsWithoutIt) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  std::string second = event_line("MODIFIED", "b", "7");
  FakeReply reply;
  reply.then(FakeReply::chunked_head() + FakeReply::chunk(event_line("ADDED", "a", "6")))
      .then(FakeReply::chunk(second.substr(0, 40)), std::chrono::milliseconds(20));
  reply.after = FakeReply::After::Close;
  script(api, reply);
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Cut);
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(result.resource_version, "6");
}

TEST(ClientWatch, PartialLastLineInACompleteBodyIsACutStream) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  std::string line = event_line("ADDED", "a", "6");
  script(api, FakeReply().then(FakeReply::chunked_head() + FakeReply::chunk(line.substr(0, line.size() - 1)) +
                               FakeReply::chunk({})));
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Cut);
  EXPECT_TRUE(seen.names.empty());
}

TEST(ClientWatch, SeveralEventsInOneChunkAndOneEventInManyChunks) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  std::string two = event_line("ADDED", "a", "6") + event_line("ADDED", "b", "7");
  std::string long_one = event_line("MODIFIED", "c", "8");
  FakeReply reply;
  reply.then(FakeReply::chunked_head() + FakeReply::chunk(two));
  for (std::size_t at = 0; at < long_one.size(); at += 10) {
    reply.then(FakeReply::chunk(long_one.substr(at, 10)), std::chrono::milliseconds(at == 0 ? 5 : 0));
  }
  reply.then(FakeReply::chunk({}));
  script(api, reply);
  Client client(api.client_config());
  Seen seen;
  WatchResult result = watch(client, seen);
  EXPECT_EQ(result.end, WatchEnd::Closed) << result.error.describe();
  EXPECT_EQ(seen.names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ClientWatch, MalformedEventFails) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply().then(FakeReply::chunked_head() + FakeReply::chunk("{\"type\":\"ADDED\",\"object\":3}\n") +
                               FakeReply::chunk({})));
  Client client(api.client_config());
  Seen seen;
  EXPECT_EQ(watch(client, seen).end, WatchEnd::Failed);
  EXPECT_TRUE(seen.names.empty());
}

TEST(ClientWatch, StopFromAnotherThreadEndsABlockedWatchPromptly) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  FakeReply reply;
  reply.then(FakeReply::chunked_head() + FakeReply::chunk(event_line("ADDED", "a", "6")));
  reply.after = FakeReply::After::Stall;
  script(api, reply);
  Client client(api.client_config());
  Seen seen;
  std::thread stopper([&] {
    while (api.request_count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    client.stop();
  });
  auto started = std::chrono::steady_clock::now();
  WatchResult result = watch(client, seen);
  stopper.join();
  EXPECT_EQ(result.end, WatchEnd::Stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15)) << "stop ends a blocked watch (its timeout is 20 s)";
  EXPECT_EQ(client.get(kRulesPath).transport_error, "stopped");
}

TEST(ClientWatch, StopBeforeTheWatchStartsReturnsAtOnce) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  Client client(api.client_config());
  client.stop();
  Seen seen;
  EXPECT_EQ(watch(client, seen).end, WatchEnd::Stopped);
  EXPECT_EQ(api.request_count(), 0u);
}

}  // namespace
}  // namespace releasegate::kube
