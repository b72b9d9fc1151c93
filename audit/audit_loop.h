// The background audit in `serve`: a cluster audit after every rule-set
// change and at least every interval, published as policy reports, on its
// own thread with its own API connection (nothing here touches a listener).
#pragma once

#include <chrono>
#include <functional>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "audit/cluster_audit.h"
#include "audit/policy_report.h"
#include "kube/client.h"
#include "runtime/rule_store.h"

namespace releasegate::audit {

struct AuditLoopOptions {
  std::chrono::milliseconds interval{std::chrono::minutes(10)};
  // Rule-set changes come in bursts (a merge touching several ConfigMaps):
  // an audit starts once the rules have been quiet this long.
  std::chrono::milliseconds settle{std::chrono::seconds(5)};
  // And at most one audit a minute however often they change: each is a
  // list of the whole cluster, by every replica.
  std::chrono::milliseconds min_gap{std::chrono::minutes(1)};
  ClusterAuditOptions audit;
  ReportOptions reports;
  bool publish = true;
  // When set, audits only while it says so (the leader of several
  // replicas), and at once when it starts saying so.
  std::function<bool()> leading;
  // The evidence observer's evidence (evidence::Observer::current), shown
  // in the inventory; may be empty.
  std::function<std::shared_ptr<const EvidenceSource>()> observed_evidence;
};

struct AuditStatus {
  std::uint64_t runs = 0;       // audits finished
  std::uint64_t incomplete = 0;  // ... of which could not list every kind
  std::uint64_t publish_errors = 0;  // reports that could not be written, over all runs
  // Of the last audit that listed every kind, if any: when it finished,
  // the objects it judged and its results by (environment, rule, outcome).
  std::optional<std::chrono::system_clock::time_point> last_complete;
  std::size_t objects = 0;
  std::map<std::tuple<std::string, std::string, Outcome>, std::size_t> counts;
  std::optional<std::chrono::system_clock::time_point> last_run;
  std::chrono::duration<double> last_duration{0};
  std::vector<std::string> last_errors;  // list and publish errors of the last run
};

class AuditLoop {
 public:
  AuditLoop(const kube::ClientConfig& client, const runtime::RuleStore& store, AuditLoopOptions options);
  ~AuditLoop();
  AuditLoop(const AuditLoop&) = delete;
  AuditLoop& operator=(const AuditLoop&) = delete;

  void start();
  void stop();

  AuditStatus status() const;

 private:
  void run();
  void audit_once(const RuleSet& rules);
  void audit_and_publish(const RuleSet& rules);

  kube::Client client_;
  const runtime::RuleStore& store_;
  AuditLoopOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  AuditStatus status_;
  std::thread thread_;
};

}  // namespace releasegate::audit
