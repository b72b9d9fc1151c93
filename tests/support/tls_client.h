// A minimal HTTP/1.1-over-TLS client on raw OpenSSL, for the server tests:
// it sends exactly the bytes a test writes (chunked bodies, missing
// Content-Length, many requests on one connection) and verifies the
// server's certificate against the test CA.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <optional>
#include <string>

namespace releasegate::testing {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class TlsClient {
 public:
  struct ClientCertificate {
    std::string certificate;
    std::string key;
  };

  // Connects to 127.0.0.1:port; max_version 0 means the library default.
  TlsClient(int port, const std::string& ca_file, int max_version = 0,
            const std::optional<ClientCertificate>& client = std::nullopt);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return ssl_ != nullptr; }
  // Serial number (hex) of the certificate the server presented.
  std::string peer_serial() const;
  const std::string& error() const { return error_; }

  bool send(const std::string& bytes);
  // One response with a Content-Length body; nullopt on close or timeout.
  std::optional<RawResponse> read_response();
  // True when the server closes the connection (within the 5 s timeout).
  bool closed_by_server();

  // A POST with Content-Length and a JSON body.
  static std::string post(const std::string& path, const std::string& body);

 private:
  bool fill();  // reads more bytes into buffer_
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  std::string error_;
};

}  // namespace releasegate::testing
