#include "cli/check_command.h"

#include <map>
#include <ostream>
#include <tuple>

#include "engine/engine.h"
#include "policy/compiler.h"
#include "admission/admission_response.h"
#include "admission/admission_review.h"
#include "cli/flags.h"
#include "cli/manifest.h"
#include "admission/object_diff.h"
#include "admission/verdict.h"

namespace releasegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: releasegate check --rules DIR [--rules DIR ...] -f MANIFEST.yaml [-f ...] --user NAME\n"
    "                         [--group G ...] [--namespace NS] [--operation CREATE|UPDATE|DELETE]\n"
    "                         [--old OLD.yaml ...] [--output text|json]\n";

using ObjectKey = std::tuple<std::string, std::string, std::string>;  // kind, namespace, name

struct Input {
  Manifest manifest;
  AdmissionRequest request;
};

std::string string_field(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

GroupVersionKind kind_of(const nlohmann::json& object) {
  GroupVersionKind gvk;
  std::string api_version = string_field(object, "apiVersion");
  if (auto slash = api_version.find('/'); slash != std::string::npos) {
    gvk.group = api_version.substr(0, slash);
    gvk.version = api_version.substr(slash + 1);
  } else {
    gvk.version = api_version;
  }
  gvk.kind = string_field(object, "kind");
  return gvk;
}

// The same extraction the webhook uses, through the same JSON parser. The
// manifest came from a YAML map, so it is a JSON object.
ObjectView view_of(const nlohmann::json& object) {
  std::string error;
  std::optional<ObjectView> view = admission::parse_object_json(object.dump(), &error);
  return view ? std::move(*view) : ObjectView{};
}

std::string metadata_field(const nlohmann::json& object, const char* field) {
  auto metadata = object.find("metadata");
  return metadata != object.end() && metadata->is_object() ? string_field(*metadata, field) : std::string();
}

}  // namespace

