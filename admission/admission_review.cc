#include "admission/admission_review.h"

#include "admission/object_diff.h"
#include "admission/object_reader.h"
#include "admission/ondemand.h"

namespace releasegate::admission {
namespace {

using namespace ondemand;

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

// Since Kubernetes 1.30 a service account token bound to a Pod says so in
// userInfo.extra; impersonation by a controller never carries it.
bool is_pod_binding(std::string_view extra_key) {
  return extra_key == "authentication.kubernetes.io/pod-name" || extra_key == "authentication.kubernetes.io/pod-uid";
}

error_code read_user_info(value field, AdmissionRequest& out) {
  object user;
  if (field.get_object().get(user) != SUCCESS) return SUCCESS;
  return for_each_field(user, [&](std::string_view k, value v) -> error_code {
    if (k == "username") out.username = string_of(v);
    if (k == "extra") {
      object extra;
      if (v.get_object().get(extra) != SUCCESS) return SUCCESS;
      return for_each_field(extra, [&](std::string_view name, value) -> error_code {
        out.bound_to_pod = out.bound_to_pod || is_pod_binding(name);
        return SUCCESS;
      });
    }
    if (k != "groups") return SUCCESS;
    array groups;
    if (v.get_array().get(groups) != SUCCESS) return SUCCESS;
    for (auto g : groups) {
      std::string_view group;
      if (g.get_string().get(group) == SUCCESS) out.groups.emplace_back(group);
    }
    return SUCCESS;
  });
}

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
      return read_user_info(field, out);
    } else if (key == "subResource") {
      out.sub_resource = string_of(field);
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

// ---- The UPDATE diff: a second walk over the document already indexed ----

// Nesting beyond which a diff gives up (the object is then "changed a
// lot"): bounds the walk's stack on pathological input.
constexpr std::size_t kMaxDiffDepth = 64;

// Adds `v` (and everything below it) to `tree` below `parent`.
error_code collect(value v, std::uint32_t parent, std::string_view key, std::uint32_t index, std::size_t depth,
                   ObjectTree& tree) {
  if (depth > kMaxDiffDepth) return simdjson::DEPTH_ERROR;
  simdjson::ondemand::json_type type;
  if (error_code e = v.type().get(type)) return e;
  using Kind = ObjectTree::Kind;
  switch (type) {
    case simdjson::ondemand::json_type::object: {
      std::uint32_t node = tree.add(parent, key, index, Kind::Object);
      object obj;
      if (error_code e = v.get_object().get(obj)) return e;
      error_code e = for_each_field(obj, [&](std::string_view member, value child) {
        if (ObjectTree::server_maintained(depth + 1, key, member)) return SUCCESS;
        return collect(child, node, member, 0, depth + 1, tree);
      });
      tree.close(node);
      return e;
    }
    case simdjson::ondemand::json_type::array: {
      std::uint32_t node = tree.add(parent, key, index, Kind::Array), element = 0;
      array items;
      if (error_code e = v.get_array().get(items)) return e;
      for (auto item : items) {
        value child;
        if (error_code e = item.get(child)) return e;
        if (error_code e = collect(child, node, {}, element++, depth + 1, tree)) return e;
      }
      tree.close(node);
      return SUCCESS;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view text;
      if (error_code e = v.get_string().get(text)) return e;
      tree.add(parent, key, index, Kind::String, text);
      return SUCCESS;
    }
    case simdjson::ondemand::json_type::number: tree.add(parent, key, index, Kind::Number, raw_number(v)); return SUCCESS;
    case simdjson::ondemand::json_type::boolean: {
      bool b = false;
      if (error_code e = v.get_bool().get(b)) return e;
      tree.add(parent, key, index, Kind::Bool, b ? "true" : "false");
      return SUCCESS;
    }
    case simdjson::ondemand::json_type::null: tree.add(parent, key, index, Kind::Null); return SUCCESS;
  }
  return SUCCESS;
}

// request.object against request.oldObject, walking the document again from
// its start (rewind: no second parse).
ObjectDiff diff_update(simdjson::ondemand::document& doc) {
  ObjectDiff failed;
  failed.failed = true;
  doc.rewind();
  object root;
  if (doc.get_object().get(root)) return failed;
  ObjectTree before, after;
  error_code e = for_each_field(root, [&](std::string_view key, value field) -> error_code {
    object request;
    if (key != "request" || field.get_object().get(request) != SUCCESS) return SUCCESS;
    return for_each_field(request, [&](std::string_view k, value side) -> error_code {
      if (k != "object" && k != "oldObject") return SUCCESS;
      // Last wins on duplicate keys, as in the typed walk.
      ObjectTree& into = k == "object" ? after : before;
      into = {};
      return collect(side, ObjectTree::kRoot, {}, 0, 0, into);
    });
  });
  if (e || before.empty() || after.empty()) return failed;
  return diff_trees(before, after);
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
  // An error inside a value read leniently (a string that is not one is
  // read as empty) abandons the iterator: the body was not valid JSON.
  if (!doc.is_alive()) return invalid_json(simdjson::TAPE_ERROR);

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
    ObjectDiff diff = diff_update(doc);
    out.changed_paths = std::move(diff.paths);
    out.changed_paths_complete = !diff.truncated && !diff.failed;
  }
  return {std::move(review), {}};
}

}  // namespace releasegate::admission
