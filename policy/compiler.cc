// Orchestration: sources are split into documents (policy/documents.h),
// each document is checked and compiled as a ReleasePolicy
// (policy/policy_compiler.h) or a Promotion (policy/promotion_compiler.h).
#include "policy/compiler.h"

#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "policy/documents.h"
#include "policy/policy_compiler.h"
#include "policy/promotion_compiler.h"
#include "policy/yaml_reader.h"

namespace releasegate::policy {
namespace {

constexpr std::string_view kApiVersion = "releasegate.io/v1alpha1";

// Checks apiVersion/kind/metadata; returns the kind when the document is a
// rules document.
std::optional<std::string> document_kind(Reader& reader, const yaml::Node& node) {
  if (!node.is_map()) {
    reader.error(node, "a rules document must be a map with apiVersion and kind");
    return std::nullopt;
  }
  yaml::Node kind = node["kind"];
  yaml::Node api_version = node["apiVersion"];
  if (!kind || !kind.is_scalar() || !api_version || !api_version.is_scalar()) {
    reader.error(node, "a rules document needs apiVersion and kind");
    return std::nullopt;
  }
  if (kind.scalar() != "ReleasePolicy" && kind.scalar() != "Promotion") {
    reader.error(kind, "unknown kind \"" + kind.scalar() + "\" (rules documents are ReleasePolicy and Promotion)");
    return std::nullopt;
  }
  if (api_version.scalar() != kApiVersion) {
    reader.error(api_version, "apiVersion must be " + std::string(kApiVersion) + ", not \"" + api_version.scalar() + "\"");
    return std::nullopt;
  }
  const std::string& name = kind.scalar();
  auto needs = [&](const yaml::Node& at, const std::string& what) {
    reader.error(at, name + " needs " + what);
    return false;
  };
  bool valid = reader.fields(node, name, {
      {"apiVersion"},  // apiVersion and kind are checked above: the kind names the document in messages
      {"kind"},
      {"metadata",
       [&](const yaml::Node& metadata) {
         return (metadata.is_map() && metadata["name"] && metadata["name"].is_scalar()) || needs(metadata, "metadata.name");
       },
       false, [&] { return needs(node, "metadata.name"); }},
      {"spec", {}, false, [&] { return needs(node, "a spec"); }},  // compiled by the caller
  });
  if (!valid) return std::nullopt;
  return name;
}

// Compiles documents one at a time, so that the YAML node trees of a large
// rule set (over 20 times the size of its text) never exist all at once.
// The policy defines the environments every Promotion refers to: Promotions
// read before it wait for it.
class Compilation {
 public:
  explicit Compilation(const RulesEdit* edit) : edit_(edit) {}

  // A source's documents; in a replaceable one, those an edit replaces (by
  // kind and name) are left out.
  void compile_source(const RuleSource& source, bool replaceable) {
    std::vector<Document> documents;
    parse_documents(Origin{source.file, {}, 0, 0}, source.content, documents, errors_);
    for (Document& doc : documents) {
      if (replaceable && edit_) {
        auto key = key_of(doc.node);
        if (key && edit_->replaced.contains(*key)) continue;
      }
      compile_document(doc);
    }
  }

  LoadResult finish(const std::vector<RuleSource>& sources, const LoadOptions& options) {
    LoadResult result;
    result.errors = std::move(errors_);
    if (!policy_at_) {
      // A policy document with errors of its own was already reported.
      if (!result.errors.empty()) return result;
      result.errors.push_back({sources.empty() ? "<rules>" : sources.front().file, {}, 0, 0,
                               "no ReleasePolicy document found; a rule set has exactly one"});
      return result;
    }
    if (!result.errors.empty()) return result;
    add_default_exemptions(*rules_, options);
    rules_->generation = options.generation;
    auto from = std::make_shared<CompiledFrom>(CompiledFrom{sources, options});
    if (edit_) from->sources.insert(from->sources.end(), edit_->sources.begin(), edit_->sources.end());
    result.rules = std::move(rules_);
    result.from = std::move(from);
    return result;
  }

 private:
  void compile_document(Document& doc) {
    Reader reader(doc.origin, errors_);
    auto kind = document_kind(reader, doc.node);
    if (!kind) return;
    if (*kind == "Promotion") {
      if (!policy_at_) {
        waiting_.push_back(std::move(doc));
        return;
      }
      compile_promotion(reader, doc.node["spec"], *rules_, seen_);
      return;
    }
    if (policy_at_) {
      reader.error(doc.node, "a second ReleasePolicy (the first is at " + *policy_at_ + "); a rule set has exactly one");
      return;
    }
    policy_at_ = reader.location(doc.node);
    compile_policy(reader, doc.node["spec"], *rules_);
    for (Document& promotion : waiting_) {
      Reader promotion_reader(promotion.origin, errors_);
      compile_promotion(promotion_reader, promotion.node["spec"], *rules_, seen_);
    }
    waiting_.clear();
  }

  const RulesEdit* edit_;
  std::vector<LoadError> errors_;
  std::shared_ptr<RuleSet> rules_ = std::make_shared<RuleSet>();
  std::optional<std::string> policy_at_;  // where the ReleasePolicy was found
  std::vector<Document> waiting_;         // Promotions read before the policy
  RecordLocations seen_;
};

}  // namespace

std::string LoadError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": " + message;
  if (!context.empty()) out += " (" + context + ")";
  return out;
}

LoadResult compile_rules(const std::vector<RuleSource>& sources, const LoadOptions& options, const RulesEdit* edit) {
  Compilation compilation(edit);
  // Sources that mention a ReleasePolicy go first (a text search, cheap
  // beside the parse), so that Promotions rarely have to wait for it.
  auto mentions_policy = [](const RuleSource& source) {
    return source.content.find("ReleasePolicy") != std::string::npos;
  };
  for (bool policy_pass : {true, false}) {
    for (const RuleSource& source : sources) {
      if (mentions_policy(source) == policy_pass) compilation.compile_source(source, true);
    }
    if (!edit) continue;
    for (const RuleSource& source : edit->sources) {
      if (mentions_policy(source) == policy_pass) compilation.compile_source(source, false);
    }
  }
  return compilation.finish(sources, options);
}

}  // namespace releasegate::policy
