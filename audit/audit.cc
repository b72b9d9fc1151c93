#include "audit/audit.h"

#include <algorithm>
#include <utility>

#include "admission/object_review.h"
#include "engine/engine.h"

namespace releasegate::audit {
namespace {

using nlohmann::json;

// The controller that owns the object ("Kind/uid" of its ownerReference
// with controller: true), or "" when none does.
std::string controller_of(const json& object) {
  json::json_pointer pointer("/metadata/ownerReferences");
  if (!object.contains(pointer) || !object.at(pointer).is_array()) return {};
  for (const json& owner : object.at(pointer)) {
    if (!owner.is_object()) continue;
    auto controller = owner.find("controller");
    if (controller == owner.end() || !controller->is_boolean() || !controller->get<bool>()) continue;
    return admission::string_field(owner, "kind") + "/" + admission::string_field(owner, "uid");
  }
  return {};
}

// Owners whose owned objects are judged through them: (owned kind, owner kind).
constexpr std::pair<std::string_view, std::string_view> kJudgedThroughOwner[] = {
    {"ReplicaSet", "Deployment"}, {"Job", "CronJob"},
    {"Pod", "ReplicaSet"},        {"Pod", "StatefulSet"},
    {"Pod", "DaemonSet"},         {"Pod", "Job"},
};

bool judged_through(std::string_view kind, std::string_view owner) {
  auto slash = owner.find('/');
  std::string_view owner_kind = owner.substr(0, slash);
  return std::any_of(std::begin(kJudgedThroughOwner), std::end(kJudgedThroughOwner),
                     [&](const auto& row) { return row.first == kind && row.second == owner_kind; });
}

// The images a pod spec names (containers and init containers) by name.
ContainerImages images_of(const json& object, std::string_view pod_spec) {
  ContainerImages images;
  json::json_pointer spec{std::string(pod_spec)};
  if (pod_spec.empty() || !object.contains(spec) || !object.at(spec).is_object()) return images;
  for (const char* list : {"containers", "initContainers"}) {
    auto containers = object.at(spec).find(list);
    if (containers == object.at(spec).end() || !containers->is_array()) continue;
    for (const json& c : *containers) {
      if (c.is_object()) images.emplace_back(admission::string_field(c, "name"), admission::string_field(c, "image"));
    }
  }
  return images;
}

// Whether a Pod runs what its owner's template says (Audit::add).
bool runs_template(const json& pod, const ContainerImages& pod_images, const ContainerImages& template_images) {
  json::json_pointer ephemeral("/spec/ephemeralContainers");
  if (pod.contains(ephemeral) && pod.at(ephemeral).is_array() && !pod.at(ephemeral).empty()) return false;
  return std::all_of(template_images.begin(), template_images.end(), [&](const auto& wanted) {
    auto found = std::find_if(pod_images.begin(), pod_images.end(),
                              [&](const auto& image) { return image.first == wanted.first; });
    if (found == pod_images.end()) return false;
    const std::string& image = found->second;
    bool pinned = wanted.second.find('@') == std::string::npos && image.starts_with(wanted.second + "@sha256:");
    return image == wanted.second || pinned;
  });
}

int listing_rank(const KindInfo& kind) {
  if (kind.kind == "Deployment" || kind.kind == "CronJob") return 0;
  if (kind.kind_class == KindClass::Workload) return 1;
  return kind.kind_class == KindClass::Pod ? 2 : 3;
}

ObjectRef ref_of(const json& object) {
  using admission::metadata_field;
  using admission::string_field;
  return {string_field(object, "apiVersion"), string_field(object, "kind"), metadata_field(object, "namespace"),
          metadata_field(object, "name"), metadata_field(object, "uid")};
}

}  // namespace

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Pass: return "pass";
    case Outcome::Fail: return "fail";
    case Outcome::Warn: return "warn";
    case Outcome::Error: return "error";
    case Outcome::Skip: return "skip";
  }
  return "error";
}

void Summary::count(Outcome outcome) {
  switch (outcome) {
    case Outcome::Pass: ++pass; return;
    case Outcome::Fail: ++fail; return;
    case Outcome::Warn: ++warn; return;
    case Outcome::Error: ++error; return;
    case Outcome::Skip: ++skip; return;
  }
}

