// The reflector against the fake API server's store: list then watch,
// relist after a compaction, label changes, resuming from a bookmark.
#include "kube/reflector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "tests/support/fake_api_server.h"
#include "tests/support/test_support.h"

namespace releasegate::kube {
namespace {

using testing::FakeApiServer;
using testing::FakeRequest;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kCollection = "/api/v1/namespaces/releasegate-system/configmaps";
const std::string kLabel = "releasegate.io/rules";

nlohmann::json config_map(const std::string& name, bool labelled, const std::string& data = "x") {
  nlohmann::json labels = nlohmann::json::object();
  if (labelled) labels[kLabel] = "true";
  return {{"metadata", {{"name", name}, {"labels", labels}}}, {"data", {{"rules.yaml", data}}}};
}

// A consumer keeping whole objects from the deltas, and how often a list
// or an event was completed.
struct Copy {
  std::mutex mutex;
  std::map<std::string, nlohmann::json> objects;
  int changes = 0;
  ReflectorHandlers on_change() {
    ReflectorHandlers handlers;
    handlers.upsert = [this](const std::string& key, nlohmann::json&& object) {
      std::lock_guard lock(mutex);
      objects[key] = std::move(object);
    };
    handlers.remove = [this](const std::string& key) {
      std::lock_guard lock(mutex);
      objects.erase(key);
    };
    handlers.synced = handlers.event = [this] {
      std::lock_guard lock(mutex);
      ++changes;
    };
    return handlers;
  }
  std::vector<std::string> keys() {
    std::lock_guard lock(mutex);
    std::vector<std::string> names;
    for (const auto& [key, object] : objects) names.push_back(key);
    return names;
  }
};

using releasegate::testing::eventually;
using ObjectMap = std::map<std::string, nlohmann::json>;

ReflectorOptions options() {
  ReflectorOptions options;
  options.path = kCollection;
  options.list.label_selector = kLabel + "=true";
  options.list.limit = 2;  // paging on every list
  options.watch_timeout = std::chrono::seconds(30);
  options.initial_backoff = milliseconds(10);
  options.max_backoff = milliseconds(50);
  return options;
}

using Keys = std::vector<std::string>;

TEST(Reflector, ListsThenFollowsEvents) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  for (const char* name : {"a", "b", "c"}) api.put(kCollection, config_map(name, true));
  api.put(kCollection, config_map("unlabelled", false));
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return reflector.status().synced && api.open_watches() == 1; }));
  EXPECT_EQ(copy.keys(), (Keys{"releasegate-system/a", "releasegate-system/b", "releasegate-system/c"}));
  std::string list_rv = reflector.status().resource_version;
  EXPECT_EQ(list_rv, api.resource_version());
  EXPECT_EQ(api.watch_requests().at(0).query.at("resourceVersion"), list_rv);

  api.put(kCollection, config_map("d", true));
  api.put(kCollection, config_map("a", true, "changed"));
  api.remove(kCollection, "b");
  ASSERT_TRUE(eventually([&] { return copy.keys() == Keys{"releasegate-system/a", "releasegate-system/c", "releasegate-system/d"}; }));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(copy.mutex);
    return copy.objects["releasegate-system/a"]["data"]["rules.yaml"] == "changed";
  }));
  EXPECT_EQ(copy.changes, 4);  // the list, then one per event
  ReflectorStatus status = reflector.status();
  EXPECT_EQ(status.lists, 1u);
  EXPECT_EQ(status.failures, 0u);
  EXPECT_TRUE(status.watching);
  EXPECT_EQ(status.resource_version, api.resource_version());
}

