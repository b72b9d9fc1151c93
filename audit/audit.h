// The background audit: objects as they stand in the cluster, judged by the
// rules in force (engine::evaluate_at_rest), into what the policy reports
// and metrics publish. An Audit takes listed objects one at a time and
// keeps only bounded results, so a cluster is audited page by page.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "audit/inventory.h"
#include "core/kinds.h"
#include "core/rule_set.h"

namespace releasegate::audit {

// A PolicyReport result (wgpolicyk8s.io/v1alpha2 `result`).
enum class Outcome { Pass, Fail, Warn, Error, Skip };
std::string_view to_string(Outcome outcome);

struct ObjectRef {
  std::string api_version, kind, namespace_, name, uid;
};

struct Result {
  ObjectRef object;
  std::string environment;  // empty for a cluster-wide result
  std::string rule;         // a rule's name (image-promotion...), "releasegate" for a pass
  Outcome outcome = Outcome::Pass;
  std::string message;
};

struct Summary {
  std::size_t pass = 0, fail = 0, warn = 0, error = 0, skip = 0;
  void count(Outcome outcome);
};

// One namespace's report: its first results (failures before passes) and
// the count of all of them.
struct NamespaceResults {
  std::vector<Result> results;
  Summary summary;
  std::size_t left_out = 0;  // results beyond the cap, counted in summary
};

struct AuditOptions {
  // Results kept per namespace report: an object in etcd is at most 1.5 MiB,
  // and a result up to about 1.4 KB (its message is capped at 1 KB). The
  // summary counts every result.
  std::size_t max_results_per_namespace = 500;
  // And across namespaces: a memory budget (results are about a kilobyte)
  // whatever the number of namespaces.
  std::size_t max_results = 20'000;
  // The evidence observer's, for the inventory (with the rules' records); may be null.
  const EvidenceSource* observed_evidence = nullptr;
};

struct AuditResult {
  std::map<std::string, NamespaceResults> namespaces;
  // Cluster-wide results: a kind that could not be listed.
  std::vector<Result> cluster_results;
  Inventory inventory;
  // (environment, rule, outcome) -> results, for the metrics.
  std::map<std::tuple<std::string, std::string, Outcome>, std::size_t> counts;
  std::size_t objects = 0;  // judged
  bool complete = true;     // every kind was listed
  std::uint64_t generation = 0;  // of the rule set judged by
  std::chrono::system_clock::time_point started, finished;
};

// The governed kinds in the order they are listed: owners before what they
// own (Deployments and CronJobs, then the other workloads, then Pods), so
// that an ownerReference is trusted only when its owner was listed.
std::vector<const KindInfo*> audit_order();

// Container name -> image, of a pod spec's containers and init containers.
using ContainerImages = std::vector<std::pair<std::string, std::string>>;

class Audit {
 public:
  Audit(const RuleSet& rules, AuditOptions options = {});

  // One object as listed, its JSON text (built-in list items carry no kind
  // or apiVersion: `kind` says them), in audit_order(). It is read by the
  // webhook's own parser, so that the audit decides exactly what admission
  // would, and never becomes a tree. An object a listed
  // controller owns is judged through it: a Deployment's ReplicaSet and a
  // CronJob's Job not at all (an old one runs nothing), a Pod of a listed
  // ReplicaSet, StatefulSet, DaemonSet or Job for everything but provenance,
  // when it runs what its owner's template says: each container and init
  // container the template names with the template's image (or that image
  // pinned to a digest, as the mutating webhook pins Pods), and no
  // ephemeral container. Containers the template does not name (a sidecar
  // another webhook injects) are allowed; their images are judged like every
  // Pod's. Any other ownerReference is no excuse: the object is judged whole.
  void add(const KindInfo& kind, std::string_view object);
  // A kind that could not be listed: an error result, and the audit is not
  // complete. A kind whose CRD is not installed is skipped (`served` false).
  void list_failed(const KindInfo& kind, const std::string& why, bool served);

  AuditResult finish();

 private:
  void record(const std::string& namespace_, Result result);

  const RuleSet& rules_;
  AuditOptions options_;
  AuditResult result_;
  InventoryBuilder inventory_;
  // "Kind/uid" of the listed workloads -> their pod template's images by
  // container name.
  std::unordered_map<std::string, ContainerImages> owners_;
  std::size_t kept_ = 0;                     // results kept, across namespaces
};

}  // namespace releasegate::audit
