#include "audit/audit.h"

#include <algorithm>
#include <utility>

#include "admission/object_review.h"
#include "audit/listed_object.h"
#include "engine/engine.h"

namespace releasegate::audit {
namespace {

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

// The images a pod spec names in its containers and init containers, by name.
ContainerImages images_of(const ObjectView& object) {
  ContainerImages images;
  for (const ContainerImage& image : object.images) {
    if (image.list == ContainerList::Containers || image.list == ContainerList::InitContainers) {
      images.emplace_back(image.container, image.image);
    }
  }
  return images;
}

// Whether a Pod runs what its owner's template says (Audit::add).
bool runs_template(const ObjectView& pod, const ContainerImages& template_images) {
  bool debugged = std::any_of(pod.images.begin(), pod.images.end(),
                              [](const ContainerImage& image) { return image.list == ContainerList::EphemeralContainers; });
  if (debugged) return false;
  ContainerImages pod_images = images_of(pod);
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

GroupVersionKind listed_kind(const KindInfo& kind) {
  return {std::string(kind.group), std::string(listed_version(kind.group)), std::string(kind.kind)};
}

std::string api_version_of(const GroupVersionKind& kind) {
  return kind.group.empty() ? kind.version : kind.group + "/" + kind.version;
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

void Audit::add(const KindInfo& kind, std::string_view text) {
  if (!is_governed(kind.kind_class)) return;
  GroupVersionKind gvk = listed_kind(kind);
  admission::ReviewParseResult parsed = admission::review_of_listed_object(gvk, text);
  std::optional<ListedObject> listed = parsed.review ? read_listed_object(text) : std::nullopt;
  if (!parsed.review || !listed) {
    ++result_.objects;
    std::string error = parsed.review ? "the object is not valid JSON" : parsed.error;
    record("", {{api_version_of(gvk), gvk.kind, "", "", ""}, "", "releasegate", Outcome::Error,
                "a listed " + gvk.kind + " cannot be judged: " + error});
    return;
  }
  const AdmissionRequest& request = parsed.review->request;
  const ObjectView& object = *request.object;
  auto owner = listed->controller.empty() ? owners_.end() : owners_.find(listed->controller);
  bool owned = owner != owners_.end() && judged_through(kind.kind, listed->controller);
  if (owned && kind.kind_class == KindClass::Pod) owned = runs_template(object, owner->second);
  if (kind.kind_class == KindClass::Workload) {
    owners_[std::string(kind.kind) + "/" + listed->uid] = images_of(object);
    if (owned) return;
  }
  ObjectRef ref{api_version_of(gvk), gvk.kind, object.namespace_, object.name, listed->uid};
  Decision decision = engine::evaluate_at_rest(rules_, request, owned);
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
  if (kind.kind_class == KindClass::Pod) inventory_.add_pod(decision.environment, *listed, object);
  // HelmReleases are few beside Pods: their inventory reads a tree.
  if (kind.delivery == DeliveryKind::FluxHelmRelease) {
    nlohmann::json release = nlohmann::json::parse(text, nullptr, false);
    if (!release.is_discarded()) inventory_.add_helm_release(decision.environment, release);
  }
}

void Audit::list_failed(const KindInfo& kind, const std::string& why, bool served) {
  Result result{{api_version_of(listed_kind(kind)), std::string(kind.kind), "", "", ""}, "", "audit-list",
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
