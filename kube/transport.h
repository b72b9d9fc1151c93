// The HTTP side of Client (private to kube/): cpp-httplib SSLClients set up
// from a ClientConfig, the bearer token with its re-reads, the rate limit,
// and the stop() machinery. Not part of the interface.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kube/backoff.h"
#include "kube/client.h"

namespace releasegate::kube {

class Transport {
 public:
  explicit Transport(const ClientConfig& config);

  // A new client with this read timeout; nullptr with *error when the
  // certificates do not load.
  std::unique_ptr<httplib::SSLClient> connect(std::chrono::milliseconds read_timeout, std::string* error) const;
  httplib::Headers headers(const std::string& content_type);

  // Sends on `client`, which stop() can interrupt while it is in flight
  // (and interrupt_watches(), when it is a watch); false without sending
  // once stopped.
  bool send(httplib::ClientImpl& client, httplib::Request& request, httplib::Response& response,
            httplib::Error& error, bool watch = false);

  // The token to send; re-read from the file when older than a minute or when `refresh`.
  std::string token(bool refresh = false);
  bool has_token_file() const { return !config_.token_file.empty(); }

  // Waits for the rate limiter; false when stopped meanwhile.
  bool take_token();
  // Sleeps; false when stopped meanwhile (at once if already stopped).
  bool sleep(std::chrono::milliseconds delay);
  bool stopped() const;
  void stop();
  // Shuts the watches in flight now, once (a connecting one is missed:
  // callers repeat until they see the watch end); nothing is stopped.
  void interrupt_watches();

 private:
  const ClientConfig& config_;
  TokenBucket bucket_;
  std::mutex token_mutex_;
  std::string token_;
  std::optional<std::chrono::steady_clock::time_point> token_read_;
  mutable std::mutex stop_mutex_;
  std::condition_variable stop_changed_;
  bool stopped_ = false;
  struct InFlight {
    std::thread::id thread;
    bool watch = false;
  };
  std::map<httplib::ClientImpl*, InFlight> in_flight_;
};

}  // namespace releasegate::kube
