#include "evidence/health.h"

#include <algorithm>

#include "core/chart_version.h"
#include "core/image_reference.h"
#include "kube/object_fields.h"
#include "core/kinds.h"

namespace releasegate::evidence {
namespace {

using nlohmann::json;

using kube::number_at;
using kube::text_at;
constexpr auto at = kube::field_at;

// A status condition of that type, or null.
const json* condition(const json& object, std::string_view type) {
  const json* conditions = at(object, "/status/conditions");
  if (!conditions || !conditions->is_array()) return nullptr;
  for (const json& c : *conditions) {
    if (c.is_object() && text_at(c, "/type") == type) return &c;
  }
  return nullptr;
}

std::string field(const json* c, const char* name) {
  return c && c->contains(name) && (*c)[name].is_string() ? (*c)[name].get<std::string>() : std::string();
}

UnixSeconds time_of(const std::string& text) { return text.empty() ? 0 : parse_rfc3339(text).value_or(0); }

bool generation_observed(const json& object) {
  return number_at(object, "/status/observedGeneration", -1) >= number_at(object, "/metadata/generation", 0);
}

// The images of the pod template: containers and initContainers (an
// ephemeral container is a debugging session, not the workload).
void template_images(const json& object, std::vector<ObservedVersion>& into) {
  for (const char* list : {"/spec/template/spec/initContainers", "/spec/template/spec/containers"}) {
    const json* containers = at(object, list);
    if (!containers || !containers->is_array()) continue;
    for (const json& c : *containers) {
      if (!c.is_object() || !c.contains("image") || !c["image"].is_string()) continue;
      ImageParseResult parsed = parse_image_reference(c["image"].get<std::string>());
      if (!parsed.reference) continue;
      const ImageReference& ref = *parsed.reference;
      ObservedVersion v{EvidenceOf::Image, ref.repository(),
                        ref.tag.empty() && !ref.digest.empty() ? std::string() : std::string(ref.effective_tag()),
                        ref.digest};
      if (std::find(into.begin(), into.end(), v) == into.end()) into.push_back(std::move(v));
    }
  }
}

void read_deployment(const json& object, ObservedObject& o) {
  std::int64_t replicas = number_at(object, "/spec/replicas", 1);
  const json* available = condition(object, "Available");
  const json* progressing = condition(object, "Progressing");
  if (field(available, "status") == "False" || field(progressing, "status") == "False") {
    o.health = Health::Degraded;  // fewer than the minimum available, or the progress deadline passed
    return;
  }
  if (replicas == 0) {
    o.health = Health::Idle;
    return;
  }
  bool rolled_out = generation_observed(object) && number_at(object, "/status/replicas") == replicas &&
                    number_at(object, "/status/updatedReplicas") == replicas &&
                    number_at(object, "/status/readyReplicas") == replicas &&
                    number_at(object, "/status/availableReplicas") == replicas &&
                    field(available, "status") == "True" && !(at(object, "/spec/paused") && *at(object, "/spec/paused") == true);
  if (!rolled_out) return;
  o.health = Health::Healthy;
  // Since the controller last finished a rollout (Progressing's reason
  // turned NewReplicaSetAvailable), and was available since. Available's
  // time alone never dates the version: it stays True through rolling
  // updates, and without a Progressing condition (progressDeadlineSeconds
  // at its maximum drops it) version N+1 would inherit the availability
  // of every earlier one. The status then says no time: the period starts
  // when seen, or continues what was persisted (Tracker::start).
  if (field(progressing, "reason") != "NewReplicaSetAvailable") return;
  o.healthy_since = std::max(time_of(field(available, "lastTransitionTime")),
                             time_of(field(progressing, "lastUpdateTime")));
}

void read_stateful_set(const json& object, ObservedObject& o) {
  std::int64_t replicas = number_at(object, "/spec/replicas", 1);
  if (replicas == 0) {
    o.health = Health::Idle;
    return;
  }
  std::string current = text_at(object, "/status/currentRevision"), update = text_at(object, "/status/updateRevision");
  bool rolled_out = generation_observed(object) && number_at(object, "/status/replicas") == replicas &&
                    number_at(object, "/status/readyReplicas") == replicas &&
                    number_at(object, "/status/updatedReplicas") == replicas &&
                    number_at(object, "/status/availableReplicas", replicas) == replicas && current == update;
  if (rolled_out) o.health = Health::Healthy;
}

void read_daemon_set(const json& object, ObservedObject& o) {
  std::int64_t desired = number_at(object, "/status/desiredNumberScheduled");
  if (generation_observed(object) && desired == 0) {
    o.health = Health::Idle;
    return;
  }
  bool rolled_out = generation_observed(object) && number_at(object, "/status/updatedNumberScheduled") == desired &&
                    number_at(object, "/status/numberReady") == desired &&
                    number_at(object, "/status/numberAvailable") == desired;
  if (rolled_out) o.health = Health::Healthy;
}

// helm-controller v2: status.history[0] is the release in force (newest
// first), Ready says whether it succeeded for the generation observed.
bool read_helm_release(const json& object, ObservedObject& o) {
  const json* source = at(object, "/spec/chart/spec/sourceRef");
  std::string chart = text_at(object, "/status/history/0/chartName");
  std::string version = text_at(object, "/status/history/0/chartVersion");
  if (!source || !source->is_object() || chart.empty() || version.empty()) return false;  // chartRef, or never released
  std::string kind = text_at(*source, "/kind"), name = text_at(*source, "/name"), ns = text_at(*source, "/namespace");
  if (ns.empty()) ns = o.namespace_;
  // Only what a Promotion or Evidence record could name is evidence.
  bool nameable = source_kind_from_string(kind) && !name.empty() && !ns.empty() &&
                  (name + ns).find('/') == std::string::npos &&
                  chart.find_first_of(" \t\n") == std::string::npos && is_exact_chart_version(version);
  if (!nameable) return false;
  o.versions.push_back({EvidenceOf::Chart, RuleSet::chart_key(kind, ns, name, chart), version, {}});
  const json* ready = condition(object, "Ready");
  std::string reason = field(ready, "reason");
  bool current = number_at(object, "/status/observedGeneration", -1) == number_at(object, "/metadata/generation", 0);
  // The release in force failed (install, upgrade or test of this
  // version). After a rollback, history[0] is the version rolled back to,
  // running: neither proof nor failure until Ready again.
  std::string attempted = text_at(object, "/status/lastAttemptedRevision");
  bool failed = text_at(object, "/status/history/0/status") == "failed" ||
                (field(ready, "status") == "False" && reason.ends_with("Failed") &&
                 (attempted.empty() || attempted == version));
  if (current && failed) {
    o.health = Health::Degraded;
  } else if (current && field(ready, "status") == "True" && text_at(object, "/status/history/0/status") == "deployed") {
    o.health = Health::Healthy;
    o.healthy_since = std::max(time_of(field(ready, "lastTransitionTime")),
                               time_of(text_at(object, "/status/history/0/lastDeployed")));
  }
  return true;
}

}  // namespace

std::string environment_of(const RuleSet& rules, const ObservedObject& object) {
  const std::string& ns = object.runs_in;
  if (ns.empty() || rules.exempt_namespaces.matches(ns)) return {};
  auto env = rules.environment_for_namespace(ns);
  return env ? rules.environments[*env].name : std::string();
}

std::optional<ObservedObject> observe(std::string_view kind, const json& object) {
  if (!object.is_object() || !is_evidence_kind(kind)) return std::nullopt;
  ObservedObject o;
  o.kind = std::string(kind);
  o.namespace_ = text_at(object, "/metadata/namespace");
  o.name = text_at(object, "/metadata/name");
  o.runs_in = text_at(object, "/spec/targetNamespace");
  if (o.runs_in.empty()) o.runs_in = o.namespace_;
  if (kind == "HelmRelease") {
    if (!read_helm_release(object, o)) return std::nullopt;
    return o;
  }
  template_images(object, o.versions);
  if (o.versions.empty()) return std::nullopt;
  if (kind == "Deployment") read_deployment(object, o);
  if (kind == "StatefulSet") read_stateful_set(object, o);
  if (kind == "DaemonSet") read_daemon_set(object, o);
  return o;
}

}  // namespace releasegate::evidence
