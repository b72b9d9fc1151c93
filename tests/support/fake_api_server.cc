#include "tests/support/fake_api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include "tests/support/fake_api_internal.h"
#include "tests/support/test_support.h"

namespace releasegate::testing {
namespace {

constexpr std::size_t kMaxHead = 64 * 1024;

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      std::string hex(text.substr(i + 1, 2));
      char* end = nullptr;
      long value = std::strtol(hex.c_str(), &end, 16);
      if (hex.size() == 2 && end == hex.c_str() + 2) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

void parse_target(FakeRequest& request) {
  std::string_view target = request.target;
  std::size_t question = target.find('?');
  request.path = percent_decode(target.substr(0, question), false);
  if (question == std::string_view::npos) return;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    std::string name = percent_decode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    if (!name.empty()) request.query[name] = value;
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
}

// True when dir holds the dev certificates, valid for a day more.
bool usable_certs(const std::filesystem::path& dir) {
  for (const char* name : {"ca.crt", "tls.crt", "tls.key"}) {
    if (!std::filesystem::exists(dir / name)) return false;
  }
  FILE* file = std::fopen((dir / "tls.crt").c_str(), "r");
  if (!file) return false;
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  time_t tomorrow = std::time(nullptr) + 86'400;
  bool valid = cert && X509_cmp_time(X509_get0_notAfter(cert), &tomorrow) > 0;
  X509_free(cert);
  return valid;
}

// The dev certificates, shared by the test processes of this user (each
// test is a process of its own under ctest): made into a folder of this
// process's own, then renamed into place, so that two making them at once
// never read half-written files.
const std::filesystem::path& cert_dir() {
  static std::once_flag once;
  static std::filesystem::path dir;
  std::call_once(once, [] {
    std::filesystem::path tmp = std::filesystem::temp_directory_path();
    std::filesystem::path shared = tmp / ("releasegate-fake-api-certs-" + std::to_string(::getuid()));
    if (usable_certs(shared)) {
      dir = shared;
      return;
    }
    std::filesystem::path own = tmp / ("releasegate-fake-api-certs-" + std::to_string(::getpid()));
    std::error_code ignored;
    std::filesystem::remove_all(own, ignored);
    if (!make_dev_certs(own)) return;
    std::filesystem::remove_all(shared, ignored);
    std::filesystem::rename(own, shared, ignored);
    dir = usable_certs(shared) ? shared : own;
  });
  return dir;
}

}  // namespace

std::optional<std::filesystem::path> kube_recordings_dir() {
  if (const char* env = std::getenv("RELEASEGATE_KUBE_RECORDINGS"); env && *env) return std::filesystem::path(env);
  std::filesystem::path beside = source_dir().parent_path() / "shared" / "kube" / "recordings";
  if (std::filesystem::is_directory(beside)) return beside;
  return std::nullopt;
}

// --- bytes on the wire ---

std::string fake_response(int status, const std::string& content_type, const std::string& body,
                          const std::vector<std::string>& headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  out += "Audit-Id: 00000000-0000-4000-8000-000000000000\r\nCache-Control: no-cache, private\r\n";
  out += "Content-Type: " + content_type + "\r\n";
  for (const std::string& header : headers) out += header + "\r\n";
  out += "Date: Tue, 01 Dec 2026 11:14:09 GMT\r\n";
  if (body.size() <= 2048) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return out;
  }
  out += "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += 4096) out += FakeReply::chunk(body.substr(at, 4096));
  return out + FakeReply::chunk({});
}

std::string fake_status_body(int code, const std::string& reason, const std::string& message,
                             const nlohmann::json& details) {
  nlohmann::json status = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
                           {"status", "Failure"}, {"message", message}};
  if (!reason.empty()) status["reason"] = reason;
  if (!details.empty()) status["details"] = details;
  status["code"] = code;
  return status.dump();
}

FakeReply FakeReply::plain(int status, const std::string& content_type, const std::string& body,
                           const std::vector<std::string>& headers) {
  FakeReply reply;
  reply.then(fake_response(status, content_type, body, headers));
  return reply;
}

FakeReply FakeReply::json(int status, const nlohmann::json& body, const std::vector<std::string>& headers) {
  return plain(status, "application/json", body.dump(), headers);
}

FakeReply FakeReply::status(int code, const std::string& reason, const std::string& message) {
  return plain(code, "application/json", fake_status_body(code, reason, message));
}

