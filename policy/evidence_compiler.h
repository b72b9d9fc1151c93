// Compiling Evidence documents, internal to the rules compiler: what a
// cluster proved ran healthy in an environment, as `releasegate evidence
// export` writes it (core/evidence.h). Environments are checked against
// the policy when sources are linked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/evidence.h"
#include "core/promotion_table.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// An Evidence record of a source, with where it was written.
struct WrittenEvidence {
  std::uint32_t document = 0;
  WrittenAt at;
  EvidenceRecord record;
};

// Compiles an Evidence's spec (document number `document`, named `name`).
// Errors go to the reader.
void compile_evidence(Reader& reader, const yaml::Node& spec, std::uint32_t document, const std::string& name,
                      std::vector<WrittenEvidence>& into);

}  // namespace releasegate::policy
