#include "admission/admission_review.h"

#include <simdjson.h>

#include "admission/object_diff.h"

namespace releasegate::admission {
namespace {

// simdjson's On-Demand API: one pass over the bytes that builds nothing for
// the parts of the review the rules never read (managedFields, most of the
// pod spec). Every object is walked field by field in document order, so
// the key order the client chose does not matter.
using simdjson::error_code;
using simdjson::SUCCESS;
using simdjson::ondemand::array;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

// Nesting between an object's spec and a pod spec: CronJob's
// spec.jobTemplate.spec.template.spec is the deepest.
constexpr int kMaxSpecDepth = 3;

template <typename Visit>
error_code for_each_field(object obj, Visit&& visit) {
  for (auto field : obj) {
    std::string_view key;
    if (error_code e = field.unescaped_key().get(key)) return e;
    value v;
    if (error_code e = field.value().get(v)) return e;
    if (error_code e = visit(key, v)) return e;
  }
  return SUCCESS;
}

// A string field; anything else (a number, null) reads as absent.
std::string string_of(value v) {
  std::string_view s;
  return v.get_string().get(s) == SUCCESS ? std::string(s) : std::string();
}

error_code read_string_map(value v, StringMap& into) {
  object map;
  if (v.get_object().get(map) != SUCCESS) return SUCCESS;
  return for_each_field(map, [&](std::string_view key, value entry) {
    // Only what the rules read is copied.
    if (is_metadata_key_read_by_rules(key)) into.set(std::string(key), string_of(entry));
    return SUCCESS;
  });
}

error_code read_images(value v, ContainerList list, std::vector<ContainerImage>& into) {
  array containers;
  if (v.get_array().get(containers) != SUCCESS) return SUCCESS;
  std::size_t index = 0;
  for (auto item : containers) {
    object container;
    if (error_code e = item.get_object().get(container)) {
      if (e != simdjson::INCORRECT_TYPE) return e;
      ++index;
      continue;
    }
    ContainerImage image;
    image.list = list;
    image.index = index++;
    bool has_image = false;
    error_code e = for_each_field(container, [&](std::string_view key, value field) {
      if (key == "name") image.container = string_of(field);
      if (key == "image") {
        std::string_view ref;
        has_image = field.get_string().get(ref) == SUCCESS;
        image.image = std::string(ref);
      }
      return SUCCESS;
    });
    if (e) return e;
    if (has_image) into.push_back(std::move(image));
  }
  return SUCCESS;
}

// Collects images from a pod spec, or from the pod template(s) nested in a
// workload's spec (template.spec, jobTemplate.spec.template.spec), so the
// same walk serves every workload kind without knowing which it is. Keys it
// does not know at the top level go to `other` (Flux fields), so the spec
// is still read in one pass.
struct NoOtherKeys {
  error_code operator()(std::string_view, value) const { return SUCCESS; }
};

template <typename Other>
error_code read_pod_spec(value v, int depth, std::vector<ContainerImage>& into, Other&& other) {
  object spec;
  if (depth > kMaxSpecDepth || v.get_object().get(spec) != SUCCESS) return SUCCESS;
  return for_each_field(spec, [&](std::string_view key, value field) -> error_code {
    if (key == "initContainers") return read_images(field, ContainerList::InitContainers, into);
    if (key == "containers") return read_images(field, ContainerList::Containers, into);
    if (key == "ephemeralContainers") return read_images(field, ContainerList::EphemeralContainers, into);
    if (key == "template" || key == "jobTemplate") {
      object nested;
      if (field.get_object().get(nested) != SUCCESS) return SUCCESS;
      return for_each_field(nested, [&](std::string_view k, value inner) {
        return k == "spec" ? read_pod_spec(inner, depth + 1, into, NoOtherKeys{}) : SUCCESS;
      });
    }
    return depth == 0 ? other(key, field) : SUCCESS;
  });
}

// {kind, name, namespace} of a Flux source reference.
error_code read_source_ref(value v, SourceReference& ref) {
  object obj;
  if (v.get_object().get(obj) != SUCCESS) return SUCCESS;
  return for_each_field(obj, [&](std::string_view k, value f) {
    if (k == "kind") ref.kind = string_of(f);
    if (k == "name") ref.name = string_of(f);
    if (k == "namespace") ref.namespace_ = string_of(f);
    return SUCCESS;
  });
}

void set_chart_source(HelmChart& chart, SourceReference ref) {
  chart.source_kind = std::move(ref.kind);
  chart.source_name = std::move(ref.name);
  chart.source_namespace = std::move(ref.namespace_);
}

// A HelmRelease's spec.chart: {spec: {chart, version, sourceRef}}.
error_code read_chart_template(value v, HelmChart& chart) {
  object outer;
  if (v.get_object().get(outer) != SUCCESS) return SUCCESS;
  return for_each_field(outer, [&](std::string_view key, value inner) -> error_code {
    object spec;
    if (key != "spec" || inner.get_object().get(spec) != SUCCESS) return SUCCESS;
    return for_each_field(spec, [&](std::string_view k, value f) -> error_code {
      if (k == "chart") chart.chart = string_of(f);
      if (k == "version") chart.version = string_of(f);
      if (k != "sourceRef") return SUCCESS;
      SourceReference ref;
      error_code e = read_source_ref(f, ref);
      set_chart_source(chart, std::move(ref));
      return e;
    });
  });
}

// A Flux source's spec.ref: {branch, tag, semver, commit, name, digest}.
error_code read_source_revision(value v, SourceLocation& location) {
  object ref;
  if (v.get_object().get(ref) != SUCCESS) return SUCCESS;
  return for_each_field(ref, [&](std::string_view k, value f) {
    if (k == "branch") location.branch = string_of(f);
    if (k == "tag") location.tag = string_of(f);
    if (k == "semver") location.semver = string_of(f);
    if (k == "commit") location.commit = string_of(f);
    if (k == "name") location.ref_name = string_of(f);
    if (k == "digest") location.digest = string_of(f);
    return SUCCESS;
  });
}

error_code read_application_source(value v, std::vector<ApplicationSource>& into) {
  object obj;
  if (v.get_object().get(obj) != SUCCESS) return SUCCESS;
  ApplicationSource source;
  error_code e = for_each_field(obj, [&](std::string_view k, value f) {
    if (k == "repoURL") source.repo_url = string_of(f);
    if (k == "targetRevision") source.target_revision = string_of(f);
    if (k == "chart") source.chart = string_of(f);
    return SUCCESS;
  });
  into.push_back(std::move(source));
  return e;
}

// Bounds on what spec.values may cost: values can be large, and only a few
// configured paths are ever read.
constexpr int kMaxValuesDepth = 8;
constexpr std::size_t kMaxValuesLeaves = 1024;

error_code flatten_values(value v, std::string& path, int depth, StringMap& into) {
  object obj;
  if (depth > kMaxValuesDepth || v.get_object().get(obj) != SUCCESS) return SUCCESS;
  return for_each_field(obj, [&](std::string_view key, value field) -> error_code {
    std::size_t mark = path.size();
    if (!path.empty()) path += '.';
    path += key;
    simdjson::ondemand::json_type type;
    error_code e = field.type().get(type);
    if (!e && type == simdjson::ondemand::json_type::object) {
      e = flatten_values(field, path, depth + 1, into);
    } else if (!e && into.entries().size() < kMaxValuesLeaves) {
      if (type == simdjson::ondemand::json_type::string) {
        into.set(path, string_of(field));
      } else if (type == simdjson::ondemand::json_type::number) {
        // As written: a tag such as 1.10 must not become 1.1.
        std::string_view raw = field.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r')) {
          raw.remove_suffix(1);
        }
        into.set(path, std::string(raw));
      }
    }
    path.resize(mark);
    return e;
  });
}

// An object's spec, read in one pass whatever the kind: pod spec or pod
// templates (workloads), chart, target namespace and values (HelmRelease),
// url and ref (Flux sources), sourceRef (Kustomization, HelmChart), source(s)
// and destination (Argo CD Application).
error_code read_spec(value v, ObjectView& view) {
  // A HelmChart object writes chart and version as strings beside its
  // sourceRef; a HelmRelease nests them under chart.spec.
  std::optional<std::string> chart_name, chart_version;
  error_code e = read_pod_spec(v, 0, view.images, [&](std::string_view key, value field) -> error_code {
    if (key == "targetNamespace") view.target_namespace = string_of(field);
    if (key == "serviceAccountName") view.service_account_name = string_of(field);
    if (key == "chart") {
      std::string_view name;
      if (field.get_string().get(name) == SUCCESS) {
        chart_name = std::string(name);
        return SUCCESS;
      }
      if (!view.helm_chart) view.helm_chart.emplace();
      return read_chart_template(field, *view.helm_chart);
    }
    if (key == "version") chart_version = string_of(field);
    if (key == "chartRef") {
      view.helm_chart.emplace();
      view.helm_chart->chart_ref = true;
      SourceReference ref;
      error_code err = read_source_ref(field, ref);
      set_chart_source(*view.helm_chart, std::move(ref));
      return err;
    }
    if (key == "values") {
      std::string path;
      return flatten_values(field, path, 0, view.helm_values);
    }
    if (key == "sourceRef") return read_source_ref(field, view.source_ref.emplace());
    auto location = [&]() -> SourceLocation& {
      return view.source_location ? *view.source_location : view.source_location.emplace();
    };
    if (key == "url") location().url = string_of(field);
    // A Bucket has no URL: "<endpoint>/<bucketName>" stands for one.
    if (key == "endpoint") location().url.insert(0, string_of(field));
    if (key == "bucketName") location().url += "/" + string_of(field);
    if (key == "ref") return read_source_revision(field, location());
    if (key == "source") return read_application_source(field, view.application_sources);
    if (key == "sources") {
      array sources;
      if (field.get_array().get(sources) != SUCCESS) return SUCCESS;
      for (auto item : sources) {
        value source;
        if (error_code err = item.get(source)) return err;
        if (error_code err = read_application_source(source, view.application_sources)) return err;
      }
    }
    if (key == "destination") {
      object destination;
      if (field.get_object().get(destination) != SUCCESS) return SUCCESS;
      return for_each_field(destination, [&](std::string_view k, value f) {
        if (k == "namespace") view.target_namespace = string_of(f);
        return SUCCESS;
      });
    }
    return SUCCESS;
  });
  if (chart_name) {
    // A source.toolkit.fluxcd.io HelmChart: its chart comes from spec.sourceRef.
    HelmChart& chart = view.helm_chart.emplace();
    chart.chart = std::move(*chart_name);
    chart.version = chart_version.value_or("");
    if (view.source_ref) {
      chart.source_kind = view.source_ref->kind;
      chart.source_name = view.source_ref->name;
    }
  }
  return e;
}

error_code read_object(object obj, ObjectView& view) {
  return for_each_field(obj, [&](std::string_view key, value field) -> error_code {
    if (key == "metadata") {
      object metadata;
      if (field.get_object().get(metadata) != SUCCESS) return SUCCESS;
      return for_each_field(metadata, [&](std::string_view k, value m) -> error_code {
        if (k == "name") view.name = string_of(m);
        if (k == "namespace") view.namespace_ = string_of(m);
        if (k == "labels") return read_string_map(m, view.labels);
        if (k == "annotations") return read_string_map(m, view.annotations);
        return SUCCESS;
      });
    }
    if (key == "spec") return read_spec(field, view);
    if (key == "data") {
      object data;
      if (field.get_object().get(data) != SUCCESS) return SUCCESS;
      return for_each_field(data, [&](std::string_view k, value v) {
        view.data.emplace_back(std::string(k), string_of(v));
        return SUCCESS;
      });
    }
    return SUCCESS;
  });
}

// request.object / request.oldObject: an object, or null (absent).
error_code read_optional_object(value v, std::optional<ObjectView>& into) {
  object obj;
  if (v.get_object().get(obj) != SUCCESS) return SUCCESS;
  into.emplace();
  return read_object(obj, *into);
}

std::optional<Operation> operation_from(std::string_view text) {
  if (text == "CREATE") return Operation::Create;
  if (text == "UPDATE") return Operation::Update;
  if (text == "DELETE") return Operation::Delete;
  if (text == "CONNECT") return Operation::Connect;
  return std::nullopt;
}

struct RawRequest {
  bool present = false;
  std::string operation;
  bool has_operation = false;
  bool has_kind = false;
};

error_code read_request(object request, AdmissionReview& review, RawRequest& raw) {
  AdmissionRequest& out = review.request;
  raw.present = true;
  return for_each_field(request, [&](std::string_view key, value field) -> error_code {
    if (key == "uid") {
      review.uid = string_of(field);
    } else if (key == "kind") {
      object kind;
      if (field.get_object().get(kind) != SUCCESS) return SUCCESS;
      raw.has_kind = true;
      return for_each_field(kind, [&](std::string_view k, value v) {
        if (k == "group") out.kind.group = string_of(v);
        if (k == "version") out.kind.version = string_of(v);
        if (k == "kind") out.kind.kind = string_of(v);
        return SUCCESS;
      });
    } else if (key == "operation") {
      raw.has_operation = true;
      raw.operation = string_of(field);
    } else if (key == "namespace") {
      out.namespace_ = string_of(field);
    } else if (key == "name") {
      out.name = string_of(field);
    } else if (key == "userInfo") {
      object user;
      if (field.get_object().get(user) != SUCCESS) return SUCCESS;
      return for_each_field(user, [&](std::string_view k, value v) -> error_code {
        if (k == "username") out.username = string_of(v);
        if (k != "groups") return SUCCESS;
        array groups;
        if (v.get_array().get(groups) != SUCCESS) return SUCCESS;
        for (auto g : groups) {
          std::string_view group;
          if (g.get_string().get(group) == SUCCESS) out.groups.emplace_back(group);
        }
        return SUCCESS;
      });
    } else if (key == "dryRun") {
      bool dry_run = false;
      if (field.get_bool().get(dry_run) == SUCCESS) out.dry_run = dry_run;
    } else if (key == "object") {
      return read_optional_object(field, out.object);
    } else if (key == "oldObject") {
      return read_optional_object(field, out.old_object);
    }
    return SUCCESS;
  });
}

ReviewParseResult fail(std::string message) { return {std::nullopt, std::move(message)}; }

ReviewParseResult invalid_json(error_code e) {
  return fail(std::string("body is not valid JSON: ") + simdjson::error_message(e));
}

// On-Demand needs SIMDJSON_PADDING readable bytes past the end; the body
// is copied into a per-thread buffer that has them.
simdjson::padded_string_view padded(std::string_view text) {
  thread_local std::string buffer;
  if (buffer.capacity() < text.size() + simdjson::SIMDJSON_PADDING) buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(text.data(), text.size());
  return simdjson::padded_string_view(buffer.data(), buffer.size(), buffer.capacity());
}

}  // namespace