std::vector<const KindInfo*> audit_order() {
  std::vector<const KindInfo*> kinds;
  for (const KindInfo& kind : kKinds) {
    if (is_governed(kind.kind_class)) kinds.push_back(&kind);
  }
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const KindInfo* a, const KindInfo* b) { return listing_rank(*a) < listing_rank(*b); });
  return kinds;
}

Audit::Audit(const RuleSet& rules, AuditOptions options) : rules_(rules), options_(options) {
  result_.generation = rules.generation;
  result_.started = std::chrono::system_clock::now();
}

void Audit::add(const KindInfo& kind, json&& object) {
  if (!object.is_object() || !is_governed(kind.kind_class)) return;
  std::string owner_key = controller_of(object);
  auto owner = owner_key.empty() ? owners_.end() : owners_.find(owner_key);
  bool owned = owner != owners_.end() && judged_through(kind.kind, owner_key);
  if (owned && kind.kind_class == KindClass::Pod) {
    owned = runs_template(object, images_of(object, kind.pod_spec), owner->second);
  }
  if (kind.kind_class == KindClass::Workload) {
    owners_[std::string(kind.kind) + "/" + admission::metadata_field(object, "uid")] =
        images_of(object, kind.pod_spec);
    if (owned) return;
  }
  if (!object.contains("kind")) object["kind"] = kind.kind;
  if (!object.contains("apiVersion")) {
    std::string version(listed_version(kind.group));
    object["apiVersion"] = kind.group.empty() ? version : std::string(kind.group) + "/" + version;
  }
  admission::ReviewParseResult parsed = admission::review_of_object(object, {});
  ObjectRef ref = ref_of(object);
  if (!parsed.review) {
    ++result_.objects;
    record(ref.namespace_, {ref, "", "releasegate", Outcome::Error, "cannot be judged: " + parsed.error});
    return;
  }
  Decision decision = engine::evaluate_at_rest(rules_, parsed.review->request, owned);
  if (decision.governance != Governance::Governed) return;
  ++result_.objects;
  for (const Violation& v : decision.violations) {
    record(ref.namespace_,
           {ref, decision.environment, std::string(to_string(v.rule)), v.mode == Mode::Enforce ? Outcome::Fail : Outcome::Warn,
            v.message});
  }
  if (decision.violations.empty()) {
    record(ref.namespace_, {ref, decision.environment, "releasegate", Outcome::Pass,
                            "as promoted to " + decision.environment + " in Git"});
  }
  if (decision.environment.empty()) return;
  if (kind.kind_class == KindClass::Pod) inventory_.add_pod(decision.environment, object);
  if (kind.delivery == DeliveryKind::FluxHelmRelease) inventory_.add_helm_release(decision.environment, object);
}

void Audit::list_failed(const KindInfo& kind, const std::string& why, bool served) {
  std::string api_version = kind.group.empty() ? std::string(listed_version(kind.group))
                                               : std::string(kind.group) + "/" + std::string(listed_version(kind.group));
  Result result{{api_version, std::string(kind.kind), "", "", ""}, "", "audit-list",
                served ? Outcome::Error : Outcome::Skip,
                served ? "cannot list " + std::string(kind.resource) + ": " + why
                       : std::string(kind.resource) + " are not served by this cluster: " + why};
  if (served) result_.complete = false;
  ++result_.counts[{result.environment, result.rule, result.outcome}];
  result_.cluster_results.push_back(std::move(result));
}

void Audit::record(const std::string& namespace_, Result result) {
  ++result_.counts[{result.environment, result.rule, result.outcome}];
  NamespaceResults& report = result_.namespaces[namespace_];
  report.summary.count(result.outcome);
  if (report.results.size() < options_.max_results_per_namespace && kept_ < options_.max_results) {
    report.results.push_back(std::move(result));
    ++kept_;
    return;
  }
  ++report.left_out;
  // Full: a failure takes the place of a pass, so the report shows what
  // needs attention first.
  if (result.outcome == Outcome::Pass) return;
  auto pass = std::find_if(report.results.rbegin(), report.results.rend(),
                           [](const Result& r) { return r.outcome == Outcome::Pass; });
  if (pass != report.results.rend()) *pass = std::move(result);
}

AuditResult Audit::finish() {
  result_.inventory = inventory_.finish(rules_, {options_.observed_evidence, wall_clock()});
  result_.finished = std::chrono::system_clock::now();
  return std::move(result_);
}

}  // namespace releasegate::audit
