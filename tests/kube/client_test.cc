// Client requests and lists against the fake API server: the recordings
// replayed byte for byte, and the stateful store.
#include "kube/client.h"

#include <gtest/gtest.h>

#include "tests/support/fake_api_server.h"

namespace releasegate::kube {
namespace {

using testing::FakeApiServer;
using testing::FakeReply;
using testing::FakeRequest;

const std::string kRulesPath = "/api/v1/namespaces/releasegate-system/configmaps";
const std::string kRulesSelector = "releasegate.io/rules=true";

// Answers every request with one recording, in order, then 404s.
FakeApiServer::Handler replay(std::vector<std::string> names) {
  auto next = std::make_shared<std::size_t>(0);
  return [names = std::move(names), next](const FakeRequest&) -> std::optional<FakeReply> {
    if (*next >= names.size()) return FakeReply::plain(404, "text/plain", "404 page not found\n");
    return FakeReply::recording(names[(*next)++]);
  };
}

std::vector<nlohmann::json> list_all(Client& client, const std::string& path, const ListOptions& options,
                                     ListResult* result) {
  std::vector<nlohmann::json> items;
  *result = client.list(path, options, [&](nlohmann::json&& item) { items.push_back(std::move(item)); });
  return items;
}

std::vector<std::string> names_of(const std::vector<nlohmann::json>& items) {
  std::vector<std::string> names;
  for (const auto& item : items) names.push_back(item["metadata"]["name"]);
  return names;
}

TEST(ClientRequest, SendsIdentityAndTokenAndNoAcceptEncoding) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  Client client(api.client_config());
  Response response = client.get(kRulesPath);
  ASSERT_EQ(response.status, 200) << response.transport_error;
  std::vector<FakeRequest> requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("user-agent"), "releasegate/0.1");
  EXPECT_EQ(requests[0].headers.at("accept"), "application/json");
  EXPECT_EQ(requests[0].headers.at("authorization"), std::string("Bearer ") + FakeApiServer::kToken);
  EXPECT_EQ(requests[0].headers.at("host"), "127.0.0.1:" + std::to_string(api.port()));
  EXPECT_EQ(requests[0].headers.count("accept-encoding"), 0u);
}

TEST(ClientList, RecordingA01GivesTheTwoLabelledConfigMapsAndTheListRv) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler(replay({"a01-list-configmaps-ns-labelselector"}));
  Client client(api.client_config());
  ListResult result;
  auto items = list_all(client, kRulesPath, {kRulesSelector, "", 0, ""}, &result);
  ASSERT_TRUE(result.ok) << result.error.describe();
  EXPECT_EQ(result.resource_version, "301");
  EXPECT_EQ(result.items, 2u);
  EXPECT_EQ(names_of(items), (std::vector<std::string>{"podinfo-promotion", "releasegate-policy"}));
  EXPECT_FALSE(items[0].contains("kind"));  // built-in list items carry no kind
  FakeRequest sent = api.requests().at(0);
  EXPECT_EQ(sent.target, kRulesPath + "?labelSelector=releasegate.io%2Frules%3Dtrue");
}

TEST(ClientList, PagesA02A03PassTheContinueTokenBackExactly) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler(replay({"a02-list-configmaps-ns-labelselector-limit1-page1",
                          "a03-list-configmaps-ns-labelselector-limit1-page2"}));
  Client client(api.client_config());
  ListResult result;
  auto items = list_all(client, kRulesPath, {kRulesSelector, "", 1, ""}, &result);
  ASSERT_TRUE(result.ok) << result.error.describe();
  EXPECT_EQ(result.resource_version, "301");
  EXPECT_EQ(names_of(items), (std::vector<std::string>{"podinfo-promotion", "releasegate-policy"}));
  std::vector<FakeRequest> requests = api.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].query.count("continue"), 0u);
  EXPECT_EQ(requests[0].query.at("limit"), "1");
  EXPECT_EQ(requests[1].query.at("continue"),
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MzAxLCJzdGFydCI6InBvZGluZm8tcHJvbW90aW9uXHUwMDAwIn0");
  EXPECT_EQ(requests[1].query.count("resourceVersion"), 0u);
}