// The transform (kube/decode.h): what a consumer is given, listed or
// watched, holds no managedFields.
TEST(Reflector, ObjectsAreDeliveredWithoutManagedFields) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  auto managed = [](const std::string& data) {
    nlohmann::json object = config_map("a", true, data);
    object["metadata"]["managedFields"] = {{{"manager", "kubectl"}, {"operation", "Apply"}}};
    return object;
  };
  api.put(kCollection, managed("listed"));
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return reflector.status().synced && api.open_watches() == 1; }));
  auto held = [&] {
    std::lock_guard lock(copy.mutex);
    return copy.objects["releasegate-system/a"];
  };
  EXPECT_EQ(held()["data"]["rules.yaml"], "listed");
  EXPECT_FALSE(held()["metadata"].contains("managedFields")) << "listed";
  api.put(kCollection, managed("watched"));
  ASSERT_TRUE(eventually([&] { return held()["data"]["rules.yaml"] == "watched"; }));
  EXPECT_FALSE(held()["metadata"].contains("managedFields")) << "watched";
  EXPECT_EQ(held()["metadata"]["name"], "a");
}

TEST(Reflector, LabelRemovedIsDeletedAndLabelAddedIsAdded) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.put(kCollection, config_map("a", true));
  api.put(kCollection, config_map("b", false));
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  api.put(kCollection, config_map("a", false));
  api.put(kCollection, config_map("b", true));
  EXPECT_TRUE(eventually([&] { return copy.keys() == Keys{"releasegate-system/b"}; }));
}

TEST(Reflector, RelistsAfterExpiryAndDropsWhatWasDeletedMeanwhile) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  for (const char* name : {"a", "b", "c"}) api.put(kCollection, config_map(name, true));
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  // The API goes away; meanwhile b is deleted and d created; etcd compacts.
  api.set_down(true);
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 0; }));
  api.remove(kCollection, "b");
  api.put(kCollection, config_map("d", true));
  api.expire_watches();
  api.set_down(false);
  ASSERT_TRUE(eventually([&] { return reflector.status().lists >= 2 && api.open_watches() == 1; }));
  EXPECT_EQ(copy.keys(), (Keys{"releasegate-system/a", "releasegate-system/c", "releasegate-system/d"}));
  ReflectorStatus status = reflector.status();
  EXPECT_GE(status.failures, 1u);
  EXPECT_FALSE(status.last_error.has_value());  // cleared by the good list
  EXPECT_EQ(status.resource_version, api.resource_version());
}

std::vector<FakeRequest> lists_of(const FakeApiServer& api) {
  std::vector<FakeRequest> lists;
  for (const FakeRequest& request : api.requests()) {
    if (!request.query.count("watch")) lists.push_back(request);
  }
  return lists;
}

// client-go: the relist after a watch's 410 is at the last RV and not
// paged, so that the watch cache answers it at that version or newer.
TEST(Reflector, ExpiredWatchRelistsAtTheLastVersionUnpaged) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.put(kCollection, config_map("a", true));
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  std::string last = reflector.status().resource_version;
  api.expire_watches();
  ASSERT_TRUE(eventually([&] { return reflector.status().lists == 2 && api.open_watches() == 1; }));
  std::vector<FakeRequest> lists = lists_of(api);
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].query.count("resourceVersion"), 0u);  // the first: a consistent read, paged
  EXPECT_EQ(lists[0].query.at("limit"), "2");
  EXPECT_EQ(lists[1].query.at("resourceVersion"), last);
  EXPECT_EQ(lists[1].query.count("limit"), 0u);
  EXPECT_EQ(reflector.status().relists(), 1u);
  EXPECT_EQ(api.watch_requests().back().query.at("resourceVersion"), api.resource_version());
}

// The issue's restart loop: a paged relist at the last RV is an exact read
// from etcd, which answers that same old RV, whose watch the restarted
// server's new cache refuses again, until etcd compacts it (minutes).
TEST(Reflector, AfterAControlPlaneRestartTheWatchResumesAndChangesApply) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  for (const char* name : {"a", "b", "c"}) api.put(kCollection, config_map(name, true));
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  api.restart();
  api.remove(kCollection, "b");  // deleted after the restart
  ASSERT_TRUE(eventually([&] { return copy.keys() == Keys{"releasegate-system/a", "releasegate-system/c"}; }))
      << "relists: " << reflector.status().relists() << ", watches: " << api.watch_requests().size();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  api.put(kCollection, config_map("d", true));
  ASSERT_TRUE(eventually([&] { return copy.keys().size() == 3; }));
  ReflectorStatus status = reflector.status();
  EXPECT_EQ(status.relists(), 1u);
  EXPECT_TRUE(status.watching);
  EXPECT_LE(api.watch_requests().size(), 3u);  // before, the refused one, the one open now
}

