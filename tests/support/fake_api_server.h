// A fake Kubernetes API server for tests: TLS on 127.0.0.1 (a port of its
// own) with the dev certificates, written on raw OpenSSL so that a test
// controls every byte it sends (chunk framing, cut streams, pauses, a
// connection closed in the middle of an event).
//
// Two ways to answer, tried in this order for each request:
//   1. scripted: the handler (set_handler) returns a FakeReply, raw bytes
//      written in pieces with optional pauses, then keep-alive, close or
//      stall; FakeReply::recording() replays one of
//      ../shared/kube/recordings/*.response byte for byte;
//   2. stateful: an in-memory store of objects by collection path, with a
//      global resourceVersion counter and every change kept (etcd), and a
//      watch cache in front of it, serving list with kube-apiserver
//      1.28's resourceVersion semantics (which store answers, exact vs
//      not-older-than reads, resourceVersionMatch, limit/continue paging
//      at the first page's revision, 410 and 504 "Too large resource
//      version"; labelSelector equality, cluster-wide lists), watch from
//      the cache (chunked, bookmarks, timeoutSeconds, 410 for an RV before
//      the cache's window: after expire_watches() or restart()),
//      GET, server-side apply PATCH and DELETE, in the recordings' wire
//      format (compact JSON; list items of built-in kinds without kind and
//      apiVersion; Status bodies; `404 page not found` as text/plain for a
//      path that names no collection).
//
// Usage, end to end:
//
//   releasegate::testing::FakeApiServer api;   // listening once constructed
//   ASSERT_TRUE(api.ok()) << api.error();
//   api.put("/api/v1/namespaces/releasegate-system/configmaps",
//           {{"metadata", {{"name", "rules"}, {"labels", {{"releasegate.io/rules", "true"}}}}},
//            {"data", {{"a.yaml", "..."}}}});
//   releasegate::kube::Client client(api.client_config());
//   ... start what watches; api.put(...) again, api.remove(...), api.expire_watches() ...
//   EXPECT_EQ(api.requests().back().query.at("watch"), "true");
//
// Every request is logged (requests()); the bearer token is checked when
// set_accepted_token() was given one (client_config()'s token by default):
// any other gets d01's 401 Status. All methods are thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/config.h"

namespace releasegate::testing {

// ../shared/kube/recordings beside the checkout (or $RELEASEGATE_KUBE_RECORDINGS);
// nullopt when absent, and tests that need it skip, saying so.
std::optional<std::filesystem::path> kube_recordings_dir();
#define REQUIRE_RECORDINGS(dir)                                                                   \
  auto dir##_opt = ::releasegate::testing::kube_recordings_dir();                                 \
  if (!dir##_opt) GTEST_SKIP() << "no ../shared/kube/recordings beside the checkout: test skipped"; \
  const std::filesystem::path dir = *dir##_opt

struct FakeRequest {
  std::string method;
  std::string target;  // as sent: path and query, still encoded
  std::string path;    // decoded, without the query
  std::map<std::string, std::string> query;    // decoded names and values
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;    // de-chunked when it came chunked
};

struct FakeReply {
  struct Piece {
    std::string bytes;
    std::chrono::milliseconds pause_before{0};
  };
  enum class After {
    KeepAlive,  // read the next request on the same connection
    Close,      // close the connection (a cut stream when the body is incomplete)
    Stall,      // send nothing more and keep the connection open until the server stops
  };
  std::vector<Piece> pieces;
  After after = After::KeepAlive;

  FakeReply& then(std::string bytes, std::chrono::milliseconds pause_before = {}) {
    pieces.push_back({std::move(bytes), pause_before});
    return *this;
  }

  // A complete response with Content-Length; extra headers are "Name: value" lines.
  static FakeReply plain(int status, const std::string& content_type, const std::string& body,
                         const std::vector<std::string>& headers = {});
  static FakeReply json(int status, const nlohmann::json& body, const std::vector<std::string>& headers = {});
  // A Status body as the apiserver writes it.
  static FakeReply status(int code, const std::string& reason, const std::string& message);
  // The head of a chunked 200 application/json response (the body comes in chunk() pieces).
  static std::string chunked_head();
  static std::string chunk(const std::string& data);  // "<hex>\r\n<data>\r\n"; empty data: the last chunk
  // The bytes of recordings/<name>.response, as one piece; an empty reply if missing.
  static FakeReply recording(const std::string& name);
  // The same, one piece per chunk of its chunked body (head included in the first), each after `pause`.
  static FakeReply recording_in_chunks(const std::string& name, std::chrono::milliseconds pause = {});
};

class FakeApiServer {
 public:
  using Handler = std::function<std::optional<FakeReply>(const FakeRequest&)>;
  static constexpr const char* kToken = "fake-token-1";

  FakeApiServer();  // generates the dev certificates in a temporary folder and listens
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  bool ok() const;
  const std::string& error() const;
  int port() const;
  const std::string& ca_pem() const;
  // host 127.0.0.1, this port, the CA, token kToken, short timeouts.
  kube::ClientConfig client_config() const;

  // Scripted replies; nullopt from the handler falls through to the store.
  void set_handler(Handler handler);
  // Only this bearer token is accepted (empty: any request, even with none).
  void set_accepted_token(const std::string& token);

  std::vector<FakeRequest> requests() const;
  std::size_t request_count() const;
  void clear_requests();
  // Requests whose query has watch=true.
  std::vector<FakeRequest> watch_requests() const;

  // --- the stateful store ---
  // Creates or updates metadata.name in `collection` (e.g.
  // /api/v1/namespaces/prod/configmaps): bumps the global RV, sets
  // metadata.resourceVersion (and namespace), notifies watchers. Returns the RV.
  std::string put(const std::string& collection, nlohmann::json object);
  // Deletes it (DELETED to watchers); false when absent.
  bool remove(const std::string& collection, const std::string& name);
  std::optional<nlohmann::json> object(const std::string& collection, const std::string& name) const;
  std::string resource_version() const;  // the global counter, as a string
  // As after an etcd compaction that the watch cache's window has passed
  // too: open watches get the 410 ERROR event and end; a later watch, an
  // exact read or a continue token at an RV before now gets 410 too.
  void expire_watches();
  // A control-plane restart: every open connection is cut, the global RV
  // moves on (the apiserver's own writes), and the new watch cache starts
  // there: a watch from any earlier RV gets 410, while etcd still serves
  // exact reads (a paged list at an RV) at those revisions until compaction.
  void restart();
  // While held, the watch cache stops following etcd (another apiserver's
  // cache behind a load balancer, lagging): watches see no new changes,
  // and a list it serves at an RV it has not reached waits 3 s, then
  // answers 504 "Too large resource version".
  void hold_watch_cache(bool held);
  // Ends open watch streams cleanly (the last chunk), as at timeoutSeconds.
  void close_watches();
  std::size_t open_watches() const;
  // Down: connections are accepted and closed at once.
  void set_down(bool down);
  // RBAC without `create` in `collection`: a POST, or a server-side apply
  // of an object that does not exist, is answered 403 Forbidden as the
  // apiserver answers it; updates and patches of existing objects pass.
  void forbid_create(const std::string& collection);
  // BOOKMARK events on open watches every `interval` (0, the default: none).
  void set_bookmark_interval(std::chrono::milliseconds interval);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace releasegate::testing
