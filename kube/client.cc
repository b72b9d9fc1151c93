#include "kube/client.h"

#include <string_view>
#include <utility>

#include "kube/backoff.h"
#include "kube/decode.h"
#include "kube/list_page.h"
#include "kube/transport.h"
#include "kube/watch_stream.h"

namespace releasegate::kube {

struct Client::Impl {
  Impl(const ClientConfig& config, RetryPolicy retry_policy) : transport(config), retry(retry_policy) {}
  Transport transport;
  RetryPolicy retry;
  std::mutex request_mutex;  // the keep-alive connection serves one request at a time
  std::unique_ptr<httplib::SSLClient> connection;

  Response send_once(const ClientConfig& config, const std::string& method, const std::string& target,
                     const std::string& body, const std::string& content_type);
};

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;

bool retryable_status(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// The quoted text of `299 - "text" [date]`, unescaped; the whole value if unquoted.
std::string warning_text(const std::string& value) {
  std::size_t open = value.find('"');
  if (open == std::string::npos) return value;
  std::string text;
  for (std::size_t i = open + 1; i < value.size() && value[i] != '"'; ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    text.push_back(value[i]);
  }
  return text;
}

std::optional<std::chrono::seconds> retry_after_of(const std::string& value) {
  if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::stoi(value));
}

Response response_of(httplib::Response&& http) {
  Response response;
  response.status = http.status;
  response.body = std::move(http.body);
  response.content_type = http.get_header_value("Content-Type");
  auto [begin, end] = http.headers.equal_range("Warning");
  for (auto it = begin; it != end; ++it) response.warnings.push_back(warning_text(it->second));
  response.retry_after = retry_after_of(http.get_header_value("Retry-After"));
  return response;
}

Response transport_failure(std::string why) {
  Response response;
  response.transport_error = std::move(why);
  return response;
}

void add_query(std::string& target, const char* name, const std::string& value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += query_escape(value);
}

// client-go's isTooLargeResourceVersionError (tools/cache/reflector.go):
// the cause ResourceVersionTooLarge (1.18.6 on), a cause with the message
// "Too large resource version" (1.17.0-1.18.5), else a Timeout whose
// message says so (before 1.17).
bool too_large_resource_version(const nlohmann::json& status, const ApiError& error) {
  constexpr std::string_view kText = "Too large resource version";
  auto details = status.find("details");
  if (details != status.end() && details->is_object()) {
    auto causes = details->find("causes");
    if (causes != details->end() && causes->is_array()) {
      for (const nlohmann::json& cause : *causes) {
        if (!cause.is_object()) continue;
        if (cause.value("reason", "") == "ResourceVersionTooLarge") return true;
        if (error.reason == "Timeout" && cause.value("message", "") == kText) return true;
      }
    }
  }
  return error.reason == "Timeout" && error.message.find(kText) != std::string::npos;
}

std::string metadata_string(const nlohmann::json& object, const char* key) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  auto value = metadata->find(key);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : std::string();
}

}  // namespace

Client::Client(ClientConfig config, RetryPolicy retry)
    : config_(std::move(config)), impl_(std::make_unique<Impl>(config_, retry)) {}

Client::~Client() = default;

void Client::stop() { impl_->transport.stop(); }

void Client::interrupt_watch() { impl_->transport.interrupt_watches(); }

// One attempt on the keep-alive connection, within request_timeout as a
// whole (httplib's read timeout is per read: a server that trickles bytes
// would never time out).
Response Client::Impl::send_once(const ClientConfig& config, const std::string& method, const std::string& target,
                                 const std::string& body, const std::string& content_type) {
  Impl& impl = *this;
  std::lock_guard lock(impl.request_mutex);
  std::string error;
  if (!impl.connection) impl.connection = impl.transport.connect(config.request_timeout, &error);
  if (!impl.connection) return transport_failure(error);
  httplib::Request request;
  request.method = method;
  request.path = target;
  request.headers = impl.transport.headers(content_type);
  request.body = body;
  auto deadline = std::chrono::steady_clock::now() + config.request_timeout;
  bool late = false;
  std::string received;
  request.response_handler = [&](const httplib::Response&) { return !impl.transport.stopped(); };
  request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t offset, std::uint64_t length) {
    late = std::chrono::steady_clock::now() > deadline;
    // A list page can be megabytes: when the server gives its length
    // (Content-Length; `length` is 0 for a chunked body, as the
    // recordings show for larger lists) it is received into one block
    // with room for the padding its reader adds (list_page.h), instead of
    // grown as it comes and copied once more to be padded.
    if (offset == 0 && length > 0 && length < (std::uint64_t{1} << 31)) {
      received.reserve(static_cast<std::size_t>(length) + kListPagePadding);
    }
    received.append(data, size);
    return !late && !impl.transport.stopped();
  };
  httplib::Response http;
  httplib::Error failure = httplib::Error::Success;
  if (!impl.transport.send(*impl.connection, request, http, failure) || impl.transport.stopped()) {
    return transport_failure("stopped");
  }
  if (late) return transport_failure("timeout: no complete answer within the request timeout");
  if (failure != httplib::Error::Success) {
    // A connection in an unknown state is not reused.
    impl.connection.reset();
    return transport_failure(httplib::to_string(failure));
  }
  http.body = std::move(received);
  return response_of(std::move(http));
}