// A list at an RV the server has not reached (its watch cache behind)
// answers 504 "Too large resource version" after waiting; a consistent
// read follows at once, and the client does not retry the 504 itself.
TEST(Reflector, ListAtAVersionTheCacheHasNotReachedFallsBackToAConsistentRead) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.put(kCollection, config_map("a", true));
  api.hold_watch_cache(true);
  api.put(kCollection, config_map("b", true));  // in etcd, not yet in the cache
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  std::string first_rv = reflector.status().resource_version;
  api.expire_watches();
  ASSERT_TRUE(eventually([&] { return reflector.status().lists == 2; }));
  std::vector<FakeRequest> lists = lists_of(api);
  ASSERT_EQ(lists.size(), 3u);
  EXPECT_EQ(lists[1].query.at("resourceVersion"), first_rv);
  EXPECT_EQ(lists[2].query.count("resourceVersion"), 0u);
  EXPECT_EQ(lists[2].query.at("limit"), "2");
  api.hold_watch_cache(false);
  api.put(kCollection, config_map("c", true));
  EXPECT_TRUE(eventually([&] { return copy.keys().size() == 3; }));
}

TEST(Reflector, NoticesSayWhyAndAreRateLimited) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  std::mutex mutex;
  std::vector<ReflectorNotice> notices;
  ReflectorOptions with_notices = options();
  with_notices.notice_interval = std::chrono::seconds(1);
  with_notices.on_notice = [&](const ReflectorNotice& notice) {
    std::lock_guard lock(mutex);
    notices.push_back(notice);
  };
  auto count = [&](ReflectorNotice::What what) {
    std::lock_guard lock(mutex);
    return std::count_if(notices.begin(), notices.end(), [&](const ReflectorNotice& n) { return n.what == what; });
  };
  Client client(api.client_config(), RetryPolicy{1, milliseconds(1), milliseconds(1)});
  Copy copy;
  Reflector reflector(client, with_notices, copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  std::string last = reflector.status().resource_version;
  api.expire_watches();
  ASSERT_TRUE(eventually([&] { return count(ReflectorNotice::What::Relist) == 1; }));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(notices.back().collection, kCollection);
    EXPECT_EQ(notices.back().resource_version, last);
    EXPECT_NE(notices.back().reason.find("410"), std::string::npos) << notices.back().reason;
  }
  // Down: watches fail again and again, noticed at most once a second.
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  api.set_down(true);
  ASSERT_TRUE(eventually([&] { return reflector.status().failures >= 5; }));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return std::any_of(notices.begin(), notices.end(), [](const ReflectorNotice& n) { return n.suppressed > 0; });
  }));
  EXPECT_LT(count(ReflectorNotice::What::WatchFailed) + count(ReflectorNotice::What::ListFailed),
            static_cast<long>(reflector.status().failures));
}

TEST(Reflector, ResumesFromTheBookmarkAfterTheStreamCloses) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.put(kCollection, config_map("a", true));
  api.set_bookmark_interval(milliseconds(20));
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  int changes = copy.changes;
  // A change the selector filters out moves the bookmark's RV only.
  std::string filtered_rv = api.put(kCollection, config_map("unlabelled", false));
  ASSERT_TRUE(eventually([&] { return reflector.status().resource_version == filtered_rv; }));
  EXPECT_EQ(copy.changes, changes);  // bookmarks change nothing
  api.close_watches();
  ASSERT_TRUE(eventually([&] { return api.watch_requests().size() == 2 && api.open_watches() == 1; }));
  EXPECT_EQ(api.watch_requests().at(1).query.at("resourceVersion"), filtered_rv);
  EXPECT_EQ(reflector.status().lists, 1u);  // no relist
}

