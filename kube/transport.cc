#include "kube/transport.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>

namespace releasegate::kube {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::minutes kTokenMaxAge{1};  // as client-go's cached file token source

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;

Bio memory_bio(const std::string& pem) { return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

// Every certificate of a PEM bundle in a new store; nullptr if it holds none.
X509_STORE* store_of(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  Bio bio = memory_bio(pem);
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++count;
    X509_free(cert);
  }
  ERR_clear_error();  // the end of the bundle reads as an error
  if (count == 0) {
    X509_STORE_free(store);
    return nullptr;
  }
  return store;
}

std::string without_brackets(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::unique_ptr<httplib::SSLClient> with_client_certificate(const ClientConfig& config, std::string* error) {
  Bio cert_bio = memory_bio(config.client_cert_pem);
  Bio key_bio = memory_bio(config.client_key_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();
  std::unique_ptr<httplib::SSLClient> client;
  if (!cert || !key) {
    *error = "the client certificate or key is not PEM";
  } else {
    // The context takes its own references.
    client = std::make_unique<httplib::SSLClient>(without_brackets(config.host), config.port, cert, key);
    if (!client->is_valid()) {
      *error = "the client certificate does not match its key";
      client.reset();
    }
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return client;
}

}  // namespace

Transport::Transport(const ClientConfig& config) : config_(config), bucket_(config.qps, config.burst) {
  token_ = config.token;
  if (!config.token.empty()) token_read_ = Clock::now();
}

std::unique_ptr<httplib::SSLClient> Transport::connect(std::chrono::milliseconds read_timeout,
                                                       std::string* error) const {
  std::unique_ptr<httplib::SSLClient> client;
  if (!config_.client_cert_pem.empty()) {
    client = with_client_certificate(config_, error);
    if (!client) return nullptr;
  } else {
    client = std::make_unique<httplib::SSLClient>(without_brackets(config_.host), config_.port);
  }
  if (!config_.ca_pem.empty()) {
    X509_STORE* store = store_of(config_.ca_pem);
    if (!store) {
      *error = "the cluster CA bundle holds no PEM certificate";
      return nullptr;
    }
    client->set_ca_cert_store(store);  // owned by the client's context from here
  }
  // Verification includes the host name or IP against the certificate's names.
  client->enable_server_certificate_verification(!config_.insecure_skip_tls_verify);
  client->set_keep_alive(true);
  client->set_decompress(false);
  client->set_connection_timeout(config_.connect_timeout);
  client->set_read_timeout(read_timeout);
  client->set_write_timeout(config_.request_timeout);
  return client;
}

httplib::Headers Transport::headers(const std::string& content_type) {
  // Host written here: httplib would not bracket an IPv6 address.
  httplib::Headers headers{
      {"Host", config_.host + ":" + std::to_string(config_.port)},
      {"User-Agent", config_.user_agent},
      {"Accept", "application/json"},
  };
  if (std::string bearer = token(); !bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  if (!content_type.empty()) headers.emplace("Content-Type", content_type);
  return headers;
}

std::string Transport::token(bool refresh) {
  std::lock_guard lock(token_mutex_);
  if (config_.token_file.empty()) return token_;
  Clock::time_point now = Clock::now();
  if (refresh || !token_read_ || now - *token_read_ >= kTokenMaxAge) {
    std::ifstream in(config_.token_file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    // A file being rewritten may read empty for a moment: keep the last token then.
    if (in && !text.empty()) token_ = std::move(text);
    token_read_ = now;
  }
  return token_;
}

bool Transport::send(httplib::ClientImpl& client, httplib::Request& request, httplib::Response& response,
                     httplib::Error& error, bool watch) {
  {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return false;
    in_flight_[&client] = {std::this_thread::get_id(), watch};
  }
  client.send(request, response, error);
  std::lock_guard lock(stop_mutex_);
  in_flight_.erase(&client);
  stop_changed_.notify_all();
  return true;
}

bool Transport::take_token() { return sleep(std::chrono::duration_cast<std::chrono::milliseconds>(bucket_.reserve())); }

bool Transport::sleep(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mutex_);
  return !stop_changed_.wait_for(lock, delay, [this] { return stopped_; });
}

bool Transport::stopped() const {
  std::lock_guard lock(stop_mutex_);
  return stopped_;
}

// httplib's stop() shuts a socket only once the request has one: a send
// still connecting is missed. So keep shutting every client in flight
// until each has returned (bounded by the connect timeout), except this
// thread's own (stop() from inside a watch callback), which sees the flag.
void Transport::stop() {
  std::unique_lock lock(stop_mutex_);
  stopped_ = true;
  stop_changed_.notify_all();
  Clock::time_point give_up = Clock::now() + config_.connect_timeout + std::chrono::seconds(1);
  auto others_in_flight = [this] {
    for (const auto& [client, sending] : in_flight_) {
      if (sending.thread != std::this_thread::get_id()) return true;
    }
    return false;
  };
  while (others_in_flight() && Clock::now() < give_up) {
    for (const auto& [client, sending] : in_flight_) {
      if (sending.thread != std::this_thread::get_id()) client->stop();
    }
    stop_changed_.wait_for(lock, std::chrono::milliseconds(10));
  }
}

void Transport::interrupt_watches() {
  std::lock_guard lock(stop_mutex_);
  for (const auto& [client, sending] : in_flight_) {
    if (sending.watch && sending.thread != std::this_thread::get_id()) client->stop();
  }
}

}  // namespace releasegate::kube
