#include "policy/promotion_compiler.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/chart_version.h"
#include "core/image_reference.h"
#include "core/rule_set.h"

namespace releasegate::policy {
namespace {

// A version as written, parsed.
struct VersionText {
  std::string tag;
  std::string digest;
};
using VersionParser = std::function<std::optional<VersionText>(const std::string& text, std::string* error)>;

// The versions a record promotes, its `environments` (environment name ->
// list of versions), into the record begun in `table`.
void compile_versions(Reader& reader, const std::string& key, const yaml::Node& environments,
                      const VersionParser& parse, PromotionTable::Builder& table) {
  if (!environments.is_map()) {
    reader.error(environments, "environments must be a map of environment name to promoted versions");
    table.mark_errors();
    return;
  }
  std::size_t errors_before = reader.error_count();
  for (auto [name, list] : environments.entries()) {
    const std::string& env_name = name.scalar();
    if (!table.use_environment(env_name, reader.written_at(name))) {
      reader.error(name, "too many environment names in one file");
      continue;
    }
    for (auto& [text, at] : reader.strings(list, "promoted versions")) {
      std::string error;
      std::optional<VersionText> version = parse(text, &error);
      if (!version) {
        reader.error(at, "invalid version \"" + text + "\" for " + key + ": " + error);
        continue;
      }
      using Added = PromotionTable::Builder::Added;
      switch (table.add_version(env_name, version->tag, version->digest, reader.written_at(at))) {
        case Added::Yes: break;
        case Added::DuplicateTag:
          reader.error(at, "version " + version->tag + " is listed twice for " + key + " in " + env_name);
          break;
        case Added::DuplicateDigest:
          reader.error(at, "digest " + version->digest + " is listed twice for " + key + " in " + env_name);
          break;
        case Added::TooManyEnvironments: reader.error(name, "too many environment names in one file"); break;
      }
    }
  }
  // A record with errors of its own is not chain-checked: that would only
  // add consequential errors.
  if (reader.error_count() != errors_before) table.mark_errors();
}

// The `environments` field of a record, required once the record names
// something valid.
Field environments_field(Reader& reader, const yaml::Node& item, std::string_view what,
                         FieldStep<const yaml::Node&> read) {
  return Field{"environments", std::move(read), false, [&reader, &item, what] {
                 reader.error(item, std::string(what) + ": missing required field \"environments\"");
               }};
}

// A list of records in a Promotion spec (`images` or `charts`).
template <class CompileRecord>
Field record_list(std::string_view field, Reader& reader, CompileRecord compile_record) {
  return Field{field, [&reader, field, compile_record](const yaml::Node& list) {
                 if (!list.is_sequence()) {
                   reader.error(list, "spec." + std::string(field) + " must be a list");
                   return;
                 }
                 for (yaml::Node item : list.items()) compile_record(item);
               }};
}

// A promoted image's repository: its record key, unless invalid.
bool read_image_repository(Reader& reader, const yaml::Node& node, std::string& key) {
  auto repository_text = reader.required_string(node, "promoted image.repository");
  if (!repository_text) return false;
  ImageParseResult repository = parse_repository(*repository_text);
  if (!repository.reference) {
    reader.error(node, "invalid repository \"" + *repository_text + "\": " + repository.error);
    return false;
  }
  key = repository.reference->repository();
  return true;
}

void compile_promoted_image(Reader& reader, const yaml::Node& item, std::uint32_t document,
                            PromotionTable::Builder& table) {
  std::string key;
  // A version is a tag, tag@digest or a bare digest: parsed as part of a
  // full reference so the grammar has one implementation.
  auto parse = [&key](const std::string& text, std::string* error) -> std::optional<VersionText> {
    bool digest_only = text.starts_with("sha256:") || text.starts_with("sha512:");
    ImageParseResult parsed = parse_image_reference(key + (digest_only ? "@" : ":") + text);
    if (!parsed.reference) {
      *error = parsed.error;
      return std::nullopt;
    }
    return VersionText{parsed.reference->tag, parsed.reference->digest};
  };
  reader.fields(item, "promoted image", {
      {"repository", [&](const yaml::Node& node) {
         if (!read_image_repository(reader, node, key)) return false;
         table.begin_record(key, document, reader.written_at(node));
         return true;
       },
       true},
      environments_field(reader, item, "promoted image",
                         [&](const yaml::Node& node) { compile_versions(reader, key, node, parse, table); }),
  });
}

void compile_promoted_chart(Reader& reader, const yaml::Node& item, std::uint32_t document,
                            PromotionTable::Builder& table) {
  std::optional<std::string> source, chart;
  std::string key;
  auto parse = [](const std::string& text, std::string* error) -> std::optional<VersionText> {
    if (!is_exact_chart_version(text)) {
      *error = "a promoted chart version is an exact SemVer version, not a range";
      return std::nullopt;
    }
    return VersionText{text, {}};
  };
  reader.fields(item, "promoted chart", {
      {"source", [&](const yaml::Node& node) { return bool(source = reader.required_string(node, "promoted chart.source")); },
       true},
      {"chart", [&](const yaml::Node& node) { return bool(chart = reader.required_string(node, "promoted chart.chart")); },
       true},
      check([&](const yaml::Node&) {
        if (!read_chart_key(reader, item, *source, *chart, key)) return false;
        table.begin_record(key, document, reader.written_at(item));
        return true;
      }),
      environments_field(reader, item, "promoted chart",
                         [&](const yaml::Node& node) { compile_versions(reader, key, node, parse, table); }),
  });
}

}  // namespace

// A chart's record key (RuleSet::chart_key), from its source and chart: Kind/namespace/name,
// as Flux's sourceRef names the source, or the repository URL an Argo CD
// Application names in repoURL. Unless invalid.
bool read_chart_key(Reader& reader, const yaml::Node& item, const std::string& source, const std::string& chart,
                    std::string& key) {
  auto first = source.find('/');
  std::string_view kind = std::string_view(source).substr(0, first);
  auto second = first == std::string::npos ? first : source.find('/', first + 1);
  bool named = source_kind_from_string(kind) || kind == "HelmChart";
  if (named && second != std::string::npos && second + 1 != source.size() && second != first + 1) {
    key = RuleSet::chart_key(kind, source.substr(first + 1, second - first - 1), source.substr(second + 1), chart);
  } else if (!named && (source.find("://") != std::string::npos || kind.find('.') != std::string_view::npos)) {
    key = RuleSet::chart_key(source, chart);
  } else {
    reader.error(item["source"], "source must be Kind/namespace/name (e.g. HelmRepository/flux-system/acme) or "
                                 "a repository URL, not \"" + source + "\"");
    return false;
  }
  return true;
}

void compile_promotion(Reader& reader, const yaml::Node& spec, std::uint32_t document, PromotionTables& into) {
  reader.fields(spec, "Promotion spec", {
      record_list("images", reader,
                  [&](const yaml::Node& item) { compile_promoted_image(reader, item, document, into.images); }),
      record_list("charts", reader,
                  [&](const yaml::Node& item) { compile_promoted_chart(reader, item, document, into.charts); }),
  });
}

}  // namespace releasegate::policy