TEST(Reflector, ApiDownAtStartBacksOffThenSyncs) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.put(kCollection, config_map("a", true));
  api.set_down(true);
  Client client(api.client_config(), RetryPolicy{1, milliseconds(1), milliseconds(1)});
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return reflector.status().failures >= 2; }));
  EXPECT_FALSE(reflector.status().synced);
  EXPECT_TRUE(reflector.status().last_error.has_value());
  api.set_down(false);
  ASSERT_TRUE(eventually([&] { return reflector.status().synced; }));
  EXPECT_EQ(copy.keys(), (Keys{"releasegate-system/a"}));
}

// A custom resource not installed: the list answers 404 (as
// kube-apiserver 1.28 does for an unknown group). Where the collection may
// be unserved, that is an empty set, synced, said once; where it must
// exist, an error, never "empty".
TEST(Reflector, ACollectionNotServedIsEmptyOnlyWhereItMayBeUnserved) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.put(kCollection, config_map("a", true));
  std::atomic<bool> served{false};
  api.set_handler([&](const FakeRequest& request) -> std::optional<testing::FakeReply> {
    if (request.path != kCollection || served) return std::nullopt;
    return testing::FakeReply::status(404, "NotFound", "the server could not find the requested resource");
  });
  {
    // A client of its own: stopping a reflector stops its client.
    Client client(api.client_config(), RetryPolicy{1, milliseconds(1), milliseconds(1)});
    Copy copy;
    Reflector must_exist(client, options(), copy.on_change());
    must_exist.start();
    ASSERT_TRUE(eventually([&] { return must_exist.status().failures >= 2; }));
    EXPECT_FALSE(must_exist.status().synced);
    EXPECT_TRUE(must_exist.status().served);
  }
  std::mutex mutex;
  std::vector<ReflectorNotice::What> notices;
  ReflectorOptions optional = options();
  optional.may_be_unserved = true;
  optional.notice_interval = std::chrono::seconds(0);
  optional.on_notice = [&](const ReflectorNotice& notice) {
    std::lock_guard lock(mutex);
    notices.push_back(notice.what);
  };
  Client client(api.client_config(), RetryPolicy{1, milliseconds(1), milliseconds(1)});
  Copy copy;
  Reflector reflector(client, optional, copy.on_change());
  std::size_t requests_before = api.request_count();
  reflector.start();
  ASSERT_TRUE(eventually([&] { return reflector.status().synced && api.request_count() >= requests_before + 3; }))
      << "listed again while not served";
  ReflectorStatus status = reflector.status();
  EXPECT_FALSE(status.served);
  EXPECT_EQ(status.lists, 0u) << "no relists counted while nothing is served";
  ASSERT_TRUE(status.last_error);
  EXPECT_EQ(status.last_error->code, 404);
  EXPECT_TRUE(copy.keys().empty());
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(notices, std::vector<ReflectorNotice::What>{ReflectorNotice::What::NotServed}) << "said once";
  }
  served = true;
  ASSERT_TRUE(eventually([&] { return reflector.status().served && reflector.status().watching; }));
  EXPECT_EQ(copy.keys(), (Keys{"releasegate-system/a"}));
  EXPECT_FALSE(reflector.status().last_error);
}

// client-go's "very short watch": an error, after which it lists again
// (at the last RV, unpaged), after the backoff.
TEST(Reflector, AWatchEndingAtOnceWithoutEventsIsAFailureAndRelists) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_handler([](const FakeRequest& request) -> std::optional<testing::FakeReply> {
    if (!request.query.count("watch")) return std::nullopt;
    return testing::FakeReply().then(testing::FakeReply::chunked_head() + testing::FakeReply::chunk({}));
  });
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return reflector.status().failures >= 2 && reflector.status().relists() >= 1; }));
  std::vector<FakeRequest> lists = lists_of(api);
  ASSERT_GE(lists.size(), 2u);
  EXPECT_EQ(lists[1].query.at("resourceVersion"), api.resource_version());
  EXPECT_EQ(lists[1].query.count("limit"), 0u);
}