std::string FakeReply::chunked_head() {
  return "HTTP/1.1 200 OK\r\nAudit-Id: 00000000-0000-4000-8000-000000000000\r\n"
         "Cache-Control: no-cache, private\r\nContent-Type: application/json\r\n"
         "Date: Tue, 01 Dec 2026 11:14:09 GMT\r\nTransfer-Encoding: chunked\r\n\r\n";
}

std::string FakeReply::chunk(const std::string& data) {
  std::ostringstream size;
  size << std::hex << data.size();
  return size.str() + "\r\n" + data + "\r\n";
}

FakeReply FakeReply::recording(const std::string& name) {
  FakeReply reply;
  std::optional<std::filesystem::path> dir = kube_recordings_dir();
  if (!dir) return reply;
  std::filesystem::path file = *dir / (name + ".response");
  if (std::filesystem::exists(file)) reply.then(read_file(file));
  return reply;
}

FakeReply FakeReply::recording_in_chunks(const std::string& name, std::chrono::milliseconds pause) {
  FakeReply whole = recording(name);
  if (whole.pieces.empty()) return whole;
  const std::string& bytes = whole.pieces.front().bytes;
  std::size_t at = bytes.find("\r\n\r\n");
  if (at == std::string::npos || bytes.find("Transfer-Encoding: chunked") > at) return whole;
  FakeReply reply;
  std::string head = bytes.substr(0, at + 4);
  for (at += 4; at < bytes.size();) {
    std::size_t line_end = bytes.find("\r\n", at);
    if (line_end == std::string::npos) break;
    std::size_t size = std::stoul(bytes.substr(at, line_end - at), nullptr, 16);
    std::size_t end = std::min(bytes.size(), line_end + 2 + size + 2);
    std::string piece = bytes.substr(at, end - at);
    if (!head.empty()) piece = std::exchange(head, {}) + piece;
    reply.then(std::move(piece), reply.pieces.empty() ? std::chrono::milliseconds(0) : pause);
    at = end;
  }
  return reply;
}

// --- connections ---

bool FakeConnection::write(std::string_view bytes) {
  while (!bytes.empty()) {
    int written = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    if (written <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

bool FakeConnection::fill() {
  char data[16384];
  int got = SSL_read(ssl_, data, sizeof data);
  if (got <= 0) return false;
  buffer_.append(data, static_cast<std::size_t>(got));
  return true;
}

std::optional<FakeRequest> FakeConnection::read_request() {
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHead || !fill()) return std::nullopt;
  }
  FakeRequest request;
  std::istringstream head(buffer_.substr(0, head_end));
  std::string line, version;
  std::getline(head, line);
  std::istringstream(line) >> request.method >> request.target >> version;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1) == std::string::npos
                                            ? line.size()
                                            : line.find_first_not_of(' ', colon + 1));
  }
  buffer_.erase(0, head_end + 4);
  std::size_t length = request.headers.count("content-length") ? std::stoul(request.headers["content-length"]) : 0;
  while (buffer_.size() < length) {
    if (!fill()) return std::nullopt;
  }
  request.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  parse_target(request);
  return request;
}

FakeApiServer::FakeApiServer() : impl_(std::make_unique<Impl>()) {
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error on its connection only
  const std::filesystem::path& dir = cert_dir();
  if (dir.empty()) {
    impl_->error = "certs/dev-certs.sh failed";
    return;
  }
  impl_->ca_pem = read_file(dir / "ca.crt");
  impl_->ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_chain_file(impl_->ctx, (dir / "tls.crt").c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(impl_->ctx, (dir / "tls.key").c_str(), SSL_FILETYPE_PEM) != 1) {
    impl_->error = "cannot load the dev serving certificate";
    return;
  }
  impl_->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(impl_->listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(impl_->listen_fd, 64) != 0 ||
      ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    impl_->error = "cannot listen on 127.0.0.1";
    return;
  }
  impl_->port = ntohs(address.sin_port);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
  }
  impl_->changed.notify_all();
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  // No new threads once the acceptor is gone.
  for (std::thread& thread : impl_->threads) thread.join();
  if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
  SSL_CTX_free(impl_->ctx);
}

