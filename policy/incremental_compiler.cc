#include "policy/incremental_compiler.h"

#include <openssl/evp.h>

#include "policy/fragment.h"

namespace releasegate::policy {
namespace {

// A cryptographic digest, so that no crafted content can pass for the
// content it replaces and leave the old rules in force; none when OpenSSL
// fails (the source then counts as changed).
std::optional<IncrementalCompiler::Digest> digest_of(const std::string& content) {
  IncrementalCompiler::Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(content.data(), content.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    return std::nullopt;
  }
  return digest;
}

}  // namespace

LoadResult IncrementalCompiler::compile(const std::vector<RuleSource>& sources, const LoadOptions& options,
                                        const std::unordered_set<std::string>* unchanged) {
  std::unordered_map<std::string, Compiled> next;
  std::vector<std::string> names;  // of each source in `next`
  std::vector<const RuleSource*> changed;
  std::vector<Compiled*> changed_slots;
  for (const RuleSource& source : sources) {
    // A name given twice (a directory listed twice) is two sources.
    std::string name = source.file;
    while (next.contains(name)) name += "\n";
    names.push_back(name);
    auto slot = next.try_emplace(name).first;
    auto old = by_source_.find(name);
    if (old != by_source_.end() && unchanged && unchanged->contains(source.file)) {
      slot->second = old->second;
      continue;
    }
    std::optional<Digest> digest = digest_of(source.content);
    if (old != by_source_.end() && digest && old->second.digest == digest) {
      slot->second = old->second;
      continue;
    }
    slot->second.digest = digest;
    changed.push_back(&source);
    changed_slots.push_back(&slot->second);
  }
  auto compiled = compile_fragments(changed);
  for (std::size_t i = 0; i < compiled.size(); ++i) changed_slots[i]->fragment = std::move(compiled[i]);
  last_compiled_ = changed.size();
  changed_ = !changed.empty() || names != names_ || by_source_.empty();
  names_ = names;
  // Checks of fragments no longer in use go with them.
  for (const auto& [file, old] : by_source_) {
    auto kept = next.find(file);
    if (kept == next.end() || kept->second.fragment != old.fragment) cache_.checked.erase(old.fragment.get());
  }
  by_source_ = std::move(next);
  std::vector<LinkSource> linked;
  for (const std::string& name : names) linked.push_back({by_source_.at(name).fragment});
  return link(linked, options, &cache_);
}

}  // namespace releasegate::policy
