// A small Kubernetes API client over HTTPS/1.1 with keep-alive
// (cpp-httplib on OpenSSL 3): JSON requests, list with paging, watch
// streams, server-side apply. It knows the API's conventions (Status
// bodies, Warning headers, 429 with Retry-After, continue tokens, watch
// events) and nothing about admission or rules.
//
// One Client serves one thread at a time for requests; watch() takes its
// own connection, and stop() from any thread ends a watch or a retry wait
// in progress.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/config.h"

namespace releasegate::kube {

struct Response {
  int status = 0;  // 0: no HTTP answer (see transport_error)
  std::string body;
  std::string content_type;
  std::vector<std::string> warnings;  // the texts of `Warning: 299 - "..."` headers
  std::optional<std::chrono::seconds> retry_after;
  std::string transport_error;  // connection refused, TLS, timeout...

  bool ok() const { return status >= 200 && status < 300; }
};

// What a failed response says: its Status body when there is one, else its
// plain text (404 page not found, APF's 429), else the transport error.
struct ApiError {
  int code = 0;         // HTTP status; 0 for a transport error
  std::string reason;   // Status.reason: Expired, Forbidden, NotFound...
  std::string message;  // Status.message, or the text
  // A read at a resourceVersion the server has not reached yet (504 with
  // the cause ResourceVersionTooLarge): its watch cache is behind, or etcd
  // was restored from a backup. Detected as client-go's
  // isTooLargeResourceVersionError does, older servers' message included.
  bool too_large_resource_version = false;

  bool expired() const { return code == 410 || reason == "Expired" || reason == "Gone"; }
  // "403 Forbidden: configmaps is forbidden: User ... cannot list ..."
  std::string describe() const;
};
ApiError error_of(const Response& response);

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::size_t limit = 500;        // page size; 0: no paging
  std::string resource_version;   // empty: a consistent (quorum) read
};

// One list, all pages: `resource_version` is the list's (every page's).
struct ListResult {
  bool ok = false;
  ApiError error;  // when !ok
  std::string resource_version;
  std::size_t items = 0;
};

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

struct WatchEvent {
  WatchEventType type;
  nlohmann::json object;  // for Error, the Status
};

// How a watch ended; kube/README.md says what the reflector does after each.
enum class WatchEnd {
  Closed,       // the server ended the stream (timeoutSeconds)
  Expired,      // 410, as an HTTP status or an ERROR event
  Unreachable,  // no HTTP answer: connection refused, TLS, timeout
  Cut,          // the open stream broke: cut, or ended in the middle of an event
  Failed,       // any other error status or ERROR event, or a malformed stream
  Stopped,      // stop() was called
};

struct WatchResult {
  WatchEnd end = WatchEnd::Failed;
  ApiError error;  // for Expired and Failed
  std::string resource_version;  // the last one seen (an event's or a bookmark's); empty if none
  std::size_t events = 0;        // events delivered, bookmarks included
};

struct RetryPolicy {
  int attempts = 5;  // of a request that may be retried (reads, applies)
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
};

class Client {
 public:
  explicit Client(ClientConfig config, RetryPolicy retry = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientConfig& config() const { return config_; }

  // One request (path with query). Rate limited; a transport error, a 429
  // (after its Retry-After), a 500, 502, 503 or 504 is retried with
  // exponential backoff and full jitter up to the policy's attempts; a 401
  // re-reads the token file and is retried once.
  Response request(const std::string& method, const std::string& path, const std::string& body = {},
                   const std::string& content_type = {});
  Response get(const std::string& path) { return request("GET", path); }

  // Every page of a list at `path` (e.g. /api/v1/namespaces/dev/configmaps),
  // following `continue` tokens; calls on_item with each item in order.
  // Items of built-in lists carry no kind or apiVersion: on_item gets them
  // as they are. A 410 on a later page (its token expired) fails the list.
  ListResult list(const std::string& path, const ListOptions& options,
                  const std::function<void(nlohmann::json&& item)>& on_item);
  // The same, each item handed over as its JSON text (with managedFields),
  // for a consumer with a parser of its own (the audit judges each item
  // with the webhook's parser, so a tree of it would be made for nothing).
  // The text is valid only during the call; it is an item of a page whose
  // structure was read, but is not itself checked to be valid JSON. An
  // item the consumer refuses (on_item returns false) fails the list at
  // once: no later item is handed over and no later page read.
  ListResult list_text(const std::string& path, const ListOptions& options,
                       const std::function<bool(std::string_view item)>& on_item);

  // Watches `path` from `resource_version` with bookmarks, for at most
  // `timeout` (the server's timeoutSeconds), calling on_event for each
  // event; returns when the stream ends. Events are split on newlines,
  // never on chunk boundaries. `on_open`, when given, is called once the
  // server has answered 200: the stream is open (a watch may then be
  // silent for minutes).
  WatchResult watch(const std::string& path, const ListOptions& options, std::chrono::seconds timeout,
                    const std::function<void(WatchEvent&& event)>& on_event,
                    const std::function<void()>& on_open = {});

  // Server-side apply of `object` (JSON is YAML) to its own URL `path`,
  // with `field_manager` and force: releasegate owns what it writes.
  Response apply(const std::string& path, const nlohmann::json& object, const std::string& field_manager);

  // Ends a watch or a retry wait in progress, from any thread; requests
  // after it fail at once with transport_error "stopped".
  void stop();
  // Cuts a watch in progress (it ends as Cut, or Unreachable before the
  // server answered), from another thread; the client goes on working. A
  // watch still connecting is missed: the caller repeats until it sees the
  // watch end.
  void interrupt_watch();

 private:
  struct Impl;
  ClientConfig config_;
  std::unique_ptr<Impl> impl_;
};

// "/api/v1/namespaces/dev/configmaps", "/apis/apps/v1/deployments"...
std::string resource_path(const std::string& group, const std::string& version, const std::string& resource,
                          const std::string& namespace_ = {}, const std::string& name = {});
// Percent-encodes a query value.
std::string query_escape(const std::string& value);

}  // namespace releasegate::kube