TEST(Reflector, StopIsPrompt) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  Client client(api.client_config());
  Copy copy;
  Reflector reflector(client, options(), copy.on_change());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  Clock::time_point started = Clock::now();
  reflector.stop();
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(15)) << "stop does not wait for the watch's 30 s timeout";
  EXPECT_FALSE(reflector.status().watching);
  EXPECT_TRUE(reflector.status().synced);  // an empty list is a complete list
}

// The deltas a consumer that keeps its own state receives.
struct Deltas {
  std::mutex mutex;
  std::vector<std::string> seen;  // "+key", "-key", "synced"
  ReflectorHandlers handlers() {
    ReflectorHandlers h;
    h.upsert = [this](const std::string& key, nlohmann::json&& object) {
      std::lock_guard lock(mutex);
      seen.push_back("+" + key + "@" + object["data"]["rules.yaml"].get<std::string>());
    };
    h.remove = [this](const std::string& key) {
      std::lock_guard lock(mutex);
      seen.push_back("-" + key);
    };
    h.synced = [this] {
      std::lock_guard lock(mutex);
      seen.push_back("synced");
    };
    return h;
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex);
    return std::exchange(seen, {});
  }
  bool has(const std::string& what) {
    std::lock_guard lock(mutex);
    return std::find(seen.begin(), seen.end(), what) != seen.end();
  }
};

// Across a relist after the watch was down and its version expired, a
// consumer of deltas gets exactly what changed meanwhile: nothing lost,
// nothing unchanged delivered again.
TEST(Reflector, DeltasAcrossARelistAreExactlyWhatChanged) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  for (const char* name : {"a", "b", "c"}) api.put(kCollection, config_map(name, true, "1"));
  Client client(api.client_config());
  Deltas deltas;
  Reflector reflector(client, options(), deltas.handlers());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return deltas.has("synced") && api.open_watches() == 1; }));
  EXPECT_EQ(deltas.take(), (std::vector<std::string>{"+releasegate-system/a@1", "+releasegate-system/b@1",
                                                     "+releasegate-system/c@1", "synced"}));
  api.put(kCollection, config_map("a", true, "2"));
  api.remove(kCollection, "b");
  ASSERT_TRUE(eventually([&] { return deltas.has("-releasegate-system/b"); }));
  EXPECT_EQ(deltas.take(), (std::vector<std::string>{"+releasegate-system/a@2", "-releasegate-system/b"}));

  api.set_down(true);
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 0; }));
  api.put(kCollection, config_map("a", true, "3"));
  api.remove(kCollection, "c");
  api.put(kCollection, config_map("d", true, "1"));
  api.put(kCollection, config_map("unlabelled", false, "1"));
  api.expire_watches();
  api.set_down(false);
  ASSERT_TRUE(eventually([&] { return deltas.has("synced"); }));
  std::vector<std::string> relisted = deltas.take();
  std::sort(relisted.begin(), relisted.end());
  EXPECT_EQ(relisted, (std::vector<std::string>{"+releasegate-system/a@3", "+releasegate-system/d@1",
                                                "-releasegate-system/c", "synced"}));
  EXPECT_EQ(reflector.status().objects, 2u);
}