TEST(ClientList, RecordingsA04A05A06ListAcrossNamespacesAllAndFromCache) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler(replay({"a04-list-configmaps-all-namespaces-labelselector", "a05-list-configmaps-ns-no-selector",
                          "a06-list-configmaps-ns-labelselector-limit1-rv0-from-cache"}));
  Client client(api.client_config());
  ListResult result;
  auto across = list_all(client, "/api/v1/configmaps", {kRulesSelector, "", 0, ""}, &result);
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(across.size(), 3u);
  EXPECT_EQ(Client(api.client_config()).config().host, "127.0.0.1");
  auto all = list_all(client, kRulesPath, {"", "", 0, ""}, &result);
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(all.size(), 3u);
  auto cached = list_all(client, kRulesPath, {kRulesSelector, "", 1, "0"}, &result);
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(cached.size(), 2u);  // the cache ignores limit: both, no continue
  EXPECT_EQ(result.resource_version, "281");
  EXPECT_EQ(api.requests().back().query.at("resourceVersion"), "0");
}

TEST(ClientList, EmptyLastPageAfterAContinueTokenEndsTheList) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler(replay({"c06-list-configmaps-inconsistent-continue-token-from-410",
                          "c07-list-configmaps-continue-last-page-empty"}));
  Client client(api.client_config());
  ListResult result;
  list_all(client, kRulesPath, {kRulesSelector, "", 1, ""}, &result);
  ASSERT_TRUE(result.ok) << result.error.describe();
  EXPECT_EQ(result.resource_version, "662");
  EXPECT_EQ(api.request_count(), 2u);
}

TEST(ClientList, CustomResourceListWithEmptyContinueEnds) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler(replay({"e05-list-helmreleases-v2-all-namespaces"}));
  Client client(api.client_config());
  ListResult result;
  auto items = list_all(client, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases", {}, &result);
  ASSERT_TRUE(result.ok) << result.error.describe();
  EXPECT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0]["kind"], "HelmRelease");
  EXPECT_EQ(api.request_count(), 1u);
}

TEST(ClientList, ExpiredContinueTokenFailsTheListAsExpired) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler(replay({"a02-list-configmaps-ns-labelselector-limit1-page1",
                          "c03-list-configmaps-expired-continue-token-410"}));
  Client client(api.client_config());
  ListResult result;
  list_all(client, kRulesPath, {kRulesSelector, "", 1, ""}, &result);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.code, 410);
  EXPECT_EQ(result.error.reason, "Expired");
  EXPECT_TRUE(result.error.expired());
}

TEST(ClientList, ExactCompactedResourceVersionIsExpired) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler(replay({"c05-list-configmaps-resourceversion-exact-compacted-410"}));
  Client client(api.client_config());
  ListResult result;
  list_all(client, kRulesPath, {kRulesSelector, "", 0, "328"}, &result);
  EXPECT_TRUE(result.error.expired());
  EXPECT_EQ(result.error.message, "The resourceVersion for the provided list is too old.");
}

// An item that is not JSON fails the list where it stands: nothing after
// it is delivered and no later page is asked for.
TEST(ClientList, AnItemThatIsNotJsonFailsTheListAtOnce) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler([](const FakeRequest&) -> std::optional<FakeReply> {
    return FakeReply::plain(200, "application/json",
                            R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7",)"
                            R"("continue":"next"},"items":[{"metadata":{"name":"a"}},{"metadata":tru},)"
                            R"({"metadata":{"name":"c"}}]})");
  });
  Client client(api.client_config());
  ListResult result;
  std::vector<nlohmann::json> items = list_all(client, kRulesPath, {}, &result);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.message, "an item of the list is not JSON");
  EXPECT_EQ(names_of(items), std::vector<std::string>{"a"});
  EXPECT_EQ(api.request_count(), 1u) << "the next page is not read";
}

TEST(ClientList, StatefulPagesFollowTokensThatNeedEncoding) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  for (int i = 0; i < 7; ++i) {
    api.put("/apis/apps/v1/namespaces/ns" + std::to_string(i % 3) + "/deployments",
            {{"metadata", {{"name", "app" + std::to_string(i)}}}, {"spec", {{"replicas", i}}}});
  }
  std::string rv = api.resource_version();
  Client client(api.client_config());
  ListResult result;
  auto items = list_all(client, "/apis/apps/v1/deployments", {"", "", 2, ""}, &result);
  ASSERT_TRUE(result.ok) << result.error.describe();
  EXPECT_EQ(items.size(), 7u);
  EXPECT_EQ(result.resource_version, rv);
  EXPECT_EQ(api.request_count(), 4u);
  EXPECT_FALSE(items[0].contains("apiVersion"));
}

}  // namespace
}  // namespace releasegate::kube
