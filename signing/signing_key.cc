#include "signing/signing_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <cstring>
#include <functional>

namespace releasegate::signing {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdContext = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using KeyContext = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using ParamBuild = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

std::shared_ptr<EVP_PKEY> owned(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

// What a key is, if it is one releasegate signs with.
std::optional<KeyType> type_of(EVP_PKEY* key, std::string* error) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) return KeyType::Ed25519;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1 &&
        (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0)) {
      return KeyType::EcdsaP256;
    }
    *error = std::string("an ECDSA key must be on P-256, not ") + (group[0] ? group : "an unnamed curve");
    return std::nullopt;
  }
  *error = "the key must be ECDSA P-256 or Ed25519";
  return std::nullopt;
}

std::string key_id(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return {};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(length), digest);
  OPENSSL_free(der);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

Bio reading(std::string_view text) { return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

std::string written(const std::function<int(BIO*)>& write) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return {};
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// r||s (32 bytes each) as DER.
std::string der_of_raw(std::string_view raw) {
  EcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

const EVP_MD* digest_for(KeyType type) { return type == KeyType::Ed25519 ? nullptr : EVP_sha256(); }

}  // namespace

PublicKey::PublicKey(std::shared_ptr<EVP_PKEY> key, KeyType type)
    : key_(std::move(key)), type_(type), id_(key_ ? key_id(key_.get()) : std::string()) {}

std::optional<PublicKey> PublicKey::from_pem(std::string_view pem, std::string* error) {
  Bio bio = reading(pem);
  std::shared_ptr<EVP_PKEY> key = owned(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    *error = "not a PEM public key (-----BEGIN PUBLIC KEY-----)";
    return std::nullopt;
  }
  auto type = type_of(key.get(), error);
  if (!type) return std::nullopt;
  return PublicKey(std::move(key), *type);
}

std::optional<PublicKey> PublicKey::from_p256_point(std::string_view point, std::string* error) {
  ParamBuild build(OSSL_PARAM_BLD_new());
  if (!build || OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    *error = "cannot build the key";
    return std::nullopt;
  }
  Params params(OSSL_PARAM_BLD_to_param(build.get()));
  KeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    *error = "not a point of P-256";
    return std::nullopt;
  }
  return PublicKey(owned(key), KeyType::EcdsaP256);
}

std::string PublicKey::pem() const {
  return written([this](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key_.get()); });
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  auto check = [&](std::string_view sig) {
    MdContext context(EVP_MD_CTX_new());
    return context && EVP_DigestVerifyInit(context.get(), nullptr, digest_for(type_), nullptr, key_.get()) == 1 &&
           EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  };
  if (check(signature)) return true;
  if (type_ != KeyType::EcdsaP256 || signature.size() != 64) return false;
  std::string der = der_of_raw(signature);
  return !der.empty() && check(der);
}

std::optional<SigningKey> SigningKey::from_pem(std::string_view pem, std::string* error) {
  Bio bio = reading(pem);
  std::shared_ptr<EVP_PKEY> key = owned(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    *error = "not a PEM private key (-----BEGIN PRIVATE KEY----- or EC PRIVATE KEY), or one with a passphrase";
    return std::nullopt;
  }
  auto type = type_of(key.get(), error);
  if (!type) return std::nullopt;
  return SigningKey(std::move(key), *type);
}

SigningKey SigningKey::generate(KeyType type) {
  EVP_PKEY* key = type == KeyType::Ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                           : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return SigningKey(owned(key), type);
}

std::string SigningKey::pem() const {
  return written([this](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

std::string SigningKey::sign(std::string_view message) const {
  MdContext context(EVP_MD_CTX_new());
  std::size_t length = 0;
  auto data = reinterpret_cast<const unsigned char*>(message.data());
  if (!context || EVP_DigestSignInit(context.get(), nullptr, digest_for(public_.type_), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length, data, message.size()) != 1) {
    return {};
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     message.size()) != 1) {
    return {};
  }
  signature.resize(length);
  return signature;
}

}  // namespace releasegate::signing
