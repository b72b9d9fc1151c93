#include "evidence/evidence_document.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <utility>

#include "policy/fragment.h"
#include "signing/dsse.h"

namespace releasegate::evidence {
namespace {

// A YAML double-quoted scalar that reads back as the same string: every
// character outside printable ASCII escaped (YAML refuses control
// characters, DEL and C1 controls written raw). `text` is UTF-8, as the
// API's JSON is.
std::string yaml_quoted(const std::string& text) {
  std::string out = "\"";
  char buf[16];
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t length = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    std::uint32_t code = length == 1 ? c : c & (0x7F >> length);
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    std::snprintf(buf, sizeof buf, code > 0xFFFF ? "\\U%08X" : "\\u%04X", code);
    out += buf;
    i += length;
  }
  return out + "\"";
}

// A Kubernetes name for the document: lower case, [a-z0-9-], at most 253.
std::string document_name(const std::string& environment, const std::string& cluster) {
  std::string name;
  for (char c : cluster + "-" + environment) {
    char lower = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    name += ok ? lower : '-';
  }
  return name.substr(0, 253);
}

// A chart key ("Kind/ns/name chart" or "<url> chart") as a record's source and chart.
std::pair<std::string, std::string> chart_parts(const std::string& key) {
  auto space = key.rfind(' ');
  if (space == std::string::npos) return {key, ""};
  return {key.substr(0, space), key.substr(space + 1)};
}

// One record of the statement's predicate, in the fields of
// policy/README.md#evidence.
nlohmann::json predicate_record(const EvidenceRecord& r, UnixSeconds now) {
  UnixSeconds until = r.ongoing ? std::max(now, r.observed_until) : r.observed_until;
  nlohmann::json out = nlohmann::json::object();
  if (r.of == EvidenceOf::Image) {
    out["repository"] = r.key;
    if (!r.tag.empty()) out["tag"] = r.tag;
    if (!r.digest.empty()) out["digest"] = r.digest;
  } else {
    auto [source, chart] = chart_parts(r.key);
    out["source"] = source;
    out["chart"] = chart;
    out["version"] = r.tag;
  }
  out["healthySince"] = rfc3339(r.healthy_since);
  out["observedUntil"] = rfc3339(until);
  if (!r.object.empty()) out["object"] = r.object;
  return out;
}

// The in-toto Statement of one (environment, cluster): its subjects are
// the image digests it proves (a chart, or an image known by tag only, has
// no digest releasegate saw: it is named in the predicate alone).
std::string statement(const std::string& environment, const std::string& cluster,
                      const std::vector<const EvidenceRecord*>& records, UnixSeconds now) {
  nlohmann::json subjects = nlohmann::json::array(), images = nlohmann::json::array(),
                 charts = nlohmann::json::array();
  for (const EvidenceRecord* r : records) {
    (r->of == EvidenceOf::Image ? images : charts).push_back(predicate_record(*r, now));
    if (r->of == EvidenceOf::Image && r->digest.starts_with("sha256:")) {
      subjects.push_back({{"name", r->key}, {"digest", {{"sha256", r->digest.substr(7)}}}});
    }
  }
  nlohmann::json predicate = {{"cluster", cluster}, {"environment", environment}};
  if (!images.empty()) predicate["images"] = std::move(images);
  if (!charts.empty()) predicate["charts"] = std::move(charts);
  // ASCII only, and DEL escaped too: the statement is read back as YAML,
  // which refuses raw control characters (JSON writers leave DEL raw).
  std::string text = nlohmann::json{{"_type", kInTotoStatementType},
                                    {"subject", std::move(subjects)},
                                    {"predicateType", kEvidencePredicateType},
                                    {"predicate", std::move(predicate)}}
                         .dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  for (std::size_t at = text.find('\x7f'); at != std::string::npos; at = text.find('\x7f', at)) {
    text.replace(at, 1, "\\u007f");
  }
  return text;
}

}  // namespace

namespace {

// The records to write, by (environment, cluster), each group sorted; a
// degraded record, or one not yet healthy, proves nothing.
using Documents = std::map<std::pair<std::string, std::string>, std::vector<const EvidenceRecord*>>;
Documents documents_of(const EvidenceSet& evidence, UnixSeconds now) {
  Documents documents;
  for (const EvidenceRecord& r : evidence.records()) {
    if (r.degraded_at == 0 && r.healthy_for(now) > 0) documents[{r.environment, r.cluster}].push_back(&r);
  }
  for (auto& [where, records] : documents) {
    std::sort(records.begin(), records.end(), [](const EvidenceRecord* a, const EvidenceRecord* b) {
      return std::tie(a->of, a->key, a->tag, a->digest) < std::tie(b->of, b->key, b->tag, b->digest);
    });
  }
  return documents;
}

}  // namespace

std::string render_evidence(const EvidenceSet& evidence, UnixSeconds now, const signing::SigningKey& key) {
  std::string out;
  for (const auto& [where, records] : documents_of(evidence, now)) {
    signing::Envelope envelope =
        signing::sign_envelope(signing::kInTotoPayloadType, statement(where.first, where.second, records, now), key);
    out += "---\napiVersion: releasegate.io/v1alpha1\nkind: Evidence\nmetadata:\n  name: " +
           yaml_quoted(document_name(where.first, where.second)) + "\n  annotations:\n    releasegate.io/cluster: " +
           yaml_quoted(where.second) + "\n    releasegate.io/environment: " + yaml_quoted(where.first) +
           "\nspec:\n  payloadType: " + std::string(signing::kInTotoPayloadType) + "\n  payload: " +
           signing::base64_encode(envelope.payload) + "\n  signatures:\n";
    for (const signing::Signature& s : envelope.signatures) {
      out += "    - keyid: " + yaml_quoted(s.keyid) + "\n      sig: " + signing::base64_encode(s.sig) + "\n";
    }
  }
  return out;
}

std::string evidence_statements(const EvidenceSet& evidence, UnixSeconds now) {
  std::string out;
  for (const auto& [where, records] : documents_of(evidence, now)) out += statement(where.first, where.second, records, now) + "\n";
  return out;
}

std::vector<EvidenceRecord> read_evidence(const std::string& text, const std::string& source,
                                          const EvidenceTrust& trust, std::vector<policy::LoadError>& errors) {
  auto fragment = policy::compile_fragment(policy::RuleSource{source, text});
  errors.insert(errors.end(), fragment->errors.begin(), fragment->errors.end());
  std::vector<EvidenceRecord> records;
  policy::EvidenceVerifier verifier(trust);
  for (const policy::WrittenEvidence& written : fragment->evidence) {
    policy::EvidenceVerifier::Verdict verdict = verifier.verify(written);
    if (verdict.trusted) records.push_back(written.record);
    if (verdict.report) {
      errors.push_back(fragment->error_at(written.document, written.at, "Evidence not trusted, dropped: " + *verdict.report));
    }
  }
  return records;
}

EvidenceTrust own_trust(const signing::SigningKey& key, const std::string& cluster, const RuleSet& rules) {
  EvidenceTrust trust;
  std::vector<std::string> environments;
  for (const Environment& env : rules.environments) environments.push_back(env.name);
  for (const TrustedEvidenceKey& trusted : rules.evidence_trust.keys) {
    if (trusted.cluster == cluster) trust.keys.push_back(trusted);
  }
  trust.keys.push_back({cluster, std::move(environments), key.public_key(), std::nullopt});
  return trust;
}

}  // namespace releasegate::evidence
