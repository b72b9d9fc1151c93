// DSSE envelopes and the keys that sign them: the specification's own test
// vector (PAE, and its ECDSA signature verified), round trips with both key
// types, and what must not verify.
#include "signing/dsse.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "signing/key_file.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace releasegate::signing {
namespace {

// protocol.md, "Test Vectors": P-256, X and Y in decimal.
constexpr const char* kVectorX = "46950820868899156662930047687818585632848591499744589407958293238635476079160";
constexpr const char* kVectorY = "5640078356564379163099075877009565129882514886557779369047442380624545832820";
constexpr const char* kVectorEnvelope =
    R"({"payload": "aGVsbG8gd29ybGQ=", "payloadType": "http://example.com/HelloWorld", "signatures": [{"sig": )"
    R"("A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]})";

std::string big_endian_32(const char* decimal) {
  BIGNUM* n = nullptr;
  BN_dec2bn(&n, decimal);
  std::string out(32, '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_free(n);
  return out;
}

PublicKey vector_key() {
  std::string error;
  auto key = PublicKey::from_p256_point("\x04" + big_endian_32(kVectorX) + big_endian_32(kVectorY), &error);
  EXPECT_TRUE(key) << error;
  return *key;
}

TEST(Dsse, PreAuthenticationEncodingIsTheSpecificationsVector) {
  EXPECT_EQ(pae("http://example.com/HelloWorld", "hello world"), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(pae("", ""), "DSSEv1 0  0 ");
}

TEST(Dsse, TheSpecificationsSignatureVerifies) {
  std::string error;
  auto envelope = parse_envelope(kVectorEnvelope, &error);
  ASSERT_TRUE(envelope) << error;
  EXPECT_EQ(envelope->payload, "hello world");
  EXPECT_EQ(envelope->signatures.at(0).sig.size(), 64u) << "raw r||s";
  EXPECT_TRUE(signed_by(*envelope, vector_key()));
  Envelope tampered = *envelope;
  tampered.payload = "hello world!";
  EXPECT_FALSE(signed_by(tampered, vector_key()));
  tampered = *envelope;
  tampered.payload_type = "http://example.com/Other";
  EXPECT_FALSE(signed_by(tampered, vector_key())) << "the type is signed too";
}

TEST(Dsse, BothKeyTypesSignAndVerifyAndOnlyTheirOwn) {
  for (KeyType type : {KeyType::EcdsaP256, KeyType::Ed25519}) {
    SigningKey key = SigningKey::generate(type);
    SigningKey other = SigningKey::generate(type);
    std::string error;
    auto reread = SigningKey::from_pem(key.pem(), &error);
    ASSERT_TRUE(reread) << error;
    auto public_key = PublicKey::from_pem(key.public_key().pem(), &error);
    ASSERT_TRUE(public_key) << error;
    EXPECT_EQ(public_key->id(), key.public_key().id());
    EXPECT_EQ(reread->public_key().id(), key.public_key().id());
    EXPECT_EQ(key.public_key().id().size(), 64u);
    EXPECT_NE(other.public_key().id(), key.public_key().id());

    Envelope envelope = sign_envelope(kInTotoPayloadType, R"({"_type":"https://in-toto.io/Statement/v1"})", *reread);
    auto parsed = parse_envelope(to_json(envelope), &error);
    ASSERT_TRUE(parsed) << error;
    EXPECT_TRUE(signed_by(*parsed, *public_key));
    EXPECT_FALSE(signed_by(*parsed, other.public_key()));
    parsed->signatures[0].keyid.clear();  // a keyid is a hint: without one the key is still tried
    EXPECT_TRUE(signed_by(*parsed, *public_key));
    parsed->signatures[0].keyid = other.public_key().id();  // naming another key: not tried with this one
    EXPECT_FALSE(signed_by(*parsed, *public_key));
  }
}

TEST(Dsse, KeysOtherThanP256AndEd25519AreRefused) {
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, p384);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  EVP_PKEY_free(p384);
  std::string error;
  EXPECT_FALSE(PublicKey::from_pem(pem, &error));
  EXPECT_NE(error.find("P-256"), std::string::npos) << error;
  EXPECT_FALSE(PublicKey::from_pem("not a key", &error));
  EXPECT_FALSE(SigningKey::from_pem(SigningKey::generate(KeyType::Ed25519).public_key().pem(), &error))
      << "a public key does not sign";
}

TEST(Dsse, Base64AsEnvelopesUseIt) {
  EXPECT_EQ(base64_encode("hello world"), "aGVsbG8gd29ybGQ=");
  EXPECT_EQ(base64_decode("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(base64_decode("aGVsbG8gd29ybGQ"), "hello world") << "unpadded";
  EXPECT_EQ(base64_decode("-_8"), std::string("\xfb\xff", 2)) << "base64url";
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("a===").has_value());
  EXPECT_FALSE(base64_decode("ab=c").has_value());
  EXPECT_FALSE(base64_decode("aGVs bG8=").has_value());
}

TEST(Dsse, MalformedEnvelopesSayWhat) {
  std::string error;
  for (const char* text : {"[]", "{}", R"({"payloadType":"t","payload":"%%%","signatures":[{"sig":"AA=="}]})",
                           R"({"payloadType":"t","payload":"","signatures":[]})",
                           R"({"payloadType":"t","payload":"","signatures":[{"keyid":1,"sig":"AA=="}]})",
                           R"({"payloadType":"t","payload":"","signatures":[{"sig":5}]})", "not json"}) {
    error.clear();
    EXPECT_FALSE(parse_envelope(text, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

// A rotation in the Secret is used without a restart; a file that holds
// no usable key (half written, deleted) keeps the last good key and says why.
TEST(SigningKeyFile, ARotatedKeyIsReadAgainAndABrokenOneKeepsTheLast) {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("releasegate-key-file-" + std::to_string(::getpid()) + ".pem");
  SigningKey first = SigningKey::generate(KeyType::EcdsaP256), second = SigningKey::generate(KeyType::Ed25519);
  SigningKeyFile file(path);
  std::string error;
  EXPECT_EQ(file.current(&error), nullptr);
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
  std::ofstream(path, std::ios::trunc) << first.pem();
  ASSERT_NE(file.current(&error), nullptr);
  EXPECT_EQ(file.current()->public_key().id(), first.public_key().id());
  EXPECT_TRUE(error.empty()) << error;
  std::ofstream(path, std::ios::trunc) << second.pem();
  EXPECT_EQ(file.current(&error)->public_key().id(), second.public_key().id());
  std::ofstream(path, std::ios::trunc) << "-----BEGIN PRIVATE KEY-----\nhalf";
  EXPECT_EQ(file.current(&error)->public_key().id(), second.public_key().id());
  EXPECT_NE(error.find("not usable"), std::string::npos) << error;
  std::filesystem::remove(path);
  EXPECT_EQ(file.current(&error)->public_key().id(), second.public_key().id());
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
}

}  // namespace
}  // namespace releasegate::signing
