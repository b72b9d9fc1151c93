#include "signing/dsse.h"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace releasegate::signing {

std::string pae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 " + std::to_string(payload_type.size()) + " ";
  out += payload_type;
  out += " " + std::to_string(payload.size()) + " ";
  out += payload;
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(length, 0)));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  // Padded to whole quanta; more than two '=' is no base64.
  std::size_t padding = 0;
  while (standard.size() % 4 != 0) standard += '=', ++padding;
  if (padding > 2) return std::nullopt;
  for (std::size_t i = 0; i < standard.size(); ++i) {
    char c = standard[i];
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    bool pad = c == '=' && i + 2 >= standard.size() && (i + 1 == standard.size() || standard[i + 1] == '=');
    if (!alphabet && !pad) return std::nullopt;
  }
  std::string out(standard.size() / 4 * 3, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding's zero bytes.
  std::size_t pads = standard.empty() ? 0 : (standard.back() == '=') + (standard.size() > 1 && standard[standard.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(length) - pads);
  return out;
}

std::string to_json(const Envelope& envelope) {
  nlohmann::json signatures = nlohmann::json::array();
  for (const Signature& s : envelope.signatures) {
    nlohmann::json one = {{"sig", base64_encode(s.sig)}};
    if (!s.keyid.empty()) one["keyid"] = s.keyid;
    signatures.push_back(std::move(one));
  }
  return nlohmann::json{{"payloadType", envelope.payload_type},
                        {"payload", base64_encode(envelope.payload)},
                        {"signatures", std::move(signatures)}}
      .dump();
}

std::optional<Envelope> parse_envelope(std::string_view text, std::string* error) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  auto fail = [error](std::string why) {
    *error = std::move(why);
    return std::nullopt;
  };
  if (!json.is_object()) return fail("a DSSE envelope is a JSON object");
  auto string_field = [&json](const char* name) -> const std::string* {
    auto it = json.find(name);
    return it != json.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* type = string_field("payloadType");
  const std::string* payload = string_field("payload");
  if (type == nullptr) return fail("payloadType must be a string");
  if (payload == nullptr) return fail("payload must be a base64 string");
  Envelope envelope;
  envelope.payload_type = *type;
  auto decoded = base64_decode(*payload);
  if (!decoded) return fail("payload is not base64");
  envelope.payload = std::move(*decoded);
  auto signatures = json.find("signatures");
  if (signatures == json.end() || !signatures->is_array() || signatures->empty()) {
    return fail("signatures must be a list of at least one signature");
  }
  for (const nlohmann::json& s : *signatures) {
    auto sig = s.is_object() ? s.find("sig") : s.end();
    if (!s.is_object() || sig == s.end() || !sig->is_string()) return fail("each signature needs sig, a base64 string");
    auto bytes = base64_decode(sig->get<std::string>());
    if (!bytes) return fail("a signature's sig is not base64");
    auto keyid = s.find("keyid");
    if (keyid != s.end() && !keyid->is_string()) return fail("a signature's keyid must be a string");
    envelope.signatures.push_back({keyid != s.end() ? keyid->get<std::string>() : "", std::move(*bytes)});
  }
  return envelope;
}

Envelope sign_envelope(std::string_view payload_type, std::string payload, const SigningKey& key) {
  Envelope envelope{std::string(payload_type), std::move(payload), {}};
  envelope.signatures.push_back({key.public_key().id(), key.sign(pae(payload_type, envelope.payload))});
  return envelope;
}

bool signed_by(const Envelope& envelope, const PublicKey& key) {
  std::string message = pae(envelope.payload_type, envelope.payload);
  return std::any_of(envelope.signatures.begin(), envelope.signatures.end(), [&](const Signature& s) {
    return (s.keyid.empty() || s.keyid == key.id()) && key.verify(message, s.sig);
  });
}

}  // namespace releasegate::signing
