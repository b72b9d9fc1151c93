// An object as the API returns it, read as each evidence kind (health,
// versions), tracked, and its evidence written as a document and read back.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "evidence/evidence_document.h"
#include "evidence/health.h"
#include "evidence/tracker.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto object = nlohmann::json::parse(fuzz::as_text(data, size), nullptr, false);
  if (object.is_discarded()) return 0;
  constexpr UnixSeconds kNow = 1796220120;
  evidence::Tracker tracker({"fuzz"});
  for (std::string_view kind : kEvidenceKinds) {
    auto observed = evidence::observe(kind, object);
    if (!observed) continue;
    // What it runs names a version; a time its status gives is a real one.
    if (observed->versions.empty()) std::abort();
    if (observed->healthy_since < 0) std::abort();
    tracker.update(std::string(kind), *observed, "staging", kNow);
    tracker.update(std::string(kind), std::move(*observed), "staging", kNow + 3600);
  }
  EvidenceSet set = tracker.snapshot(kNow + 7200);
  std::size_t proven = 0;
  for (const EvidenceRecord& r : set.records()) proven += r.degraded_at == 0 && r.healthy_for(kNow + 7200) > 0;
  // Every proven record is written, and reads back without an error.
  std::vector<policy::LoadError> errors;
  static const signing::SigningKey key = signing::SigningKey::generate(signing::KeyType::Ed25519);
  static const EvidenceTrust trust{{{"fuzz", {"staging"}, key.public_key(), std::nullopt}}};
  auto read = evidence::read_evidence(evidence::render_evidence(set, kNow + 7200, key), "fuzz.yaml", trust, errors);
  if (!errors.empty() || read.size() != proven) {
    std::fprintf(stderr, "%zu of %zu records read back: %s\n", read.size(), proven,
                 errors.empty() ? "" : errors.front().to_string().c_str());
    std::abort();
  }
  return 0;
}
