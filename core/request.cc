#include "core/request.h"

#include "core/marks.h"

namespace releasegate {

std::string_view to_string(Operation op) {
  switch (op) {
    case Operation::Create: return "CREATE";
    case Operation::Update: return "UPDATE";
    case Operation::Delete: return "DELETE";
    case Operation::Connect: return "CONNECT";
  }
  return "UNKNOWN";
}

std::string_view to_string(ContainerList list) {
  switch (list) {
    case ContainerList::Containers: return "containers";
    case ContainerList::InitContainers: return "initContainers";
    case ContainerList::EphemeralContainers: return "ephemeralContainers";
  }
  return "containers";
}

std::optional<std::string_view> StringMap::find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string describe(const AdmissionRequest& request) {
  std::string out = request.kind.kind + " ";
  if (!request.namespace_.empty()) out += request.namespace_ + "/";
  return out + (request.name.empty() ? "(unnamed)" : request.name);
}

bool is_metadata_key_read_by_rules(std::string_view key) {
  for (std::string_view k : marks::kKeys) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace releasegate

namespace releasegate {
namespace {

// Appends length-prefixed fields, so that ("ab", "c") and ("a", "bc") differ.
class FingerprintWriter {
 public:
  explicit FingerprintWriter(std::string& out) : out_(out) {}
  FingerprintWriter& operator<<(std::string_view field) {
    std::size_t n = field.size();
    out_.append(reinterpret_cast<const char*>(&n), sizeof n).append(field);
    return *this;
  }
  FingerprintWriter& operator<<(std::size_t n) {
    out_.append(reinterpret_cast<const char*>(&n), sizeof n);
    return *this;
  }
  FingerprintWriter& operator<<(const StringMap& map) {
    *this << map.entries().size();
    for (const auto& [k, v] : map.entries()) *this << k << v;
    return *this;
  }

 private:
  std::string& out_;
};

void write_object(FingerprintWriter& w, const std::optional<ObjectView>& object) {
  if (!object) {
    w << std::size_t{0};
    return;
  }
  const ObjectView& o = *object;
  w << std::size_t{1} << o.name << o.namespace_ << o.labels << o.annotations << o.images.size();
  for (const ContainerImage& image : o.images) {
    w << static_cast<std::size_t>(image.list) << image.index << image.container << image.image;
  }
  w << std::size_t{o.helm_chart.has_value()};
  if (const auto& c = o.helm_chart) {
    w << c->chart << c->version << c->source_kind << c->source_name << c->source_namespace
      << std::size_t{c->chart_ref};
  }
  w << o.target_namespace << std::size_t{o.source_location.has_value()};
  if (const auto& l = o.source_location) {
    w << l->url << l->branch << l->tag << l->semver << l->commit << l->ref_name << l->digest;
  }
  w << std::size_t{o.source_ref.has_value()};
  if (const auto& r = o.source_ref) w << r->kind << r->name << r->namespace_;
  w << o.service_account_name;
  w << o.application_sources.size();
  for (const ApplicationSource& s : o.application_sources) w << s.repo_url << s.target_revision << s.chart;
  w << o.helm_values << o.data.size();
  for (const auto& [k, v] : o.data) w << k << v;
}

}  // namespace

std::string fingerprint(const AdmissionRequest& request) {
  std::string out;
  out.reserve(512);
  FingerprintWriter w(out);
  w << request.kind.group << request.kind.version << request.kind.kind << static_cast<std::size_t>(request.operation)
    << request.namespace_ << request.name << request.username << request.groups.size();
  for (const std::string& group : request.groups) w << group;
  write_object(w, request.object);
  write_object(w, request.old_object);
  w << request.changed_paths.size();
  for (const std::string& path : request.changed_paths) w << path;
  w << std::size_t{request.changed_paths_complete};
  return out;
}

}  // namespace releasegate
