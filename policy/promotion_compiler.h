// Compiling Promotion documents, internal to the rules compiler: which
// versions of each image repository and chart are promoted to which
// environments, read into the tables of the source being compiled. Nothing
// here needs the policy: environments are kept by name, and the checks
// that need the policy (known environments, the promotion chain, one
// record per repository across sources) run when sources are linked
// (policy/linker.h).
#pragma once

#include <cstdint>
#include <string>

#include "core/promotion_table.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// The tables a source's Promotions are compiled into.
struct PromotionTables {
  PromotionTable::Builder images;
  PromotionTable::Builder charts;
};

// A chart's key (RuleSet::chart_key) from a record's `source` (Kind/namespace/name
// as Flux's sourceRef names it, or a repository URL as an Argo CD
// Application's repoURL) and `chart`; false, with an error at item's
// source, when the source is neither.
bool read_chart_key(Reader& reader, const yaml::Node& item, const std::string& source, const std::string& chart,
                    std::string& key);

// Compiles a Promotion's spec, document number `document` of its source.
// Errors go to the reader.
void compile_promotion(Reader& reader, const yaml::Node& spec, std::uint32_t document, PromotionTables& into);

}  // namespace releasegate::policy
