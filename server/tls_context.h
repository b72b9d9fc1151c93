// TLS settings for the admission listener: TLS 1.2+ with forward-secret
// AEAD ciphers only, and the serving certificate and key loaded and checked
// against each other.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace releasegate::server {

struct TlsFiles {
  std::string certificate_chain;  // PEM: leaf first, then intermediates
  std::string private_key;        // PEM
  std::string client_ca;          // PEM bundle; when set, clients must present a certificate it signed (mTLS)
};

// A new server context configured from `files`, or null with *error set.
std::shared_ptr<SSL_CTX> make_tls_context(const TlsFiles& files, std::string* error);

}  // namespace releasegate::server
