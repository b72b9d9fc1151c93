// Compiling Promotion documents, internal to the rules compiler: which
// versions of each image repository and chart are promoted to which
// environments, read into the tables of the source being compiled. Nothing
// here needs the policy: environments are kept by name, and the checks
// that need the policy (known environments, the promotion chain, one
// record per repository across sources) run when sources are linked
// (policy/linker.h).
#pragma once

#include <cstdint>

#include "core/promotion_table.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// The tables a source's Promotions are compiled into.
struct PromotionTables {
  PromotionTable::Builder images;
  PromotionTable::Builder charts;
};

// Compiles a Promotion's spec, document number `document` of its source.
// Errors go to the reader.
void compile_promotion(Reader& reader, const yaml::Node& spec, std::uint32_t document, PromotionTables& into);

}  // namespace releasegate::policy
