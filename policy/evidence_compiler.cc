#include "policy/evidence_compiler.h"

#include <optional>
#include <utility>

#include "core/chart_version.h"
#include "core/image_reference.h"
#include "policy/promotion_compiler.h"

namespace releasegate::policy {
namespace {

// healthySince and observedUntil of one record, in order.
std::vector<Field> period_fields(Reader& reader, EvidenceRecord& record, std::string_view what) {
  auto time = [&reader, what](UnixSeconds& into, std::string_view field) {
    return [&reader, &into, what, field](const yaml::Node& node) {
      auto text = reader.string(node, std::string(what) + "." + std::string(field));
      if (!text) return false;
      auto parsed = parse_rfc3339(*text);
      if (!parsed) {
        reader.error(node, std::string(what) + "." + std::string(field) +
                               " must be an RFC 3339 time such as 2026-12-02T14:02:00Z, not \"" + *text + "\"");
        return false;
      }
      into = *parsed;
      return true;
    };
  };
  return {
      Field{"healthySince", time(record.healthy_since, "healthySince"), true},
      Field{"observedUntil", time(record.observed_until, "observedUntil"), true},
      check([&reader, &record, what](const yaml::Node& item) {
        if (record.observed_until >= record.healthy_since) return true;
        reader.error(item, std::string(what) + ": observedUntil is before healthySince");
        return false;
      }),
      Field{"object", [&reader, &record](const yaml::Node& node) {
              if (auto text = reader.string(node, "object")) record.object = *text;
            }},
  };
}

bool read_image(Reader& reader, const yaml::Node& item, EvidenceRecord& record) {
  record.of = EvidenceOf::Image;
  std::vector<Field> fields = {
      {"repository",
       [&](const yaml::Node& node) {
         auto text = reader.required_string(node, "evidence image.repository");
         if (!text) return false;
         ImageParseResult repository = parse_repository(*text);
         if (!repository.reference) {
           reader.error(node, "invalid repository \"" + *text + "\": " + repository.error);
           return false;
         }
         record.key = repository.reference->repository();
         return true;
       },
       true},
      {"tag", [&](const yaml::Node& node) { record.tag = reader.string(node, "evidence image.tag").value_or(""); }},
      {"digest",
       [&](const yaml::Node& node) { record.digest = reader.string(node, "evidence image.digest").value_or(""); }},
      check([&](const yaml::Node&) {
        std::string text = record.key + (record.tag.empty() ? "" : ":" + record.tag) +
                           (record.digest.empty() ? "" : "@" + record.digest);
        ImageParseResult parsed = parse_image_reference(text);
        if (record.tag.empty() && record.digest.empty()) {
          reader.error(item, "evidence image " + record.key + " needs a tag, a digest or both");
        } else if (!parsed.reference) {
          reader.error(item, "evidence image " + text + " is not a valid version: " + parsed.error);
        } else {
          return true;
        }
        return false;
      }),
  };
  for (Field& f : period_fields(reader, record, "evidence image")) fields.push_back(std::move(f));
  return reader.fields(item, "evidence image", fields);
}

bool read_chart(Reader& reader, const yaml::Node& item, EvidenceRecord& record) {
  record.of = EvidenceOf::Chart;
  std::optional<std::string> source, chart;
  std::vector<Field> fields = {
      {"source", [&](const yaml::Node& n) { return bool(source = reader.required_string(n, "evidence chart.source")); },
       true},
      {"chart", [&](const yaml::Node& n) { return bool(chart = reader.required_string(n, "evidence chart.chart")); },
       true},
      {"version",
       [&](const yaml::Node& node) {
         auto text = reader.required_string(node, "evidence chart.version");
         if (!text) return false;
         if (!is_exact_chart_version(*text)) {
           reader.error(node, "evidence chart.version must be an exact SemVer version, not \"" + *text + "\"");
           return false;
         }
         record.tag = *text;
         return true;
       },
       true},
      check([&](const yaml::Node&) { return read_chart_key(reader, item, *source, *chart, record.key); }),
  };
  for (Field& f : period_fields(reader, record, "evidence chart")) fields.push_back(std::move(f));
  return reader.fields(item, "evidence chart", fields);
}

}  // namespace

void compile_evidence(Reader& reader, const yaml::Node& spec, std::uint32_t document, const std::string& name,
                      std::vector<WrittenEvidence>& into) {
  std::string cluster, environment;
  yaml::Node images, charts;
  bool valid = reader.fields(spec, "Evidence spec", {
      {"cluster",
       [&](const yaml::Node& n) { return !(cluster = reader.required_string(n, "cluster").value_or("")).empty(); }, true},
      {"environment",
       [&](const yaml::Node& n) { return !(environment = reader.required_string(n, "environment").value_or("")).empty(); },
       true},
      {"images", [&](const yaml::Node& n) { images = n; }},
      {"charts", [&](const yaml::Node& n) { charts = n; }},
  });
  if (!valid) return;
  auto read_list = [&](const yaml::Node& list, std::string_view field, auto read) {
    if (!list) return;
    if (!list.is_sequence()) return reader.error(list, "spec." + std::string(field) + " must be a list");
    for (yaml::Node item : list.items()) {
      WrittenEvidence written{document, reader.written_at(item), {}};
      written.record.cluster = cluster;
      written.record.environment = environment;
      written.record.origin = "Evidence " + name + " (" + reader.location(item) + ")";
      if (read(reader, item, written.record)) into.push_back(std::move(written));
    }
  };
  read_list(images, "images", read_image);
  read_list(charts, "charts", read_chart);
}

}  // namespace releasegate::policy
