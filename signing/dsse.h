// DSSE, the Dead Simple Signing Envelope (github.com/secure-systems-lab/dsse,
// protocol.md and envelope.md): a payload, its type and signatures over
// PAE(type, payload). in-toto attestations travel in it, with the type
// application/vnd.in-toto+json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signing/signing_key.h"

namespace releasegate::signing {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in decimal.
std::string pae(std::string_view payload_type, std::string_view payload);

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding, as envelope.md says; base64url and
// unpadded text are accepted too, as it asks of verifiers. nullopt when
// not base64.
std::optional<std::string> base64_decode(std::string_view text);

struct Signature {
  std::string keyid;  // may be empty: unauthenticated, a hint only
  std::string sig;    // the bytes (decoded)
};

struct Envelope {
  std::string payload_type;
  std::string payload;  // the bytes (decoded)
  std::vector<Signature> signatures;
};

// The JSON envelope (envelope.md), compact.
std::string to_json(const Envelope& envelope);
// nullopt with *error when `text` is not one: not JSON, a field missing
// or of the wrong type, base64 that does not decode, no signature.
std::optional<Envelope> parse_envelope(std::string_view text, std::string* error);

Envelope sign_envelope(std::string_view payload_type, std::string payload, const SigningKey& key);

// The first signature that `key` verifies; a signature naming another
// key id is not tried with it.
bool signed_by(const Envelope& envelope, const PublicKey& key);

}  // namespace releasegate::signing
