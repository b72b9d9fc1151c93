#include "server/certificate_store.h"

#include <openssl/bn.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace releasegate::server {
namespace {

std::string file_content(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string serial_of(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = bn ? BN_bn2hex(bn) : nullptr;
  std::string serial = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return serial;
}

std::optional<std::chrono::system_clock::time_point> not_after_of(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

bool CertificateStore::reload(std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Re-scans find the same files most of the time: nothing to rebuild.
  std::size_t print = std::hash<std::string>{}(file_content(files_.certificate_chain) + '\0' +
                                                file_content(files_.private_key) + '\0' + file_content(files_.client_ca));
  if (current() && print == fingerprint_) return true;
  std::shared_ptr<SSL_CTX> ctx = make_tls_context(files_, error);
  if (!ctx) {
    ++status_.failures;
    status_.last_error = *error;
    fingerprint_ = print;  // do not retry the same broken files on every re-scan
    return false;
  }
  X509* leaf = SSL_CTX_get0_certificate(ctx.get());
  status_.serial = serial_of(leaf);
  status_.not_after = not_after_of(leaf);
  status_.last_error.clear();
  ++status_.reloads;
  fingerprint_ = print;
  current_.store(std::move(ctx), std::memory_order_release);
  return true;
}

CertificateStatus CertificateStore::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

}  // namespace releasegate::server
