// TLS settings for the admission listener: TLS 1.2+ with forward-secret
// AEAD ciphers only, and the serving certificate and key loaded and checked
// against each other.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace releasegate::webhook {

struct TlsFiles {
  std::string certificate_chain;  // PEM: leaf first, then intermediates
  std::string private_key;        // PEM
};

// Configures `ctx`; on failure returns false and says what and which file.
bool configure_tls(SSL_CTX& ctx, const TlsFiles& files, std::string* error);

}  // namespace releasegate::webhook
