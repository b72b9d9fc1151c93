#include "server/metrics.h"

#include <algorithm>

#include <prometheus/text_serializer.h>

#include "core/kinds.h"

namespace releasegate::server {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// 50 µs to 5 s: decisions take tens of microseconds; the apiserver gives up
// at the webhook's timeoutSeconds.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

// Kinds are label values only from a fixed set.
std::string kind_label(const AdmissionRequest& request) {
  const KindInfo* kind = find_kind(request.kind.group, request.kind.kind);
  return kind ? std::string(kind->kind) : "other";
}

std::string decision_label(Endpoint endpoint, const HandledReview& handled) {
  if (handled.http_status != 200) return "error";
  if (endpoint == Endpoint::Mutate) return handled.patched_images ? "patch" : "allow";
  return handled.outcome ? std::string(to_string(*handled.outcome)) : "error";
}

// Advances a counter to `total` (a component's own monotonic count).
void advance(prometheus::Counter& counter, double total) {
  if (total > counter.Value()) counter.Increment(total - counter.Value());
}

double seconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& registry, const char* name, const char* help) {
  return BuildCounter().Name(name).Help(help).Register(registry);
}
prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& registry, const char* name, const char* help) {
  return BuildGauge().Name(name).Help(help).Register(registry);
}
prometheus::Family<prometheus::Histogram>& histogram(prometheus::Registry& registry, const char* name,
                                                     const char* help) {
  return BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(counter(*registry_, "releasegate_admission_requests_total",
                        "Admission requests by webhook, kind, operation and decision")),
      duration_(histogram(*registry_, "releasegate_admission_duration_seconds",
                          "Time to parse, decide and render an admission request")),
      violations_(counter(*registry_, "releasegate_violations_total", "Rule violations found, by rule and mode")),
      refusals_(counter(*registry_, "releasegate_http_refusals_total",
                        "Requests refused before reaching a webhook, by HTTP status")),
      break_glass_(counter(*registry_, "releasegate_break_glass_total",
                           "Out-of-band changes let through by break-glass (dry_run: the apiserver persisted "
                           "nothing)")),
      cache_requests_(counter(*registry_, "releasegate_decision_cache_requests_total",
                              "Decisions looked up in the decision cache, by result (hit, miss, bypass)")),
      rule_reloads_(counter(*registry_, "releasegate_rules_reloads_total",
                            "Rule set loads by result (success, failure)")),
      rules_generation_(gauge(*registry_, "releasegate_rules_generation",
                              "Generation of the rule set in force (0: none)").Add({})),
      rules_last_reload_(gauge(*registry_, "releasegate_rules_last_reload_timestamp_seconds",
                               "When the rule set in force was loaded").Add({})),
      rules_watch_connected_(gauge(*registry_, "releasegate_rules_watch_connected",
                                   "1 while every rules namespace is watched through the API; 0 while a watch "
                                   "reconnects (the last good rules keep serving)")),
      rules_held_config_maps_(gauge(*registry_, "releasegate_rules_held_config_maps",
                                    "Rules ConfigMaps whose latest content is invalid, held at their last good content "
                                    "(see /readyz for which)")),
      watch_relists_(counter(*registry_, "releasegate_watch_relists_total",
                             "Lists of a watched collection after its first (a watch ended by 410 Gone, or one that "
                             "failed), by collection path")),
      leading_(gauge(*registry_, "releasegate_leader_election_leading",
                     "1 while this replica leads (audits, writes reports, persists evidence); 0 while another does")),
      cluster_unhosted_(gauge(*registry_, "releasegate_cluster_hosts_no_environment",
                              "1 while environments select clusters, this cluster's identity selects none of them, "
                              "and --cluster-hosts-none is not given: not ready (see /readyz clusterError)")
                            .Add({})),
      certificate_reloads_(counter(*registry_, "releasegate_tls_certificate_reloads_total",
                                   "Serving certificate loads by result (success, failure)")),
      certificate_expiry_(gauge(*registry_, "releasegate_tls_certificate_expiry_timestamp_seconds",
                                "notAfter of the serving certificate in use").Add({})),
      audit_(*registry_),
      evidence_(*registry_) {
  // Both series exist from the start, so that an alert on a real use needs no absent() guard.
  for (const char* dry_run : {"false", "true"}) break_glass_.Add({{"dry_run", dry_run}});
  gauge(*registry_, "releasegate_build_info", "Build information").Add({{"version", RELEASEGATE_VERSION}}).Set(1);
}

// Where the audit runs.
Metrics::AuditFamilies::AuditFamilies(prometheus::Registry& registry)
    : runs(counter(registry, "releasegate_audit_runs_total",
                   "Background audits by result (complete, incomplete: a kind could not be listed)")),
      publish_errors(counter(registry, "releasegate_audit_publish_errors_total",
                             "Policy reports the audit could not write")),
      last_complete(gauge(registry, "releasegate_audit_last_complete_timestamp_seconds",
                          "When the last complete audit finished")),
      duration(gauge(registry, "releasegate_audit_duration_seconds", "How long the last audit took")),
      objects(gauge(registry, "releasegate_audit_objects", "Governed objects judged by the last complete audit")),
      results(gauge(registry, "releasegate_audit_results",
                    "Results of the last complete audit by environment, rule and result")) {}

// Where the evidence observer runs.
Metrics::EvidenceFamilies::EvidenceFamilies(prometheus::Registry& registry)
    : connected(gauge(registry, "releasegate_evidence_watch_connected",
                      "1 when the evidence observer's watches (workloads, HelmReleases) are all open")),
      served(gauge(registry, "releasegate_evidence_kind_served",
                   "1 when the API serves the kind the evidence observer follows; 0 when it does not (no such "
                   "CustomResourceDefinition: nothing of it runs, and nothing is waited for)")),
      objects(gauge(registry, "releasegate_evidence_observed_objects",
                    "Workloads and HelmReleases the evidence observer follows in an environment")),
      versions(gauge(registry, "releasegate_evidence_versions",
                     "Versions with evidence observed in this cluster, by environment and state (proven: healthy now "
                     "or before; degraded: withdrawn until healthy again)")),
      persist_errors(counter(registry, "releasegate_evidence_persist_errors_total",
                             "Writes of the evidence ConfigMap that failed")) {}

Metrics::Observation::Observation(Metrics& metrics, Endpoint endpoint)
    : metrics_(metrics), endpoint_(endpoint), start_(std::chrono::steady_clock::now()) {}

void Metrics::Observation::set_result(const HandledReview& handled) {
  if (handled.review) {
    kind_ = kind_label(handled.review->request);
    dry_run_ = handled.review->request.dry_run;
    operation_ = to_string(handled.review->request.operation);
  }
  decision_ = decision_label(endpoint_, handled);
  if (handled.decision) {
    for (const Violation& v : handled.decision->violations) {
      violations_.emplace_back(to_string(v.rule), to_string(v.mode));
    }
    break_glass_ = handled.decision->break_glass.has_value();
  }
  cache_ = handled.cache;
}

Metrics::Observation::~Observation() {
  std::string webhook(to_string(endpoint_));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  metrics_.duration_.Add({{"webhook", webhook}}, kLatencyBuckets).Observe(seconds);
  metrics_.requests_.Add({{"webhook", webhook}, {"kind", kind_}, {"operation", operation_}, {"decision", decision_}})
      .Increment();
  for (const auto& [rule, mode] : violations_) metrics_.violations_.Add({{"rule", rule}, {"mode", mode}}).Increment();
  if (break_glass_) metrics_.break_glass_.Add({{"dry_run", dry_run_ ? "true" : "false"}}).Increment();
  if (cache_) metrics_.cache_requests_.Add({{"result", std::string(to_string(*cache_))}}).Increment();
}

void Metrics::record_refusal(int status) { refusals_.Add({{"code", std::to_string(status)}}).Increment(); }

std::string Metrics::scrape(const Sources& sources) {
  std::lock_guard<std::mutex> lock(scrape_mutex_);
  if (const runtime::ReloadStatus* rules = sources.rules) {
    advance(rule_reloads_.Add({{"result", "success"}}), static_cast<double>(rules->successes));
    advance(rule_reloads_.Add({{"result", "failure"}}), static_cast<double>(rules->failures));
    rules_generation_.Set(static_cast<double>(rules->generation));
    if (rules->last_success) rules_last_reload_.Set(seconds_since_epoch(*rules->last_success));
  }
  if (sources.rules_watch) scrape_rules_watch(*sources.rules_watch);
  if (sources.audit) scrape_audit(*sources.audit);
  if (sources.evidence) scrape_evidence(*sources.evidence);
  if (sources.leader) leading_.Add({}).Set(sources.leader->leading ? 1 : 0);
  cluster_unhosted_.Set(sources.cluster_unhosted ? 1 : 0);
  const CertificateStatus& certificate = sources.certificate;
  advance(certificate_reloads_.Add({{"result", "success"}}), static_cast<double>(certificate.reloads));
  advance(certificate_reloads_.Add({{"result", "failure"}}), static_cast<double>(certificate.failures));
  if (certificate.not_after) certificate_expiry_.Set(seconds_since_epoch(*certificate.not_after));
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

void Metrics::scrape_rules_watch(const runtime::WatchStatus& watch) {
  rules_watch_connected_.Add({}).Set(watch.connected ? 1 : 0);
  rules_held_config_maps_.Add({}).Set(static_cast<double>(watch.held.size()));
  scrape_reflectors(watch.reflectors);
}

// By collection path: the rules namespaces and the evidence kinds, bounded.
void Metrics::scrape_reflectors(const std::vector<kube::ReflectorStatus>& reflectors) {
  for (const kube::ReflectorStatus& r : reflectors) {
    advance(watch_relists_.Add({{"collection", r.collection}}), static_cast<double>(r.relists()));
  }
}

void Metrics::scrape_audit(const audit::AuditStatus& audit) {
  advance(audit_.runs.Add({{"result", "complete"}}), static_cast<double>(audit.runs - audit.incomplete));
  advance(audit_.runs.Add({{"result", "incomplete"}}), static_cast<double>(audit.incomplete));
  advance(audit_.publish_errors.Add({}), static_cast<double>(audit.publish_errors));
  audit_.duration.Add({}).Set(audit.last_duration.count());
  if (!audit.last_complete) return;
  audit_.last_complete.Add({}).Set(seconds_since_epoch(*audit.last_complete));
  audit_.objects.Add({}).Set(static_cast<double>(audit.objects));
  // Environments and rules are the policy's, results five: bounded. A
  // combination gone from the last audit drops to 0, not out of sight.
  for (auto& [labels, gauge] : audit_.gauges) gauge->Set(0);
  for (const auto& [key, n] : audit.counts) {
    const auto& [environment, rule, outcome] = key;
    prometheus::Gauge*& gauge = audit_.gauges[key];
    if (!gauge) {
      gauge = &audit_.results.Add(
          {{"environment", environment}, {"rule", rule}, {"result", std::string(audit::to_string(outcome))}});
    }
    gauge->Set(static_cast<double>(n));
  }
}

void Metrics::scrape_evidence(const evidence::ObserverStatus& evidence) {
  evidence_.connected.Add({}).Set(evidence.connected ? 1 : 0);
  if (!evidence.idle) {
    for (const evidence::EvidenceCollection& c : evidence::evidence_collections()) {
      bool unserved = std::find(evidence.not_served.begin(), evidence.not_served.end(), c.kind) != evidence.not_served.end();
      evidence_.served.Add({{"kind", c.kind}}).Set(unserved ? 0 : 1);
    }
  }
  scrape_reflectors(evidence.reflectors);
  evidence_.objects.Add({}).Set(static_cast<double>(evidence.objects));
  advance(evidence_.persist_errors.Add({}), static_cast<double>(evidence.persist_errors));
  // By the policy's environments and two states: bounded; gone drops to 0.
  for (auto& [labels, gauge] : evidence_.gauges) gauge->Set(0);
  for (const auto* counts : {&evidence.proven, &evidence.degraded}) {
    std::string state = counts == &evidence.proven ? "proven" : "degraded";
    for (const auto& [environment, n] : *counts) {
      prometheus::Gauge*& gauge = evidence_.gauges[{environment, state}];
      if (!gauge) gauge = &evidence_.versions.Add({{"environment", environment}, {"state", state}});
      gauge->Set(static_cast<double>(n));
    }
  }
}

}  // namespace releasegate::server
