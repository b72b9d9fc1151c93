// The background audit at cluster scale (bench/README.md, "Audit at
// scale"): OBJECTS governed objects of realistic sizes, a quarter each
// Deployments and ReplicaSets and half Pods (each Deployment's ReplicaSet
// and its two Pods, all with managedFields, over staging and prod), listed
// cluster-wide through the fake API server, 250 a page, and judged by the
// example rules. Measured against a same-run baseline that lists the same
// pages and keeps nothing: wall time, CPU time of the auditing thread (the
// client's reads, TLS and page reading included) and of the process (the
// fake server's included), and the peak memory added. Each run in a
// process of its own. The fake server makes its pages by substituting
// names into prepared text, so that its own share stays small. A third
// run reads the Deployments from a reflector's list (Reflector::list_now,
// as the evidence observer lends its lists to the audit in `serve`), the
// reflector synced before it is measured.
//
//   releasegate_audit_scale [OBJECTS (100000)]
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/cluster_audit.h"
#include "kube/reflector.h"
#include "bench/process_measure.h"
#include "core/allocator.h"
#include "policy/rule_files.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/test_support.h"

using namespace releasegate;
namespace fixtures = releasegate::testing;
using nlohmann::json;

namespace {

// An object's text with "%I%" where its index goes and "%A%" where its
// app's (a Pod's ReplicaSet).
class TextTemplate {
 public:
  explicit TextTemplate(const std::string& text) {
    std::size_t from = 0;
    for (std::size_t at = text.find('%'); at != std::string::npos; at = text.find('%', at + 1)) {
      std::string_view marker = std::string_view(text).substr(at, 3);
      if (marker != "%I%" && marker != "%A%") continue;
      pieces_.push_back(text.substr(from, at - from));
      app_.push_back(marker == "%A%");
      from = at + 3;
      at += 2;
    }
    pieces_.push_back(text.substr(from));
  }
  void render(long index, long app, std::string& out) const {
    std::string i = std::to_string(index), a = std::to_string(app);
    out += pieces_[0];
    for (std::size_t p = 1; p < pieces_.size(); ++p) out += (app_[p - 1] ? a : i) + pieces_[p];
  }

