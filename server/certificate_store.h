// The serving certificate, reloaded without restart. cert-manager renews
// by rewriting the Secret, which kubelet swaps into the pod's volume; the
// store builds a fresh TLS context from the files and swaps it in. New
// handshakes use the new certificate; established connections keep theirs
// (each holds a reference to the context it was accepted with). A broken
// or mismatched pair keeps the previous one.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/tls_context.h"

namespace releasegate::server {

struct CertificateStatus {
  std::string serial;  // hex, of the leaf in use
  std::optional<std::chrono::system_clock::time_point> not_after;
  std::uint64_t reloads = 0;   // successful loads, the first included
  std::uint64_t failures = 0;  // failed loads
  std::string last_error;      // of the latest attempt, when it failed
};

class CertificateStore {
 public:
  explicit CertificateStore(TlsFiles files) : files_(std::move(files)) {}

  // Loads the files and swaps the new context in when they are valid.
  // Returns false (with *error) when they are not; files unchanged since
  // the last attempt are not loaded again (true).
  bool reload(std::string* error);

  // The context new connections are accepted with; null before a good load.
  std::shared_ptr<SSL_CTX> current() const { return current_.load(std::memory_order_acquire); }
  CertificateStatus status() const;
  const TlsFiles& files() const { return files_; }

 private:
  TlsFiles files_;
  std::atomic<std::shared_ptr<SSL_CTX>> current_;
  mutable std::mutex mutex_;  // status_, fingerprint_, and one reload at a time
  CertificateStatus status_;
  std::size_t fingerprint_ = 0;
};

}  // namespace releasegate::server