Response Client::request(const std::string& method, const std::string& path, const std::string& body,
                         const std::string& content_type) {
  Transport& transport = impl_->transport;
  // Only a POST may have done its work before failing; a 429 was refused before any.
  bool idempotent = method != "POST";
  bool token_refreshed = false;
  Response response;
  for (int attempt = 0; attempt < std::max(1, impl_->retry.attempts);) {
    if (!transport.take_token()) return transport_failure("stopped");
    response = impl_->send_once(config_, method, path, body, content_type);
    if (response.transport_error == "stopped") return response;
    if (response.status == 401 && transport.has_token_file() && !token_refreshed) {
      token_refreshed = true;  // a rotated token: re-read the file and try once more
      transport.token(true);
      continue;
    }
    bool retry = response.status == 429 || (idempotent && (response.status == 0 || retryable_status(response.status)));
    // The server already waited (3 s) for its cache to catch up; the
    // reflector answers this with a consistent read, not with patience.
    if (response.status == 504 && error_of(response).too_large_resource_version) retry = false;
    if (!retry || ++attempt >= impl_->retry.attempts) return response;
    std::chrono::milliseconds delay = full_jitter(attempt - 1, impl_->retry.initial_backoff, impl_->retry.max_backoff);
    if (response.status == 429 && response.retry_after) {
      delay = std::min<std::chrono::milliseconds>(*response.retry_after, impl_->retry.max_backoff);
    }
    if (!transport.sleep(delay)) return transport_failure("stopped");
  }
  return response;
}

Response Client::apply(const std::string& path, const nlohmann::json& object, const std::string& field_manager) {
  std::string target = path;
  add_query(target, "fieldManager", field_manager);
  target += "&force=true";
  return request("PATCH", target, object.dump(), "application/apply-patch+yaml");
}

ListResult Client::list(const std::string& path, const ListOptions& options,
                        const std::function<void(nlohmann::json&& item)>& on_item) {
  // Items are handed over as they are read, each parsed alone; a page
  // that turns out malformed past its first items fails the list (the
  // reflector then lists again: its consumers see the list as a whole).
  return list_text(path, options, [&](std::string_view text) {
    nlohmann::json item = decode_object(text, 0);
    if (item.is_discarded()) return false;
    on_item(std::move(item));
    return true;
  });
}

ListResult Client::list_text(const std::string& path, const ListOptions& options,
                             const std::function<bool(std::string_view item)>& on_item) {
  ListResult result;
  std::string continue_token;
  bool first = true;
  do {
    std::string target = path;
    add_query(target, "labelSelector", options.label_selector);
    add_query(target, "fieldSelector", options.field_selector);
    if (options.limit > 0) add_query(target, "limit", std::to_string(options.limit));
    // A continued page is at the first page's RV; the API refuses both.
    if (first) add_query(target, "resourceVersion", options.resource_version);
    add_query(target, "continue", continue_token);
    Response response = get(target);
    if (!response.ok()) {
      result.error = error_of(response);
      return result;
    }
    bool refused = false;
    ListPage page = read_list_page(response.body, [&](std::string_view text) {
      if (refused) return;
      refused = !on_item(text);
      if (!refused) ++result.items;
    });
    if (!page.ok || refused) {
      result.error = ApiError{response.status, "", page.ok ? "an item of the list is not JSON"
                                                            : "the answer to a list is not a list"};
      return result;
    }
    if (first) result.resource_version = page.resource_version;
    // Absent (built-in lists) and "" (custom resources) both end the list.
    continue_token = page.continue_token;
    first = false;
  } while (!continue_token.empty());
  result.ok = true;
  return result;
}

namespace {

// One watch stream: what the response said and where its events stopped.
struct WatchSession {
  Transport& transport;
  const std::function<void(WatchEvent&& event)>& on_event;
  WatchResult result;
  WatchStream stream;
  int status = 0;
  std::string content_type;
  std::string error_body;
  std::optional<ApiError> event_error;

  bool receive(const char* data, std::size_t size) {
    if (transport.stopped()) return false;
    if (status != 200) {
      error_body.append(data, std::min(size, kMaxErrorBody - std::min(kMaxErrorBody, error_body.size())));
      return true;
    }
    return stream.feed(std::string_view(data, size), [this](WatchEvent&& event) { return deliver(std::move(event)); });
  }

