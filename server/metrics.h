// Every Prometheus metric releasegate exports, defined in this one place and
// served as text on the plain-HTTP listener's /metrics. Label values are
// bounded: webhook, a fixed set of kinds, operation, decision, rule, mode,
// status code; never object names, namespaces or images.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <map>
#include <string>
#include <tuple>

#include "audit/audit_loop.h"
#include "evidence/observer.h"
#include "kube/leader_election.h"
#include "runtime/rules_feed.h"
#include "admission/admission_handler.h"
#include "server/certificate_store.h"

namespace releasegate::server {

using admission::Endpoint;
using admission::HandledReview;

class Metrics {
 public:
  Metrics();

  // One admission request, recorded when the Observation is destroyed, so
  // every exit path is counted (an exception counts as decision "error").
  class Observation {
   public:
    Observation(Metrics& metrics, Endpoint endpoint);
    ~Observation();
    Observation(const Observation&) = delete;
    Observation& operator=(const Observation&) = delete;
    // Takes what the labels need from the result (the result itself may
    // be gone by the time this Observation is destroyed).
    void set_result(const HandledReview& handled);

   private:
    Metrics& metrics_;
    Endpoint endpoint_;
    std::chrono::steady_clock::time_point start_;
    std::string kind_ = "other";
    std::string operation_;
    std::string decision_ = "error";
    std::vector<std::pair<std::string, std::string>> violations_;  // rule, mode
    bool break_glass_ = false;
    bool dry_run_ = false;
    std::optional<engine::CacheResult> cache_;
  };

  // A request the listener refused before it reached a webhook (413, 411...).
  void record_refusal(int status);

  // Text exposition format. Reload and certificate counters are derived
  // here from the components' own status, their single source of truth.
  // Each component's status, null for one not running.
  struct Sources {
    const runtime::ReloadStatus* rules = nullptr;
    const runtime::WatchStatus* rules_watch = nullptr;  // rules from the API
    const audit::AuditStatus* audit = nullptr;
    const evidence::ObserverStatus* evidence = nullptr;  // the evidence observer
    const kube::LeaderStatus* leader = nullptr;          // the leader election
    CertificateStatus certificate;
    // Rules that select clusters, none of them this one, and no
    // --cluster-hosts-none (policy::unhosted_cluster): not ready.
    bool cluster_unhosted = false;
  };
  std::string scrape(const Sources& sources);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& violations_;
  prometheus::Family<prometheus::Counter>& refusals_;
  prometheus::Family<prometheus::Counter>& break_glass_;  // by dry_run: a dry run is not a use
  prometheus::Family<prometheus::Counter>& cache_requests_;
  prometheus::Family<prometheus::Counter>& rule_reloads_;
  prometheus::Gauge& rules_generation_;
  prometheus::Gauge& rules_last_reload_;
  // The rules watch's and the audit's series exist only where they run (an
  // alert on them must not fire where they do not).
  prometheus::Family<prometheus::Gauge>& rules_watch_connected_;
  prometheus::Family<prometheus::Gauge>& rules_held_config_maps_;
  prometheus::Family<prometheus::Counter>& watch_relists_;
  prometheus::Family<prometheus::Gauge>& leading_;  // exists only where the election runs
  prometheus::Gauge& cluster_unhosted_;
  prometheus::Family<prometheus::Counter>& certificate_reloads_;
  prometheus::Gauge& certificate_expiry_;
  struct AuditFamilies {
    explicit AuditFamilies(prometheus::Registry& registry);
    prometheus::Family<prometheus::Counter>& runs;
    prometheus::Family<prometheus::Counter>& publish_errors;
    prometheus::Family<prometheus::Gauge>& last_complete;
    prometheus::Family<prometheus::Gauge>& duration;
    prometheus::Family<prometheus::Gauge>& objects;
    prometheus::Family<prometheus::Gauge>& results;
    std::map<std::tuple<std::string, std::string, audit::Outcome>, prometheus::Gauge*> gauges;
  };
  struct EvidenceFamilies {
    explicit EvidenceFamilies(prometheus::Registry& registry);
    prometheus::Family<prometheus::Gauge>& connected;
    prometheus::Family<prometheus::Gauge>& served;
    prometheus::Family<prometheus::Gauge>& objects;
    prometheus::Family<prometheus::Gauge>& versions;
    prometheus::Family<prometheus::Counter>& persist_errors;
    std::map<std::pair<std::string, std::string>, prometheus::Gauge*> gauges;
  };
  AuditFamilies audit_;
  EvidenceFamilies evidence_;
  std::mutex scrape_mutex_;
  void scrape_rules_watch(const runtime::WatchStatus& watch);
  void scrape_audit(const audit::AuditStatus& audit);  // derived counters are advanced by one scrape at a time
  void scrape_evidence(const evidence::ObserverStatus& evidence);
  void scrape_reflectors(const std::vector<kube::ReflectorStatus>& reflectors);
};

}  // namespace releasegate::server
