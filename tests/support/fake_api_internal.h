// The fake API server's insides, shared by its two sources
// (fake_api_server.cc: TLS, connections, scripted replies;
// fake_api_store.cc: the stateful store). Tests use fake_api_server.h.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include "tests/support/fake_api_server.h"

namespace releasegate::testing {

// One accepted TLS connection, used by its own thread only.
class FakeConnection {
 public:
  FakeConnection(SSL* ssl) : ssl_(ssl) {}
  bool write(std::string_view bytes);
  // The next request; nullopt when the peer closed or sent garbage.
  std::optional<FakeRequest> read_request();

 private:
  bool fill();
  SSL* ssl_;
  std::string buffer_;
};

// A collection path taken apart: /apis/apps/v1/namespaces/prod/deployments/podinfo.
struct FakeTarget {
  std::string prefix;    // /api/v1, /apis/apps/v1
  std::string namespace_;
  std::string resource;  // deployments
  std::string name;      // empty for the collection
  std::string collection() const;
  std::string api_version() const;  // v1, apps/v1
  bool built_in() const;             // core and k8s.io groups: list items carry no kind/apiVersion
  std::string kind() const;          // Deployment
};
std::optional<FakeTarget> parse_fake_target(const std::string& path);

// labelSelector equality requirements: k=v, k==v, k!=v, comma-separated.
struct FakeSelector {
  explicit FakeSelector(const std::string& text);
  bool matches(const nlohmann::json& object) const;
  std::vector<std::array<std::string, 2>> equal, not_equal;
  bool valid = true;
};
bool fake_in_scope(const FakeTarget& target, const std::string& collection);

struct FakeChange {
  std::uint64_t rv;
  std::string collection;
  nlohmann::json before;  // null: created
  nlohmann::json after;   // null: deleted
};

using Store = std::map<std::string, std::map<std::string, nlohmann::json>>;  // collection -> name -> object

struct FakeServerImpl {
  using Handler = FakeApiServer::Handler;
  static constexpr const char* kToken = FakeApiServer::kToken;
  std::string error;
  int port = 0;
  std::string ca_pem;
  SSL_CTX* ctx = nullptr;
  int listen_fd = -1;
  std::thread acceptor;

  mutable std::mutex mutex;
  std::condition_variable changed;  // the store, stopping, down, expirations
  bool stopping = false;
  bool down = false;
  Handler handler;
  std::string accepted_token = kToken;
  std::set<std::string> creates_forbidden;  // collections: RBAC without create
  std::vector<FakeRequest> log;
  std::vector<std::thread> threads;
  std::set<int> fds;
  std::chrono::milliseconds bookmark_interval{0};

  // etcd: the objects now, every change since the start, and how far back
  // it can still read.
  std::uint64_t rv = 1000;
  Store store;
  std::vector<FakeChange> history;
  std::uint64_t compacted = 0;    // exact reads and continue tokens at an RV before this get 410
  // The watch cache: it holds the changes after cache_start (a watch from
  // an earlier RV gets 410) and follows etcd up to cache_rv (which stays
  // behind while held).
  std::uint64_t cache_start = 0;
  std::uint64_t cache_rv = 1000;
  bool cache_held = false;
  std::uint64_t expirations = 0;  // bumped by expire_watches() and restart(): open watches end with 410
  std::uint64_t closings = 0;     // bumped by close_watches()
  std::uint64_t restarts = 0;     // bumped by restart(): open connections are cut
  std::size_t open_watches = 0;

  void accept_loop();
  void serve(int fd);
  bool pause(std::chrono::milliseconds delay);  // false when stopping
  // Answers from the store; false when the connection must close.
  bool serve_stateful(FakeConnection& connection, const FakeRequest& request);
  bool serve_watch(FakeConnection& connection, const FakeTarget& target, const FakeRequest& request);
  std::string put_locked(const std::string& collection, nlohmann::json object);
  void changed_locked();  // the cache follows etcd unless held; watchers wake
  // The objects as etcd had them at `revision` (the store itself when it is now).
  const Store& store_at(std::uint64_t revision, Store& rebuilt) const;
};

struct FakeApiServer::Impl : FakeServerImpl {};

// Response bytes with Content-Length, or chunked above 2 KiB as Go's server does.
std::string fake_response(int status, const std::string& content_type, const std::string& body,
                          const std::vector<std::string>& headers = {});
std::string fake_status_body(int code, const std::string& reason, const std::string& message,
                             const nlohmann::json& details = nlohmann::json::object());

}  // namespace releasegate::testing