// list_now(): a complete list for a second reader (the audit), made by
// the reflector itself. The silent watch is cut for it (a watch timeout of
// minutes is not waited for), every object's text is handed over, the
// consumer gets only what changed (nothing), and the watch goes on from
// the list's version.
TEST(Reflector, ListNowHandsEveryObjectOverAndTheWatchGoesOn) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  for (const char* name : {"a", "b", "c"}) api.put(kCollection, config_map(name, true, "1"));
  Client client(api.client_config());
  Deltas deltas;
  ReflectorOptions slow_watch = options();
  slow_watch.watch_timeout = std::chrono::seconds(600);
  Reflector reflector(client, slow_watch, deltas.handlers());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return deltas.has("synced") && reflector.status().watching; }));
  deltas.take();
  api.clear_requests();

  std::vector<std::string> texts;
  auto listing = std::async(std::launch::async, [&] {
    return reflector.list_now([&](std::string_view item) {
      texts.emplace_back(item);
      return true;
    });
  });
  ASSERT_EQ(listing.wait_for(std::chrono::seconds(120)), std::future_status::ready)
      << "the silent watch was not cut for the list";
  std::optional<ListResult> listed = listing.get();
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->ok);
  EXPECT_EQ(listed->items, 3u);
  ASSERT_EQ(texts.size(), 3u);
  for (const char* name : {"\"a\"", "\"b\"", "\"c\""}) {
    EXPECT_EQ(std::count_if(texts.begin(), texts.end(), [&](const std::string& t) { return t.find(name) != std::string::npos; }), 1);
  }
  EXPECT_EQ(deltas.take(), std::vector<std::string>{"synced"}) << "nothing changed: nothing delivered again";
  std::vector<FakeRequest> lists;
  for (const FakeRequest& r : api.requests()) {
    if (r.path == kCollection && !r.query.contains("watch")) lists.push_back(r);
  }
  ASSERT_EQ(lists.size(), 2u) << "3 objects, 2 a page";
  EXPECT_FALSE(lists.front().query.contains("resourceVersion")) << "a consistent read";
  EXPECT_EQ(lists.front().query.at("limit"), "2");
  EXPECT_EQ(reflector.status().lists, 2u);
  EXPECT_EQ(reflector.status().lent, 1u);
  EXPECT_EQ(reflector.status().relists(), 0u) << "a lent list is routine, not a relist";
  EXPECT_EQ(reflector.status().failures, 0u) << "the cut watch is no failure";

  api.put(kCollection, config_map("d", true, "1"));
  EXPECT_TRUE(eventually([&] { return deltas.has("+releasegate-system/d@1"); }));
  EXPECT_EQ(reflector.status().objects, 4u);
}

// While the API is down the asked list fails, saying why; a
// reflector not running (not started, or stopped) answers nothing.
TEST(Reflector, ListNowFailsWithTheApiAndIsNothingWhenNotRunning) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.put(kCollection, config_map("a", true, "1"));
  Client client(api.client_config());
  Deltas deltas;
  Reflector reflector(client, options(), deltas.handlers());
  auto count = [](std::string_view) { return true; };
  EXPECT_FALSE(reflector.list_now(count).has_value());
  reflector.start();
  ASSERT_TRUE(eventually([&] { return reflector.status().watching; }));
  api.set_down(true);
  std::optional<ListResult> down = reflector.list_now(count);
  ASSERT_TRUE(down.has_value());
  EXPECT_FALSE(down->ok);
  EXPECT_EQ(down->error.code, 0) << "no HTTP answer: " << down->error.describe();
  api.set_down(false);
  std::optional<ListResult> up;
  EXPECT_TRUE(eventually([&] {
    up = reflector.list_now(count);
    return up && up->ok;
  }));
  EXPECT_EQ(up->items, 1u);
  reflector.stop();
  EXPECT_FALSE(reflector.list_now(count).has_value());
}

TEST(Reflector, KeyIsNamespaceAndNameOrJustName) {
  EXPECT_EQ(Reflector::key_of({{"metadata", {{"name", "a"}, {"namespace", "dev"}}}}), "dev/a");
  EXPECT_EQ(Reflector::key_of({{"metadata", {{"name", "cluster-wide"}}}}), "cluster-wide");
  EXPECT_EQ(Reflector::key_of(nlohmann::json::array()), "");
}

}  // namespace
}  // namespace releasegate::kube
