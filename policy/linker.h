// Linking fragments (policy/fragment.h) into a rule set, the checks that
// need more than one source: exactly one ReleasePolicy; every environment a
// record names defined by it; every promoted version through the promotion
// chain of its environments; one record per repository (and per chart)
// across all sources. Linking reads the fragments' tables and copies none
// of them, so it takes time in proportion to the number of records, not to
// the size of the rules text.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/compiler.h"
#include "policy/fragment.h"

namespace releasegate::policy {

struct LinkSource {
  std::shared_ptr<const Fragment> fragment;
  const std::set<DocumentKey>* replaced = nullptr;  // documents of the fragment left out (a rules edit)
};

// An error linking found in a fragment, in one of its documents.
struct LinkFinding {
  std::uint32_t document = 0;
  LoadError error;
};

// The environment and promotion-chain checks of each fragment, which
// depend only on the fragment and the policy's environments: kept from one
// link to the next, so an unchanged fragment is not checked again while
// the environments stay the same.
struct LinkCache {
  std::string environments;  // environment_signature() the entries were checked against
  std::unordered_map<const Fragment*, std::vector<LinkFinding>> checked;  // fragments the caller holds
};

// The environments' names, promotion modes and promotion graph, in order:
// all the chain and environment checks depend on.
std::string environment_signature(const RuleSet& rules);

// The promotion chain across two generations: a version newly listed for
// an environment of `next` (not listed there in `base`, the rules in force)
// must already be promoted to the environments before it in the promotion
// graph (each, or any one with afterAny) in `base`, not only in the same
// change. Checks the records of `fragments` (the changed
// sources, or all of `next`'s).
std::vector<LoadError> check_new_promotions(const RuleSet& base, const RuleSet& next,
                                            const std::vector<std::shared_ptr<const Fragment>>& fragments);

// With a cache, fragments it holds for the same environments are not
// checked again, and those checked are added to it.
LoadResult link(const std::vector<LinkSource>& sources, const LoadOptions& options, LinkCache* cache = nullptr);

}  // namespace releasegate::policy