 private:
  std::vector<std::string> pieces_;
  std::vector<bool> app_;  // after each piece but the last: the app's index, else the object's
};

json owner(const char* kind, const std::string& name, const std::string& uid) {
  return json::array({{{"apiVersion", "apps/v1"}, {"kind", kind}, {"name", name}, {"uid", uid},
                       {"controller", true}, {"blockOwnerDeletion", true}}});
}

// The fixture's Deployment (10 KB: managedFields, probes, resources, an
// init container) as a list item, and a ReplicaSet and a Pod made from it.
struct Kinds {
  TextTemplate deployment, replica_set, pod;
};

Kinds kinds(const std::string& namespace_) {
  json review = json::parse(fixtures::read_file(fixtures::source_dir() / "bench/fixtures/deployment-create-review.json"));
  json d = review["request"]["object"];
  d.erase("kind");
  d.erase("apiVersion");
  d["metadata"]["namespace"] = namespace_;
  d["metadata"]["name"] = "app-%I%";
  d["metadata"]["uid"] = "d-%I%";
  d["metadata"]["resourceVersion"] = "1%I%";
  d["status"] = {{"observedGeneration", 1}, {"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 2},
                 {"availableReplicas", 2}};

  json rs = d;
  rs["metadata"]["name"] = "app-%I%-5d8f7c9b4";
  rs["metadata"]["uid"] = "rs-%I%";
  rs["metadata"]["ownerReferences"] = owner("Deployment", "app-%I%", "d-%I%");
  rs["metadata"]["annotations"] = {{"deployment.kubernetes.io/desired-replicas", "2"},
                                   {"deployment.kubernetes.io/max-replicas", "3"},
                                   {"deployment.kubernetes.io/revision", "1"}};
  rs["spec"].erase("strategy");
  rs["status"] = {{"replicas", 2}, {"fullyLabeledReplicas", 2}, {"readyReplicas", 2}, {"availableReplicas", 2},
                  {"observedGeneration", 1}};

  json pod = {{"metadata", d["metadata"]}, {"spec", d["spec"]["template"]["spec"]}};
  pod["metadata"]["name"] = "app-%A%-5d8f7c9b4-%I%";
  pod["metadata"]["uid"] = "p-%I%";
  pod["metadata"]["labels"] = d["spec"]["template"]["metadata"]["labels"];
  pod["metadata"]["ownerReferences"] = owner("ReplicaSet", "app-%A%-5d8f7c9b4", "rs-%A%");
  pod["spec"]["nodeName"] = "node-%I%";
  pod["spec"]["serviceAccountName"] = "default";
  json statuses = json::array();
  for (const json& c : pod["spec"]["containers"]) {
    statuses.push_back({{"name", c["name"]}, {"image", c["image"]},
                        {"imageID", "ghcr.io/acme/podinfo@sha256:" + std::string(64, 'a')},
                        {"containerID", "containerd://" + std::string(64, 'b')}, {"ready", true},
                        {"restartCount", 0}, {"started", true},
                        {"state", {{"running", {{"startedAt", "2026-12-07T09:00:00Z"}}}}}});
  }
  pod["status"] = {{"phase", "Running"}, {"hostIP", "10.0.0.1"}, {"podIP", "10.1.0.%I%"},
                   {"startTime", "2026-12-07T09:00:00Z"}, {"containerStatuses", statuses},
                   {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}};
  return {TextTemplate(d.dump()), TextTemplate(rs.dump()), TextTemplate(pod.dump())};
}

// A page of a list of `objects` objects: app i (a Deployment, its
// ReplicaSet, two Pods) in staging when i is even, else in prod. Every
// other collection the audit lists is empty.
std::string page_text(const std::vector<Kinds>& made, long objects, const std::string& path, long start, long limit) {
  const long apps = objects / 4;
  int kind = path == "/apis/apps/v1/deployments"    ? 0
             : path == "/apis/apps/v1/replicasets" ? 1
             : path == "/api/v1/pods"              ? 2
                                                   : -1;
  long count = kind < 0 ? 0 : kind == 2 ? 2 * apps : apps;
  std::string items;
  for (long n = start; n < std::min(count, start + limit); ++n) {
    if (!items.empty()) items += ',';
    long app = kind == 2 ? n / 2 : n;
    const Kinds& k = made[app % 2];
    const TextTemplate& text = kind == 0 ? k.deployment : kind == 1 ? k.replica_set : k.pod;
    text.render(n, app, items);
  }
  std::string next = start + limit < count ? std::to_string(start + limit) : "";
  return R"({"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"5000000","continue":")" + next +
         R"("},"items":[)" + items + "]}";
}

// The audit's pages (250 objects) are made before anything is measured, as
// a real apiserver's are made in another process: what is measured is
// releasegate's side of the connection and the fake server's sending.
void serve_cluster(fixtures::FakeApiServer& api, long objects) {
  std::vector<Kinds> made{kinds("staging"), kinds("prod")};
  auto pages = std::make_shared<std::map<std::pair<std::string, long>, std::string>>();
  for (const char* path : {"/apis/apps/v1/deployments", "/apis/apps/v1/replicasets", "/api/v1/pods"}) {
    for (long start = 0; start == 0 || start < objects / 2; start += 250) {
      (*pages)[{path, start}] = page_text(made, objects, path, start, 250);
    }
  }
  api.set_handler([=](const fixtures::FakeRequest& request) -> std::optional<fixtures::FakeReply> {
    if (request.query.count("watch")) {  // a watch that stays silent
      fixtures::FakeReply silent;
      silent.then(fixtures::FakeReply::chunked_head());
      silent.after = fixtures::FakeReply::After::Stall;
      return silent;
    }
    long start = request.query.count("continue") ? std::stol(request.query.at("continue")) : 0;
    long limit = request.query.count("limit") ? std::stol(request.query.at("limit")) : 500;
    auto page = pages->find({request.path, start});
    if (limit == 250 && page != pages->end()) return fixtures::FakeReply::plain(200, "application/json", page->second);
    return fixtures::FakeReply::plain(200, "application/json", page_text(made, objects, request.path, start, limit));
  });
}

struct Run {
  double seconds = 0;
  double thread_cpu = 0;   // the listing and judging thread's
  double process_cpu = 0;  // with the fake server's
  double peak_mb = 0;      // peak RSS added
  std::size_t objects = 0;  // judged (the audit) or listed (the baseline)
};

