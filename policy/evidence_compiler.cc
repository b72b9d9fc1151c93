#include "policy/evidence_compiler.h"

#include <algorithm>
#include <optional>
#include <set>
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

namespace {

// The statement's predicate: the cluster, the environment and the records.
void compile_predicate(Reader& reader, const yaml::Node& predicate, const WrittenEvidence& base,
                       std::vector<WrittenEvidence>& into) {
  std::string cluster, environment;
  yaml::Node images, charts;
  bool valid = reader.fields(predicate, "Evidence predicate", {
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
    if (!list.is_sequence()) return reader.error(list, "predicate." + std::string(field) + " must be a list");
    for (yaml::Node item : list.items()) {
      WrittenEvidence written = base;
      written.record.cluster = cluster;
      written.record.environment = environment;
      if (read(reader, item, written.record)) into.push_back(std::move(written));
    }
  };
  read_list(images, "images", read_image);
  read_list(charts, "charts", read_chart);
}

// Whether the statement's subjects name every image record's digest
// (in-toto consumers read the subjects; releasegate reads the predicate:
// the two must agree).
bool subjects_cover(Reader& reader, const yaml::Node& subjects, const yaml::Node& at,
                    const std::vector<WrittenEvidence>& records, std::size_t from) {
  // "repository@sha256:hex" of each subject, read once: a document of a
  // thousand digests is not a million comparisons.
  std::set<std::string> named;
  for (yaml::Node subject : subjects.items()) {
    named.insert(subject["name"].scalar() + "@sha256:" + subject["digest"]["sha256"].scalar());
  }
  for (std::size_t i = from; i < records.size(); ++i) {
    const EvidenceRecord& r = records[i].record;
    if (r.of != EvidenceOf::Image || !r.digest.starts_with("sha256:")) continue;
    if (!named.contains(r.key + "@" + r.digest)) {
      reader.error(at, "the statement's subjects do not name " + r.key + "@" + r.digest + ", which its predicate proves");
      return false;
    }
  }
  return true;
}

// The envelope's fields, decoded; nullptr after reporting why not.
std::shared_ptr<signing::Envelope> read_envelope(Reader& reader, const yaml::Node& spec, const std::string& name) {
  if (spec["cluster"] || spec["images"] || spec["charts"]) {
    reader.error(spec, "Evidence " + name + " is not signed: its spec must be the DSSE envelope that `releasegate "
                       "evidence export --signing-key` writes (payloadType, payload, signatures); records written in "
                       "the clear prove nothing (policy/README.md#evidence)");
    return nullptr;
  }
  auto envelope = std::make_shared<signing::Envelope>();
  auto base64 = [&reader](const yaml::Node& node, std::string_view what, std::string& into) {
    auto text = reader.required_string(node, what);
    if (!text) return false;
    auto bytes = signing::base64_decode(*text);
    if (!bytes) reader.error(node, std::string(what) + " is not base64");
    if (bytes) into = std::move(*bytes);
    return bytes.has_value();
  };
  auto read_signature = [&](const yaml::Node& item) {
    signing::Signature signature;
    bool ok = reader.fields(item, "Evidence signature", {
        {"keyid", [&](const yaml::Node& n) { signature.keyid = reader.string(n, "keyid").value_or(""); }},
        {"sig", [&](const yaml::Node& n) { return base64(n, "sig", signature.sig); }, true},
    });
    if (ok) envelope->signatures.push_back(std::move(signature));
    return ok;
  };
  bool valid = reader.fields(spec, "Evidence spec (a DSSE envelope)", {
      {"payloadType",
       [&](const yaml::Node& n) {
         envelope->payload_type = reader.required_string(n, "payloadType").value_or("");
         if (envelope->payload_type == signing::kInTotoPayloadType) return true;
         reader.error(n, "payloadType must be " + std::string(signing::kInTotoPayloadType));
         return false;
       },
       true},
      {"payload", [&](const yaml::Node& n) { return base64(n, "payload", envelope->payload); }, true},
      {"signatures",
       [&](const yaml::Node& n) {
         if (!n.is_sequence() || n.items().begin() == n.items().end()) {
           reader.error(n, "signatures must list at least one signature");
           return false;
         }
         for (yaml::Node item : n.items()) {
           if (!read_signature(item)) return false;
         }
         return true;
       },
       true},
  });
  return valid ? envelope : nullptr;
}

}  // namespace

void compile_evidence(Reader& reader, const yaml::Node& spec, std::uint32_t document, const std::string& name,
                      std::vector<WrittenEvidence>& into) {
  std::shared_ptr<signing::Envelope> envelope = read_envelope(reader, spec, name);
  if (!envelope) return;
  // The statement is a text of its own: its errors say so, with its lines.
  yaml::Tree::Parsed parsed = yaml::Tree::parse(envelope->payload);
  if (!parsed.errors.empty() || parsed.documents.size() != 1) {
    reader.error(spec["payload"], "the payload is not an in-toto Statement: " +
                                      (parsed.errors.empty() ? std::string("not one JSON document") : parsed.errors[0].message));
    return;
  }
  Origin statement_origin = reader.origin();
  statement_origin.file += " (Evidence " + name + ", its signed statement)";
  statement_origin.line_offset = statement_origin.column_offset = 0;
  Reader statement = reader.nested(statement_origin);
  WrittenEvidence base{document, reader.written_at(spec), {}, envelope};
  base.record.origin = "Evidence " + name + " (" + reader.location(spec) + ")";
  std::size_t first = into.size();
  yaml::Node subjects, predicate;
  auto exactly = [&](std::string_view field, std::string_view wanted) {
    return [&statement, field, wanted](const yaml::Node& n) {
      if (statement.required_string(n, field) == std::string(wanted)) return true;
      statement.error(n, std::string(field) + " must be " + std::string(wanted));
      return false;
    };
  };
  // Other fields are ignored, as in-toto's parsing rules ask of consumers
  // (the predicate, releasegate's own, is read strictly).
  std::vector<Field> known = {
      {"_type", exactly("_type", kInTotoStatementType), true},
      {"subject", [&](const yaml::Node& n) { subjects = n; }, true},
      {"predicateType", exactly("predicateType", kEvidencePredicateType), true},
      {"predicate", [&](const yaml::Node& n) { predicate = n; }, true},
  };
  const yaml::Node& root = parsed.documents[0];
  for (const yaml::Node::Entry& entry : root.entries()) {
    auto is_known = [&](const Field& f) { return f.key == entry.key.scalar(); };
    // (An empty key stays unknown: a Field without a key is a check.)
    if (!entry.key.scalar().empty() && std::none_of(known.begin(), known.end(), is_known)) {
      known.push_back({entry.key.scalar(), {}});
    }
  }
  if (!statement.fields(root, "in-toto Statement", known)) return;
  compile_predicate(statement, predicate, base, into);
  if (!subjects_cover(statement, subjects, subjects, into, first)) into.resize(first);
}

EvidenceVerifier::Verdict EvidenceVerifier::verify(const WrittenEvidence& written) {
  auto found = verified_.find(written.envelope.get());
  bool first = found == verified_.end();
  if (first) {
    EvidenceVerification verification;
    verification.error = "it is not signed";
    if (written.envelope) verification = trust_.verify(*written.envelope, written.record.cluster, written.record.environment);
    found = verified_.emplace(written.envelope.get(), std::move(verification)).first;
  }
  std::string why = found->second.vouches_for(written.record.observed_until);
  if (why.empty()) return {true, std::nullopt};
  // Said once a document: its records share the reason, or the first
  // record past a retired key's validUntil says it.
  bool said = !reported_.insert(written.envelope.get()).second;
  return {false, said ? std::nullopt : std::optional<std::string>(std::move(why))};
}

}  // namespace releasegate::policy
