#include "signing/key_file.h"

#include <fstream>
#include <sstream>

namespace releasegate::signing {

// Read each time (a key file is a few hundred bytes, and asked for at
// most every persist interval): a Secret's update replaces the file
// through a symlink swap, which a modification time would not always show.
std::shared_ptr<const SigningKey> SigningKeyFile::current(std::string* error) {
  std::lock_guard lock(mutex_);
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  std::string content = text.str();
  if (!in) {
    last_error_ = "cannot read the evidence signing key " + path_.string();
  } else if (content != last_content_ || !key_) {
    std::string why;
    if (auto key = SigningKey::from_pem(content, &why)) {
      key_ = std::make_shared<const SigningKey>(std::move(*key));
      last_error_.clear();
    } else {
      last_error_ = "the evidence signing key " + path_.string() + " is not usable: " + why;
    }
    last_content_ = std::move(content);
  }
  if (error) *error = last_error_;
  return key_;
}

}  // namespace releasegate::signing