int run_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Flags flags({"rules", "f", "filename", "user", "group", "namespace", "operation", "old", "output"});
  std::string error;
  auto usage = [&](const std::string& message) {
    err << "releasegate check: " << message << "\n" << kUsage;
    return 2;
  };
  if (!flags.parse(args, &error)) return usage(error);
  std::vector<std::string> files = flags.all("f");
  for (const std::string& f : flags.all("filename")) files.push_back(f);
  if (!flags.has("rules")) return usage("--rules is required");
  if (files.empty()) return usage("at least one -f MANIFEST is required");
  if (!flags.has("user")) return usage("--user is required (the identity that would apply the manifests)");
  std::string output = flags.get("output").value_or("text");
  if (output != "text" && output != "json") return usage("--output must be text or json");
  std::string operation_text = flags.get("operation").value_or("CREATE");
  Operation operation;
  if (operation_text == "CREATE") {
    operation = Operation::Create;
  } else if (operation_text == "UPDATE") {
    operation = Operation::Update;
  } else if (operation_text == "DELETE") {
    operation = Operation::Delete;
  } else {
    return usage("--operation must be CREATE, UPDATE or DELETE");
  }
  std::string flag_namespace = flags.get("namespace").value_or("");

  policy::LoadResult loaded = policy::load_rules(flags.all("rules"));
  if (!loaded.rules) {
    for (const policy::LoadError& e : loaded.errors) err << e.to_string() << "\n";
    err << "releasegate check: the rules are invalid (" << loaded.errors.size() << " errors)\n";
    return 2;
  }

  auto read_all = [&](const std::vector<std::string>& paths, std::vector<Manifest>& into) {
    for (const std::string& path : paths) {
      ManifestReadResult read = read_manifests(path);
      if (!read.error.empty()) {
        err << read.error << "\n";
        return false;
      }
      for (Manifest& m : read.manifests) into.push_back(std::move(m));
    }
    return true;
  };
  std::vector<Manifest> manifests, old_manifests;
  if (!read_all(files, manifests) || !read_all(flags.all("old"), old_manifests)) return 2;

  // Like `kubectl apply -n`: the flag fills in a missing namespace and
  // must agree with one that is written.
  auto namespace_of = [&](const Manifest& m, std::string* ns) {
    std::string written = metadata_field(m.object, "namespace");
    if (!written.empty() && !flag_namespace.empty() && written != flag_namespace) {
      err << m.file << ":" << m.line << ": the manifest's namespace " << written << " does not match --namespace "
          << flag_namespace << "\n";
      return false;
    }
    *ns = written.empty() ? flag_namespace : written;
    return true;
  };
  std::map<ObjectKey, const Manifest*> old_by_key;
  for (const Manifest& m : old_manifests) {
    std::string ns;
    if (!namespace_of(m, &ns)) return 2;
    old_by_key[{string_field(m.object, "kind"), ns, metadata_field(m.object, "name")}] = &m;
  }

  std::vector<Input> inputs;
  for (const Manifest& m : manifests) {
    Input input{m, {}};
    AdmissionRequest& r = input.request;
    r.kind = kind_of(m.object);
    if (r.kind.kind.empty() || r.kind.version.empty()) {
      err << m.file << ":" << m.line << ": a manifest needs apiVersion and kind\n";
      return 2;
    }
    if (!namespace_of(m, &r.namespace_)) return 2;
    r.name = metadata_field(m.object, "name");
    r.operation = operation;
    r.username = *flags.get("user");
    r.groups = flags.all("group");
    ObjectView view = view_of(m.object);
    view.namespace_ = r.namespace_;
    if (operation == Operation::Delete) {
      r.old_object = std::move(view);
    } else {
      r.object = std::move(view);
      if (auto old = old_by_key.find({r.kind.kind, r.namespace_, r.name}); old != old_by_key.end()) {
        r.old_object = view_of(old->second->object);
        if (operation == Operation::Update) {
          // The same diff the webhook computes for an UPDATE review.
          nlohmann::json review{{"request", {{"object", m.object}, {"oldObject", old->second->object}}}};
          admission::ObjectDiff diff = admission::diff_update(review.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
          r.changed_paths = std::move(diff.paths);
          r.changed_paths_complete = !diff.truncated && !diff.failed;
        }
      } else if (operation == Operation::Update && !old_manifests.empty()) {
        err << m.file << ":" << m.line << ": no --old manifest for " << r.kind.kind << " " << r.namespace_ << "/"
            << r.name << "\n";
        return 2;
      }
    }
    inputs.push_back(std::move(input));
  }

  bool any_denied = false;
  nlohmann::json results = nlohmann::json::array();
  for (const Input& input : inputs) {
    Decision decision = engine::evaluate(*loaded.rules, input.request);
    admission::Outcome outcome = admission::decide(decision);
    any_denied = any_denied || outcome == admission::Outcome::Deny;
    const AdmissionRequest& r = input.request;
    if (output == "json") {
      nlohmann::json violations = nlohmann::json::array();
      for (const Violation& v : decision.violations) {
        violations.push_back({{"rule", to_string(v.rule)}, {"mode", to_string(v.mode)}, {"message", v.message}});
      }
      results.push_back({{"file", input.manifest.file},
                         {"line", input.manifest.line},
                         {"kind", r.kind.kind},
                         {"namespace", r.namespace_},
                         {"name", r.name},
                         {"environment", decision.environment},
                         {"decision", to_string(outcome)},
                         {"violations", std::move(violations)}});
      continue;
    }
    out << to_string(outcome) << ": " << r.kind.kind << " " << (r.namespace_.empty() ? "" : r.namespace_ + "/")
        << r.name;
    if (!decision.environment.empty()) out << " (environment " << decision.environment << ")";
    out << "  [" << input.manifest.file << ":" << input.manifest.line << "]\n";
    if (decision.break_glass) out << "  break-glass: " << *decision.break_glass << "\n";
    if (decision.allowed_drift) out << "  out-of-band, but only allowed drift changed\n";
    for (const Violation& v : decision.violations) {
      out << "  " << to_string(v.mode) << " [" << to_string(v.rule) << "] " << v.message << "\n";
    }
  }
  if (output == "json") out << results.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return any_denied ? 1 : 0;
}

}  // namespace releasegate::cli