ReviewParseResult parse_admission_review(std::string_view body, Diff diff_paths) {
  // One parser per thread: it keeps its buffers between requests.
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (error_code e = parser.iterate(padded(body)).get(doc)) return invalid_json(e);
  object root;
  if (error_code e = doc.get_object().get(root)) {
    return e == simdjson::INCORRECT_TYPE ? fail("body must be a JSON object (an AdmissionReview)") : invalid_json(e);
  }
  AdmissionReview review;
  RawRequest raw;
  std::string api_version, kind;
  error_code e = for_each_field(root, [&](std::string_view key, value field) -> error_code {
    if (key == "apiVersion") api_version = string_of(field);
    if (key == "kind") kind = string_of(field);
    if (key == "request") {
      object request;
      if (field.get_object().get(request) != SUCCESS) return SUCCESS;
      return read_request(request, review, raw);
    }
    return SUCCESS;
  });
  if (e) return invalid_json(e);

  if (kind != "AdmissionReview" || api_version.empty()) {
    return fail("body is not an AdmissionReview (apiVersion and kind: AdmissionReview expected)");
  }
  if (api_version != kAdmissionApiVersion) {
    return fail("AdmissionReview " + api_version + " is not supported; register the webhook with " +
                "admissionReviewVersions: [v1]");
  }
  if (!raw.present) return fail("AdmissionReview has no request");
  if (review.uid.empty()) return fail("AdmissionReview request has no uid");
  AdmissionRequest& out = review.request;
  if (!raw.has_kind || out.kind.kind.empty()) return fail("AdmissionReview request has no kind");
  if (!raw.has_operation) return fail("AdmissionReview request has no operation");
  auto op = operation_from(raw.operation);
  if (!op) return fail("unknown operation \"" + raw.operation + "\"");
  out.operation = *op;
  // The apiserver leaves request.namespace empty only for cluster-scoped
  // objects, and request.name empty for generateName creates.
  const ObjectView* view = out.object ? &*out.object : out.old_object ? &*out.old_object : nullptr;
  if (view && out.namespace_.empty()) out.namespace_ = view->namespace_;
  if (view && out.name.empty()) out.name = view->name;
  if (diff_paths == Diff::Compute && out.operation == Operation::Update && out.object && out.old_object) {
    ObjectDiff diff = diff_update(body);
    out.changed_paths = std::move(diff.paths);
    out.changed_paths_complete = !diff.truncated && !diff.failed;
  }
  return {std::move(review), {}};
}

std::optional<ObjectView> parse_object_json(std::string_view json, std::string* error) {
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  object obj;
  ObjectView view;
  error_code e = parser.iterate(padded(json)).get(doc);
  if (!e) e = doc.get_object().get(obj);
  if (!e) e = read_object(obj, view);
  if (e) {
    *error = std::string("not a JSON object: ") + simdjson::error_message(e);
    return std::nullopt;
  }
  return view;
}

}  // namespace releasegate::admission