void FakeServerImpl::accept_loop() {
  while (true) {
    pollfd waiting{listen_fd, POLLIN, 0};
    int ready = ::poll(&waiting, 1, 20);
    std::lock_guard lock(mutex);
    if (stopping) return;
    if (ready <= 0) continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (down) {
      ::close(fd);
      continue;
    }
    fds.insert(fd);
    threads.emplace_back([this, fd] { serve(fd); });
  }
}

bool FakeServerImpl::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex);
  return !changed.wait_for(lock, delay, [this] { return stopping; });
}

namespace {

// Writes a scripted reply; false when the connection must close.
bool play(FakeServerImpl& impl, FakeConnection& connection, const FakeReply& reply) {
  for (const FakeReply::Piece& piece : reply.pieces) {
    if (piece.pause_before.count() > 0 && !impl.pause(piece.pause_before)) return false;
    if (!connection.write(piece.bytes)) return false;
  }
  switch (reply.after) {
    case FakeReply::After::KeepAlive:
      return true;
    case FakeReply::After::Close:
      return false;
    case FakeReply::After::Stall: {
      std::unique_lock lock(impl.mutex);
      impl.changed.wait(lock, [&impl] { return impl.stopping; });
      return false;
    }
  }
  return false;
}

}  // namespace

void FakeServerImpl::serve(int fd) {
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    FakeConnection connection(ssl);
    while (std::optional<FakeRequest> request = connection.read_request()) {
      Handler scripted;
      std::string token;
      {
        std::lock_guard lock(mutex);
        if (stopping) break;
        log.push_back(*request);
        scripted = handler;
        token = accepted_token;
      }
      if (!token.empty() && request->headers["authorization"] != "Bearer " + token) {
        if (!connection.write(fake_response(401, "application/json",
                                            fake_status_body(401, "Unauthorized", "Unauthorized")))) {
          break;
        }
        continue;
      }
      std::optional<FakeReply> reply = scripted ? scripted(*request) : std::nullopt;
      if (!(reply ? play(*this, connection, *reply) : serve_stateful(connection, *request))) break;
    }
  }
  ERR_clear_error();
  std::lock_guard lock(mutex);
  SSL_free(ssl);
  fds.erase(fd);
  ::close(fd);
}

bool FakeApiServer::ok() const { return impl_->error.empty(); }
const std::string& FakeApiServer::error() const { return impl_->error; }
int FakeApiServer::port() const { return impl_->port; }
const std::string& FakeApiServer::ca_pem() const { return impl_->ca_pem; }

kube::ClientConfig FakeApiServer::client_config() const {
  kube::ClientConfig config;
  config.host = "127.0.0.1";
  config.port = impl_->port;
  config.ca_pem = impl_->ca_pem;
  config.token = kToken;
  config.default_namespace = "releasegate-system";
  config.connect_timeout = std::chrono::milliseconds(2'000);
  config.request_timeout = std::chrono::milliseconds(10'000);
  config.qps = 1'000;
  config.burst = 1'000;
  config.origin = "fake API server";
  return config;
}

void FakeApiServer::set_handler(Handler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

void FakeApiServer::set_accepted_token(const std::string& token) {
  std::lock_guard lock(impl_->mutex);
  impl_->accepted_token = token;
}

std::vector<FakeRequest> FakeApiServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

std::size_t FakeApiServer::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log.size();
}

void FakeApiServer::clear_requests() {
  std::lock_guard lock(impl_->mutex);
  impl_->log.clear();
}

std::vector<FakeRequest> FakeApiServer::watch_requests() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<FakeRequest> watches;
  for (const FakeRequest& request : impl_->log) {
    auto watch = request.query.find("watch");
    if (watch != request.query.end() && watch->second == "true") watches.push_back(request);
  }
  return watches;
}

void FakeApiServer::forbid_create(const std::string& collection) {
  std::lock_guard lock(impl_->mutex);
  impl_->creates_forbidden.insert(collection);
}

void FakeApiServer::set_down(bool down) {
  std::lock_guard lock(impl_->mutex);
  impl_->down = down;
  // A server going down takes its open connections (and watches) with it.
  if (down) {
    for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
  }
  impl_->changed.notify_all();
}

void FakeApiServer::set_bookmark_interval(std::chrono::milliseconds interval) {
  std::lock_guard lock(impl_->mutex);
  impl_->bookmark_interval = interval;
  impl_->changed.notify_all();
}

}  // namespace releasegate::testing
