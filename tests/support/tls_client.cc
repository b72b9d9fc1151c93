#include "tests/support/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cerrno>

namespace releasegate::testing {

TlsClient::TlsClient(int port, const std::string& ca_file, int max_version,
                     const std::optional<ClientCertificate>& client) {
  std::signal(SIGPIPE, SIG_IGN);  // writing to a connection the server closed must fail, not kill the test
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error_ = "connect failed";
    return;
  }
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (max_version) {
    SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    SSL_CTX_set_security_level(ctx_, 0);  // allow offering old versions
  }
  SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
  if (client) {
    SSL_CTX_use_certificate_file(ctx_, client->certificate.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx_, client->key.c_str(), SSL_FILETYPE_PEM);
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, fd_);
  SSL_set1_host(ssl, "127.0.0.1");
  if (SSL_connect(ssl) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    error_ = buf;
    SSL_free(ssl);
    return;
  }
  ssl_ = ssl;
}

TlsClient::~TlsClient() {
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

std::string TlsClient::peer_serial() const {
  if (!ssl_) return {};
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (!cert) return {};
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string serial = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  return serial;
}

bool TlsClient::send(const std::string& bytes) {
  return ssl_ && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
}

bool TlsClient::fill() {
  char buf[16384];
  int n = SSL_read(ssl_, buf, sizeof buf);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<RawResponse> TlsClient::read_response() {
  if (!ssl_) return std::nullopt;
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  RawResponse response;
  std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  response.status = std::stoi(head.substr(head.find(' ') + 1, 3));
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    std::size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pos = next;
  }
  std::size_t length = response.headers.count("content-length") ? std::stoul(response.headers["content-length"]) : 0;
  while (buffer_.size() < length) {
    if (!fill()) return std::nullopt;
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

bool TlsClient::closed_by_server() {
  if (!ssl_) return true;
  char c;
  int n = SSL_read(ssl_, &c, 1);
  if (n > 0) return false;
  int err = SSL_get_error(ssl_, n);
  // close_notify, a TCP close, or OpenSSL 3's "unexpected EOF"; a receive
  // timeout is SSL_ERROR_WANT_READ.
  return err != SSL_ERROR_WANT_READ;
}

std::string TlsClient::post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace releasegate::testing
