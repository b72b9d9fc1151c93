#include "admission/object_reader.h"

#include <optional>

namespace releasegate::admission {

using namespace ondemand;

namespace {

// Nesting between an object's spec and a pod spec: CronJob's
// spec.jobTemplate.spec.template.spec is the deepest.
constexpr int kMaxSpecDepth = 3;

error_code read_string_map(value v, StringMap& into) {
  object map;
  if (v.get_object().get(map) != SUCCESS) return SUCCESS;
  return for_each_field(map, [&](std::string_view key, value entry) {
    // Only what the rules read is copied.
    if (is_metadata_key_read_by_rules(key)) into.set(std::string(key), string_of(entry));
    return SUCCESS;
  });
}

// An array's string items (others are skipped).
error_code read_strings(value v, std::vector<std::string>& into) {
  array items;
  if (v.get_array().get(items) != SUCCESS) return SUCCESS;
  for (auto item : items) {
    std::string_view s;
    if (item.get_string().get(s) == SUCCESS) into.emplace_back(s);
  }
  return SUCCESS;
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

// volumes[].image.reference: OCI images mounted as volumes.
error_code read_image_volumes(value v, std::vector<ContainerImage>& into) {
  array volumes;
  if (v.get_array().get(volumes) != SUCCESS) return SUCCESS;
  std::size_t index = 0;
  for (auto item : volumes) {
    ContainerImage image{ContainerList::ImageVolumes, index++, {}, {}};
    object volume;
    if (error_code e = item.get_object().get(volume)) {
      if (e != simdjson::INCORRECT_TYPE) return e;
      continue;
    }
    bool has_image = false;
    error_code e = for_each_field(volume, [&](std::string_view key, value field) -> error_code {
      if (key == "name") image.container = string_of(field);
      object source;
      if (key != "image" || field.get_object().get(source) != SUCCESS) return SUCCESS;
      return for_each_field(source, [&](std::string_view k, value reference) {
        std::string_view ref;
        if (k == "reference" && reference.get_string().get(ref) == SUCCESS) {
          image.image = std::string(ref);
          has_image = true;
        }
        return SUCCESS;
      });
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
    if (key == "volumes") return read_image_volumes(field, into);
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

error_code flatten_values(value v, std::string& path, int depth, StringMap& into, bool& truncated) {
  object obj;
  if (v.get_object().get(obj) != SUCCESS) return SUCCESS;
  if (depth > kMaxValuesDepth) {
    truncated = true;
    return SUCCESS;
  }
  return for_each_field(obj, [&](std::string_view key, value field) -> error_code {
    std::size_t mark = path.size();
    if (!path.empty()) path += '.';
    path += key;
    simdjson::ondemand::json_type type;
    error_code e = field.type().get(type);
    if (!e && type == simdjson::ondemand::json_type::object) {
      e = flatten_values(field, path, depth + 1, into, truncated);
    } else if (!e && (type == simdjson::ondemand::json_type::string || type == simdjson::ondemand::json_type::number)) {
      if (into.entries().size() >= kMaxValuesLeaves) {
        truncated = true;  // the engine fails closed on paths it cannot find
      } else if (type == simdjson::ondemand::json_type::string) {
        into.set(path, string_of(field));
      } else {
        into.set(path, std::string(raw_number(field)));
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
// An Argo CD Application's spec.source, spec.sources and spec.destination.
error_code read_application_field(std::string_view key, value field, ObjectView& view) {
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
      // Another cluster than the one Argo CD runs in.
      std::string where = k == "server" || k == "name" ? string_of(f) : std::string();
      if (k == "server" && !where.empty() && where != "https://kubernetes.default.svc") view.remote_target = true;
      if (k == "name" && !where.empty() && where != "in-cluster") view.remote_target = true;
      return SUCCESS;
    });
  }
  return SUCCESS;
}

error_code read_spec(value v, ObjectView& view) {
  // A HelmChart object writes chart and version as strings beside its
  // sourceRef; a HelmRelease nests them under chart.spec.
  std::optional<std::string> chart_name, chart_version;
  error_code e = read_pod_spec(v, 0, view.images, [&](std::string_view key, value field) -> error_code {
    if (key == "targetNamespace") view.target_namespace = string_of(field);
    if (key == "serviceAccountName") view.service_account_name = string_of(field);
    // Flux applies to the cluster of spec.kubeConfig's Secret: another one.
    if (key == "kubeConfig") view.remote_target = true;
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
      return flatten_values(field, path, 0, view.helm_values, view.helm_values_truncated);
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
    return read_application_field(key, field, view);
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

}  // namespace

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
        if (k == "deletionTimestamp") view.being_deleted = !string_of(m).empty();
        if (k == "finalizers") return read_strings(m, view.finalizers);
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
    if (key == "binaryData") {
      object data;
      if (field.get_object().get(data) != SUCCESS) return SUCCESS;
      return for_each_field(data, [&](std::string_view k, value) {
        view.binary_data_keys.emplace_back(k);
        return SUCCESS;
      });
    }
    return SUCCESS;
  });
}

}  // namespace releasegate::admission
