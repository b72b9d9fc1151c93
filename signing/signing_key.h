// The keys evidence is signed and verified with: ECDSA over P-256 with
// SHA-256, or Ed25519, read from PEM (a Secret's files, a policy's text)
// with OpenSSL 3. A key's id is the hex SHA-256 of its public key's DER
// (SubjectPublicKeyInfo), so that the signer and every verifier name it
// alike without agreeing on anything else.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;

namespace releasegate::signing {

enum class KeyType { EcdsaP256, Ed25519 };

class PublicKey {
 public:
  // A PEM "PUBLIC KEY"; nullopt with *error for anything else (an RSA key,
  // another curve, a private key, not PEM).
  static std::optional<PublicKey> from_pem(std::string_view pem, std::string* error);
  // An uncompressed P-256 point (0x04 || X || Y), as test vectors give one.
  static std::optional<PublicKey> from_p256_point(std::string_view point, std::string* error);

  const std::string& id() const { return id_; }
  KeyType type() const { return type_; }
  std::string pem() const;
  // Whether `signature` signs `message`. An ECDSA signature may be DER
  // (what OpenSSL, cosign and releasegate write) or the raw 64 bytes r||s
  // (what DSSE's reference implementation and its test vector use).
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  PublicKey(std::shared_ptr<EVP_PKEY> key, KeyType type);  // its id computed
  std::shared_ptr<EVP_PKEY> key_;
  KeyType type_ = KeyType::EcdsaP256;
  std::string id_;
  friend class SigningKey;
};

class SigningKey {
 public:
  // A PEM private key ("PRIVATE KEY" or "EC PRIVATE KEY"), P-256 or Ed25519.
  static std::optional<SigningKey> from_pem(std::string_view pem, std::string* error);
  // A new key, for tests and `releasegate evidence keygen`.
  static SigningKey generate(KeyType type);

  const PublicKey& public_key() const { return public_; }
  std::string pem() const;  // PKCS#8; a secret: never logged
  // DER for ECDSA (deterministic signing is not asked of OpenSSL 3.0), 64
  // bytes for Ed25519. Empty only if OpenSSL fails.
  std::string sign(std::string_view message) const;

 private:
  SigningKey(std::shared_ptr<EVP_PKEY> key, KeyType type) : key_(key), public_(std::move(key), type) {}
  std::shared_ptr<EVP_PKEY> key_;
  PublicKey public_;
};

}  // namespace releasegate::signing
