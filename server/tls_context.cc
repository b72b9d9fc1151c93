#include "server/tls_context.h"

#include <openssl/err.h>

namespace releasegate::server {
namespace {

// TLS 1.2 suites; TLS 1.3 uses OpenSSL's defaults, which are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

// Configures `ctx`; on failure returns false and says what and which file.
bool configure_tls(SSL_CTX& ctx, const TlsFiles& files, std::string* error) {
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // One read(2) per TLS record (or several) instead of one for the 5-byte
  // record header and another for the rest.
  SSL_CTX_set_read_ahead(&ctx, 1);
  if (SSL_CTX_set_cipher_list(&ctx, kTls12Ciphers) != 1) {
    *error = "tls: cannot set cipher list: " + openssl_error();
    return false;
  }
  if (SSL_CTX_use_certificate_chain_file(&ctx, files.certificate_chain.c_str()) != 1) {
    *error = "tls: cannot load certificate " + files.certificate_chain + ": " + openssl_error();
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(&ctx, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = "tls: cannot load private key " + files.private_key + ": " + openssl_error();
    return false;
  }
  if (SSL_CTX_check_private_key(&ctx) != 1) {
    *error = "tls: private key " + files.private_key + " does not match certificate " + files.certificate_chain;
    return false;
  }
  if (!files.client_ca.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
    if (!names || SSL_CTX_load_verify_locations(&ctx, files.client_ca.c_str(), nullptr) != 1) {
      if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
      *error = "tls: cannot load client CA " + files.client_ca + ": " + openssl_error();
      return false;
    }
    SSL_CTX_set_client_CA_list(&ctx, names);  // tells clients which certificate to send
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return true;
}

}  // namespace

std::shared_ptr<SSL_CTX> make_tls_context(const TlsFiles& files, std::string* error) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    *error = "tls: cannot create a context: " + openssl_error();
    return nullptr;
  }
  return configure_tls(*ctx, files, error) ? ctx : nullptr;
}

}  // namespace releasegate::server
