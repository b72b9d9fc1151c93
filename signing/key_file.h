// A signing key read from a file (a Secret mounted in the Pod), read again
// when the file changes, so that a key rotated in the Secret is used
// without a restart. A file that cannot be read, or holds no usable key,
// keeps the last good key in use and says why.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "signing/signing_key.h"

namespace releasegate::signing {

class SigningKeyFile {
 public:
  explicit SigningKeyFile(std::filesystem::path path) : path_(std::move(path)) {}

  // The key in force (nullptr while none was ever read); *error says why
  // the file's present content is not in force, else is cleared.
  std::shared_ptr<const SigningKey> current(std::string* error = nullptr);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mutex_;
  std::string last_content_;
  std::string last_error_;
  std::shared_ptr<const SigningKey> key_;
};

}  // namespace releasegate::signing
