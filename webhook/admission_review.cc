#include "webhook/admission_review.h"

#include <simdjson.h>

namespace releasegate::webhook {
namespace {

using simdjson::dom::element;

// The path from an object to its pod spec, per governed workload kind.
std::vector<std::string_view> pod_spec_path(const rules::GroupVersionKind& kind) {
  const std::string& k = kind.kind;
  if (kind.group.empty() && k == "Pod") return {"spec"};
  if (kind.group == "batch" && k == "CronJob") return {"spec", "jobTemplate", "spec", "template", "spec"};
  if ((kind.group == "apps" && (k == "Deployment" || k == "StatefulSet" || k == "DaemonSet" || k == "ReplicaSet")) ||
      (kind.group == "batch" && k == "Job")) {
    return {"spec", "template", "spec"};
  }
  return {};
}

std::string string_field(const element& e, std::string_view key) {
  std::string_view value;
  if (e[key].get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

// Copies the entries the rules read; the rest of metadata is never copied.
void read_string_map(const element& metadata, std::string_view key, rules::StringMap& into) {
  simdjson::dom::object map;
  if (metadata[key].get(map) != simdjson::SUCCESS) return;
  for (auto [k, v] : map) {
    std::string_view value;
    if (v.get(value) != simdjson::SUCCESS) continue;
    if (!rules::is_metadata_key_read_by_rules(k)) continue;
    into.set(std::string(k), std::string(value));
  }
}

void read_images(const element& pod_spec, std::string_view field, rules::ContainerList list,
                 std::vector<rules::ContainerImage>& into) {
  simdjson::dom::array containers;
  if (pod_spec[field].get(containers) != simdjson::SUCCESS) return;
  std::size_t index = 0;
  for (element container : containers) {
    rules::ContainerImage image;
    image.list = list;
    image.index = index++;
    image.container = string_field(container, "name");
    std::string_view ref;
    if (container["image"].get(ref) != simdjson::SUCCESS) continue;
    image.image = std::string(ref);
    into.push_back(std::move(image));
  }
}

std::optional<rules::Operation> operation_from(std::string_view text) {
  if (text == "CREATE") return rules::Operation::Create;
  if (text == "UPDATE") return rules::Operation::Update;
  if (text == "DELETE") return rules::Operation::Delete;
  if (text == "CONNECT") return rules::Operation::Connect;
  return std::nullopt;
}

ReviewParseResult fail(std::string message) { return {std::nullopt, std::move(message)}; }

}  // namespace

rules::ObjectView parse_object(const element& object, const rules::GroupVersionKind& kind) {
  rules::ObjectView view;
  element metadata;
  if (object["metadata"].get(metadata) == simdjson::SUCCESS) {
    view.name = string_field(metadata, "name");
    view.namespace_ = string_field(metadata, "namespace");
    read_string_map(metadata, "labels", view.labels);
    read_string_map(metadata, "annotations", view.annotations);
  }
  std::vector<std::string_view> path = pod_spec_path(kind);
  if (path.empty()) return view;
  element pod_spec = object;
  for (std::string_view step : path) {
    if (pod_spec[step].get(pod_spec) != simdjson::SUCCESS) return view;
  }
  read_images(pod_spec, "initContainers", rules::ContainerList::InitContainers, view.images);
  read_images(pod_spec, "containers", rules::ContainerList::Containers, view.images);
  read_images(pod_spec, "ephemeralContainers", rules::ContainerList::EphemeralContainers, view.images);
  return view;
}

ReviewParseResult parse_admission_review(std::string_view body) {
  // One parser per thread: it keeps its buffers between requests.
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(body.data(), body.size()).get(root)) {
    return fail(std::string("body is not valid JSON: ") + simdjson::error_message(error));
  }
  if (!root.is_object()) return fail("body must be a JSON object (an AdmissionReview)");
  std::string_view api_version, kind;
  if (root["apiVersion"].get(api_version) || root["kind"].get(kind) || kind != "AdmissionReview") {
    return fail("body is not an AdmissionReview (apiVersion and kind: AdmissionReview expected)");
  }
  if (api_version != kAdmissionApiVersion) {
    return fail("AdmissionReview " + std::string(api_version) + " is not supported; register the webhook with " +
                "admissionReviewVersions: [v1]");
  }
  element request;
  if (root["request"].get(request) != simdjson::SUCCESS || !request.is_object()) {
    return fail("AdmissionReview has no request");
  }
  AdmissionReview review;
  std::string_view uid;
  if (request["uid"].get(uid) != simdjson::SUCCESS || uid.empty()) return fail("AdmissionReview request has no uid");
  review.uid = std::string(uid);

  rules::AdmissionRequest& out = review.request;
  element kind_element;
  if (request["kind"].get(kind_element) != simdjson::SUCCESS) return fail("AdmissionReview request has no kind");
  out.kind.group = string_field(kind_element, "group");
  out.kind.version = string_field(kind_element, "version");
  out.kind.kind = string_field(kind_element, "kind");
  if (out.kind.kind.empty()) return fail("AdmissionReview request.kind has no kind");

  std::string_view operation;
  if (request["operation"].get(operation) != simdjson::SUCCESS) return fail("AdmissionReview request has no operation");
  auto op = operation_from(operation);
  if (!op) return fail("unknown operation \"" + std::string(operation) + "\"");
  out.operation = *op;
  out.namespace_ = string_field(request, "namespace");
  out.name = string_field(request, "name");

  element user;
  if (request["userInfo"].get(user) == simdjson::SUCCESS) {
    out.username = string_field(user, "username");
    simdjson::dom::array groups;
    if (user["groups"].get(groups) == simdjson::SUCCESS) {
      for (element g : groups) {
        std::string_view group;
        if (g.get(group) == simdjson::SUCCESS) out.groups.emplace_back(group);
      }
    }
  }
  bool dry_run = false;
  if (request["dryRun"].get(dry_run) == simdjson::SUCCESS) out.dry_run = dry_run;

  element object;
  if (request["object"].get(object) == simdjson::SUCCESS && object.is_object()) {
    out.object = parse_object(object, out.kind);
  }
  if (request["oldObject"].get(object) == simdjson::SUCCESS && object.is_object()) {
    out.old_object = parse_object(object, out.kind);
  }
  // The apiserver leaves request.namespace empty only for cluster-scoped
  // objects, and request.name empty for generateName creates.
  const rules::ObjectView* view = out.object ? &*out.object : out.old_object ? &*out.old_object : nullptr;
  if (view && out.namespace_.empty()) out.namespace_ = view->namespace_;
  if (view && out.name.empty()) out.name = view->name;
  return {std::move(review), {}};
}

}  // namespace releasegate::webhook