  bool deliver(WatchEvent&& event) {
    if (event.type == WatchEventType::Error) {
      // An ERROR event ends the stream: 410 inside a 200 is the usual one.
      Response as_response;
      as_response.status = event.object.value("code", 500);
      as_response.body = event.object.dump();
      event_error = error_of(as_response);
      return false;
    }
    if (std::string rv = metadata_string(event.object, "resourceVersion"); !rv.empty()) result.resource_version = rv;
    ++result.events;
    on_event(std::move(event));
    return !transport.stopped();
  }

  void finish(httplib::Error failure) {
    auto fail = [this](WatchEnd end, ApiError error) {
      result.end = end;
      result.error = std::move(error);
    };
    if (transport.stopped()) {
      result.end = WatchEnd::Stopped;
    } else if (event_error) {
      fail(event_error->expired() ? WatchEnd::Expired : WatchEnd::Failed, *event_error);
    } else if (status != 0 && status != 200) {
      Response response;
      response.status = status;
      response.body = error_body;
      response.content_type = content_type;
      ApiError error = error_of(response);
      if (status == 401 && transport.has_token_file()) transport.token(true);
      fail(error.expired() ? WatchEnd::Expired : WatchEnd::Failed, error);
    } else if (!stream.error().empty()) {
      fail(WatchEnd::Failed, ApiError{200, "", stream.error()});
    } else if (failure != httplib::Error::Success) {
      fail(status == 0 ? WatchEnd::Unreachable : WatchEnd::Cut,
           ApiError{status, "", "watch stream cut: " + httplib::to_string(failure)});
    } else if (stream.has_partial()) {
      fail(WatchEnd::Cut, ApiError{status, "", "watch stream ended in the middle of an event"});
    } else {
      result.end = WatchEnd::Closed;
    }
  }
};

}  // namespace

WatchResult Client::watch(const std::string& path, const ListOptions& options, std::chrono::seconds timeout,
                          const std::function<void(WatchEvent&& event)>& on_event,
                          const std::function<void()>& on_open) {
  Transport& transport = impl_->transport;
  WatchSession session{transport, on_event, {}, {}, 0, {}, {}, {}};
  std::string target = path;
  add_query(target, "labelSelector", options.label_selector);
  add_query(target, "fieldSelector", options.field_selector);
  add_query(target, "resourceVersion", options.resource_version);
  add_query(target, "allowWatchBookmarks", "true");
  add_query(target, "timeoutSeconds", std::to_string(timeout.count()));
  add_query(target, "watch", "true");
  if (!transport.take_token()) {
    session.finish(httplib::Error::Canceled);
    return session.result;
  }
  std::string error;
  // Its own connection, silent for as long as the server may hold it.
  std::unique_ptr<httplib::SSLClient> connection = transport.connect(timeout + config_.request_timeout, &error);
  if (!connection) {
    session.result.end = WatchEnd::Unreachable;
    session.result.error = ApiError{0, "", error};
    return session.result;
  }
  httplib::Request request;
  request.method = "GET";
  request.path = target;
  request.headers = transport.headers({});
  request.response_handler = [&](const httplib::Response& head) {
    session.status = head.status;
    session.content_type = head.get_header_value("Content-Type");
    if (head.status == 200 && on_open) on_open();
    return !transport.stopped();
  };
  request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    return session.receive(data, size);
  };
  httplib::Response http;
  httplib::Error failure = httplib::Error::Success;
  transport.send(*connection, request, http, failure, /*watch=*/true);
  if (session.status == 0) session.status = http.status > 0 ? http.status : 0;
  session.finish(failure);
  return session.result;
}

ApiError error_of(const Response& response) {
  ApiError error;
  error.code = response.status;
  if (response.status == 0) {
    error.message = response.transport_error;
    return error;
  }
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.value("kind", "") == "Status") {
    if (auto reason = body.find("reason"); reason != body.end() && reason->is_string()) error.reason = *reason;
    if (auto message = body.find("message"); message != body.end() && message->is_string()) error.message = *message;
    error.too_large_resource_version = too_large_resource_version(body, error);
    return error;
  }
  error.message = response.body.substr(0, 1024);
  while (!error.message.empty() && (error.message.back() == '\n' || error.message.back() == '\r')) {
    error.message.pop_back();
  }
  return error;
}

std::string ApiError::describe() const {
  std::string text = code == 0 ? std::string("no answer") : std::to_string(code);
  if (!reason.empty()) text += " " + reason;
  if (!message.empty()) text += ": " + message;
  return text;
}

std::string resource_path(const std::string& group, const std::string& version, const std::string& resource,
                          const std::string& namespace_, const std::string& name) {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (!namespace_.empty()) path += "/namespaces/" + namespace_;
  path += "/" + resource;
  if (!name.empty()) path += "/" + name;
  return path;
}

std::string query_escape(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace releasegate::kube