// The evidence observer's reflector of Deployments, synced, keeping nothing.
struct DeploymentWatch {
  kube::Client client;
  kube::Reflector reflector;
  static kube::ReflectorOptions options() {
    kube::ReflectorOptions o;
    o.path = "/apis/apps/v1/deployments";
    o.list.limit = 250;
    return o;
  }
  explicit DeploymentWatch(const kube::ClientConfig& config)
      : client(config), reflector(client, options(), kube::ReflectorHandlers{}) {}
};

template <class Work>
Run measure(long objects, Work work, bool shared = false) {
  return bench::in_own_process<Run>([&] {
    fixtures::FakeApiServer api;
    serve_cluster(api, objects);
    kube::Client client(api.client_config());
    std::unique_ptr<DeploymentWatch> watch;
    if (shared) {
      watch = std::make_unique<DeploymentWatch>(api.client_config());
      watch->reflector.start();
      while (!watch->reflector.status().watching) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return_free_memory();
    }
    kube::Reflector* reflector = watch ? &watch->reflector : nullptr;
    double before = bench::rss_mb();
    bench::reset_peak();
    double thread_before = bench::cpu_seconds(RUSAGE_THREAD), process_before = bench::cpu_seconds();
    auto began = std::chrono::steady_clock::now();
    Run run;
    run.objects = work(client, reflector);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    run.thread_cpu = bench::cpu_seconds(RUSAGE_THREAD) - thread_before;
    run.process_cpu = bench::cpu_seconds() - process_before;
    run.peak_mb = bench::peak_mb() - before;
    return run;
  });
}

}  // namespace

int main(int argc, char** argv) {
  keep_large_blocks_mapped();  // as releasegate's main
  long objects = argc > 1 ? std::stol(argv[1]) : 100'000;
  policy::LoadResult loaded = policy::load_rules({(fixtures::source_dir() / "deploy/examples/rules").string()});
  if (!loaded.rules) {
    std::fprintf(stderr, "the example rules do not load\n");
    return 1;
  }
  const RuleSet& rules = *loaded.rules;

  Run listed = measure(objects, [](kube::Client& client, kube::Reflector*) {
    std::size_t items = 0;
    for (const KindInfo* kind : audit::audit_order()) {
      kube::ListOptions list;
      list.limit = 250;
      std::string path = kube::resource_path(std::string(kind->group), std::string(listed_version(kind->group)),
                                             std::string(kind->resource));
      items += client.list_text(path, list, [](std::string_view) { return true; }).items;
    }
    return items;
  });
  Run audited = measure(objects, [&](kube::Client& client, kube::Reflector*) {
    audit::AuditResult result = audit::audit_cluster(client, rules);
    return result.complete ? result.objects : 0;
  });
  Run shared = measure(
      objects,
      [&](kube::Client& client, kube::Reflector* deployments) {
        audit::ClusterAuditOptions options;
        options.shared_list = [&](const std::string& path, const kube::Reflector::ItemText& each) {
          return path == "/apis/apps/v1/deployments" ? deployments->list_now(each) : std::nullopt;
        };
        audit::AuditResult result = audit::audit_cluster(client, rules, options);
        return result.complete ? result.objects : 0;
      },
      /*shared=*/true);

  std::printf("| run | objects | wall s | auditing thread CPU s | process CPU s | peak RSS added MB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  std::printf("| baseline: the same lists, nothing kept | %zu | %.2f | %.2f | %.2f | %.1f |\n", listed.objects,
              listed.seconds, listed.thread_cpu, listed.process_cpu, listed.peak_mb);
  std::printf("| audit | %zu judged | %.2f | %.2f | %.2f | %.1f |\n", audited.objects, audited.seconds,
              audited.thread_cpu, audited.process_cpu, audited.peak_mb);
  std::printf("| audit, Deployments from a reflector's list | %zu judged | %.2f | %.2f | %.2f | %.1f |\n", shared.objects,
              shared.seconds, shared.thread_cpu, shared.process_cpu, shared.peak_mb);
  std::printf("the audit's own: %.2f s of wall time, %.2f s of CPU, %.1f MB of peak memory\n",
              audited.seconds - listed.seconds, audited.thread_cpu - listed.thread_cpu,
              audited.peak_mb - listed.peak_mb);
  return 0;
}
