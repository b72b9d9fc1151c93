// One rules source compiled on its own: its ReleasePolicy if it has one,
// its Promotion records as tables, its Evidence records, the keys of its documents and the
// errors it has by itself. A fragment needs no other source, so sources
// compile in parallel, and an unchanged source's fragment is reused from
// one generation to the next; linking fragments (policy/linker.h) makes
// the rule set. A fragment keeps no source text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/promotion_table.h"
#include "core/rule_set.h"
#include "policy/compiler.h"
#include "policy/evidence_compiler.h"

namespace releasegate::policy {

struct Fragment {
  // A rules document (ReleasePolicy, Promotion or Evidence) of the source.
  struct Document {
    std::optional<DocumentKey> key;  // none when the document has no kind or name
    std::string context;             // e.g. "ConfigMap ns/name, key k.yaml"; may be empty
    std::string config_map;          // the ConfigMap it is in, when known
    WrittenAt at;
  };
  struct Policy {
    std::shared_ptr<const RuleSet> rules;  // environments, deliveries, ...; no promotions
    std::uint32_t document = 0;
    WrittenAt at;
  };

  std::string source;  // RuleSource::file
  std::vector<Document> documents;
  std::vector<Policy> policies;  // a rule set has exactly one: more is an error when linked
  std::shared_ptr<const PromotionTable> images;
  std::shared_ptr<const PromotionTable> charts;
  std::vector<WrittenEvidence> evidence;  // its Evidence records
  std::vector<LoadError> errors;
  std::vector<LoadError> warnings;

  // An error at a place in the fragment's source, found later.
  LoadError error_at(std::uint32_t document, WrittenAt at, std::string message) const;
  // "file:line", for messages that point at another place.
  std::string location(WrittenAt at) const { return source + ":" + std::to_string(at.line); }
};

std::shared_ptr<const Fragment> compile_fragment(const RuleSource& source);

// compile_fragment for each source, on up to `threads` threads (0: one per
// core, at most 4); in the order of `sources`.
std::vector<std::shared_ptr<const Fragment>> compile_fragments(const std::vector<const RuleSource*>& sources,
                                                               unsigned threads = 0);

}  // namespace releasegate::policy
