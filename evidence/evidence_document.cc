#include "evidence/evidence_document.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <utility>

#include "policy/fragment.h"

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

void render_record(const EvidenceRecord& r, UnixSeconds now, std::string& out) {
  UnixSeconds until = r.ongoing ? std::max(now, r.observed_until) : r.observed_until;
  if (r.of == EvidenceOf::Image) {
    out += "  - repository: " + yaml_quoted(r.key) + "\n";
    if (!r.tag.empty()) out += "    tag: " + yaml_quoted(r.tag) + "\n";
    if (!r.digest.empty()) out += "    digest: " + yaml_quoted(r.digest) + "\n";
  } else {
    auto [source, chart] = chart_parts(r.key);
    out += "  - source: " + yaml_quoted(source) + "\n    chart: " + yaml_quoted(chart) + "\n    version: " + yaml_quoted(r.tag) + "\n";
  }
  out += "    healthySince: " + yaml_quoted(rfc3339(r.healthy_since)) + "\n";
  out += "    observedUntil: " + yaml_quoted(rfc3339(until)) + "\n";
  if (!r.object.empty()) out += "    object: " + yaml_quoted(r.object) + "\n";
}

}  // namespace

std::string render_evidence(const EvidenceSet& evidence, UnixSeconds now) {
  std::map<std::pair<std::string, std::string>, std::vector<const EvidenceRecord*>> documents;
  for (const EvidenceRecord& r : evidence.records()) {
    if (r.degraded_at == 0 && r.healthy_for(now) > 0) documents[{r.environment, r.cluster}].push_back(&r);
  }
  std::string out;
  for (auto& [where, records] : documents) {
    std::sort(records.begin(), records.end(), [](const EvidenceRecord* a, const EvidenceRecord* b) {
      return std::tie(a->of, a->key, a->tag, a->digest) < std::tie(b->of, b->key, b->tag, b->digest);
    });
    out += "---\napiVersion: releasegate.io/v1alpha1\nkind: Evidence\nmetadata:\n  name: " +
           yaml_quoted(document_name(where.first, where.second)) + "\nspec:\n  cluster: " + yaml_quoted(where.second) +
           "\n  environment: " + yaml_quoted(where.first) + "\n";
    for (EvidenceOf of : {EvidenceOf::Image, EvidenceOf::Chart}) {
      bool any = std::any_of(records.begin(), records.end(), [of](const EvidenceRecord* r) { return r->of == of; });
      if (!any) continue;
      out += of == EvidenceOf::Image ? "  images:\n" : "  charts:\n";
      for (const EvidenceRecord* r : records) {
        if (r->of == of) render_record(*r, now, out);
      }
    }
  }
  return out;
}

std::vector<EvidenceRecord> read_evidence(const std::string& text, const std::string& source,
                                          std::vector<policy::LoadError>& errors) {
  auto fragment = policy::compile_fragment(policy::RuleSource{source, text});
  errors.insert(errors.end(), fragment->errors.begin(), fragment->errors.end());
  std::vector<EvidenceRecord> records;
  for (const policy::WrittenEvidence& written : fragment->evidence) records.push_back(written.record);
  return records;
}

}  // namespace releasegate::evidence
