// DSSE envelopes and the in-toto statements inside Evidence documents: the
// input read as an envelope (it must survive a round trip), and as a
// statement signed by a key the policy trusts for cluster "fuzz" and
// environment staging only, compiled as the rules compiler compiles
// Evidence. What it accepts must be what the trust allows.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "policy/compiler.h"
#include "signing/dsse.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

namespace {

const signing::SigningKey& fuzz_key() {
  static const signing::SigningKey key = signing::SigningKey::generate(signing::KeyType::Ed25519);
  return key;
}

const std::string& policy_text() {
  static const std::string text = [] {
    std::string pem, indented;
    pem = fuzz_key().public_key().pem();
    for (std::size_t at = 0, next; at < pem.size(); at = next + 1) {
      next = pem.find('\n', at);
      if (next == std::string::npos) next = pem.size();
      indented += "            " + pem.substr(at, next - at) + "\n";
    }
    return "apiVersion: releasegate.io/v1alpha1\nkind: ReleasePolicy\nmetadata: {name: p}\nspec:\n"
           "  environments:\n    - name: staging\n      namespaces: [staging]\n"
           "    - name: prod\n      namespaces: [prod]\n      after: [staging]\n"
           "  evidence:\n    trust:\n      - cluster: fuzz\n        environments: [staging]\n"
           "        publicKeys:\n          - |\n" + indented;
  }();
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(fuzz::as_text(data, size));
  std::string error;
  if (auto envelope = signing::parse_envelope(text, &error)) {
    auto again = signing::parse_envelope(signing::to_json(*envelope), &error);
    if (!again || again->payload != envelope->payload || again->payload_type != envelope->payload_type ||
        again->signatures.size() != envelope->signatures.size()) {
      std::abort();
    }
  } else if (error.empty()) {
    std::abort();  // refused without saying why
  }
  signing::Envelope signed_statement = signing::sign_envelope(signing::kInTotoPayloadType, text, fuzz_key());
  std::string document = "apiVersion: releasegate.io/v1alpha1\nkind: Evidence\nmetadata: {name: e}\nspec:\n"
                         "  payloadType: " + signed_statement.payload_type + "\n  payload: " +
                         signing::base64_encode(signed_statement.payload) + "\n  signatures:\n    - keyid: \"" +
                         signed_statement.signatures[0].keyid + "\"\n      sig: " +
                         signing::base64_encode(signed_statement.signatures[0].sig) + "\n";
  policy::LoadResult loaded = policy::compile_rules({{"policy.yaml", policy_text()}, {"evidence.yaml", document}});
  if (!loaded.rules && loaded.errors.empty()) std::abort();
  if (loaded.rules) {
    for (const EvidenceRecord& r : loaded.rules->evidence.records()) {
      if (r.cluster != "fuzz" || r.environment != "staging") {
        std::fprintf(stderr, "accepted evidence of %s/%s\n", r.cluster.c_str(), r.environment.c_str());
        std::abort();
      }
    }
  }
  return 0;
}
