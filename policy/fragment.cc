#include "policy/fragment.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>

#include "policy/documents.h"
#include "policy/evidence_compiler.h"
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
  if (kind.scalar() != "ReleasePolicy" && kind.scalar() != "Promotion" && kind.scalar() != "Evidence") {
    reader.error(kind, "unknown kind \"" + kind.scalar() +
                           "\" (rules documents are ReleasePolicy, Promotion and Evidence)");
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
      {"spec", {}, false, [&] { return needs(node, "a spec"); }},  // compiled below
  });
  if (!valid) return std::nullopt;
  return name;
}

}  // namespace

LoadError Fragment::error_at(std::uint32_t document, WrittenAt at, std::string message) const {
  return {source, documents[document].context, static_cast<int>(at.line), static_cast<int>(at.column),
          std::move(message)};
}

std::shared_ptr<const Fragment> compile_fragment(const RuleSource& source) {
  auto fragment = std::make_shared<Fragment>();
  fragment->source = source.file;
  PromotionTables tables;
  {
    std::vector<Document> documents;  // their YAML trees are freed at the end of this block
    parse_documents(Origin{source.file, {}, 0, 0, source.config_map}, source.content, documents, fragment->errors);
    for (const Document& doc : documents) {
      Reader reader(doc.origin, fragment->errors, &fragment->warnings);
      auto kind = document_kind(reader, doc.node);
      if (!kind) continue;
      auto index = static_cast<std::uint32_t>(fragment->documents.size());
      fragment->documents.push_back(
          {key_of(doc.node), doc.origin.context, doc.origin.config_map, reader.written_at(doc.node)});
      if (*kind == "Promotion") {
        compile_promotion(reader, doc.node["spec"], index, tables);
        continue;
      }
      if (*kind == "Evidence") {
        compile_evidence(reader, doc.node["spec"], index, doc.node["metadata"]["name"].scalar(), fragment->evidence);
        continue;
      }
      auto rules = std::make_shared<RuleSet>();
      compile_policy(reader, doc.node["spec"], *rules);
      fragment->policies.push_back({std::move(rules), index, reader.written_at(doc.node)});
    }
  }
  fragment->images = tables.images.build();
  fragment->charts = tables.charts.build();
  return fragment;
}

std::vector<std::shared_ptr<const Fragment>> compile_fragments(const std::vector<const RuleSource*>& sources,
                                                               unsigned threads) {
  std::vector<std::shared_ptr<const Fragment>> fragments(sources.size());
  // Each thread holds one source's YAML tree (some 20 times its text) at a
  // time; the cores a node has are not the CPU a pod may use, so at most 4.
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, sources.size()));
  std::atomic<std::size_t> next{0};
  std::mutex failed_mutex;
  std::exception_ptr failed;
  auto work = [&] {
    try {
      for (std::size_t i = next++; i < sources.size(); i = next++) fragments[i] = compile_fragment(*sources[i]);
    } catch (...) {
      std::lock_guard lock(failed_mutex);
      if (!failed) failed = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> workers;
    for (unsigned i = 1; i < threads; ++i) {
      try {
        workers.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // no thread to be had (a pod's pids limit): the calling thread does the rest
      }
    }
    work();
  }  // joined here, before the result leaves
  if (failed) std::rethrow_exception(failed);
  return fragments;
}

}  // namespace releasegate::policy
