// The evidence observer at cluster scale (bench/README.md, "Observer at
// scale"): N Deployments of the fixture's size (10 KB with managedFields,
// in staging, Available) listed cluster-wide through the fake API server,
// then a status-update storm on the watch at a fixed rate. Measured, each
// against a same-run baseline that lists and watches the same way with a
// reflector whose handlers keep nothing:
//   - memory the observer adds once synced (RSS after malloc_trim, bytes
//     allocated, and the peak while listing), each run in its own process;
//   - CPU per watch event during the storm (process CPU time).
// The fake server makes its objects as it sends them (a page at a time, no
// store), so its own memory stays flat.
//
//   releasegate_observer_scale [OBJECTS (100000)] [EVENTS (5000)] [RATE/s (1000)]
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <thread>

#include "bench/process_measure.h"
#include "core/allocator.h"
#include "evidence/observer.h"
#include "kube/reflector.h"
#include "tests/support/evidence_fixtures.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/test_support.h"

using namespace releasegate;
namespace fixtures = releasegate::testing;
using nlohmann::json;

namespace {

const std::string kDeployments = "/apis/apps/v1/deployments";

// The fixture's Deployment (managedFields, probes, resources), Available.
json deployment_template() {
  json review = json::parse(fixtures::read_file(fixtures::source_dir() / "bench/fixtures/deployment-create-review.json"));
  json d = fixtures::with_status(review["request"]["object"], fixtures::Rollout::Complete, fixtures::kT0);
  d["metadata"]["namespace"] = "staging";
  d["apiVersion"] = "apps/v1";
  d["kind"] = "Deployment";
  return d;
}

json deployment(const json& base, long i, long rv) {
  json d = base;
  d["metadata"]["name"] = "service-" + std::to_string(i);
  d["metadata"]["uid"] = "00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
  d["metadata"]["resourceVersion"] = std::to_string(rv);
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/service-" + std::to_string(i) + ":1.0.0";
  return d;
}

// Lists of `objects` Deployments made page by page, and a watch that
// streams `events` status updates at `rate` a second, then stays open.
void serve_cluster(fixtures::FakeApiServer& api, long objects, long events, long rate) {
  auto base = std::make_shared<json>(deployment_template());
  const long list_rv = 1'000'000;
  api.set_handler([=](const fixtures::FakeRequest& request) -> std::optional<fixtures::FakeReply> {
    if (request.path != kDeployments) return std::nullopt;
    if (request.query.count("watch")) {
      fixtures::FakeReply reply;
      reply.then(fixtures::FakeReply::chunked_head());
      const long batch = std::max(1L, rate / 100);  // a chunk every 10 ms
      for (long sent = 0; sent < events; sent += batch) {
        std::string chunk;
        for (long k = sent; k < std::min(events, sent + batch); ++k) {
          json d = deployment(*base, (k * 7919) % objects, list_rv + 1 + k);
          // A controller's routine write: the health it shows does not change.
          d["status"]["conditions"][1]["lastUpdateTime"] = "2026-12-07T04:" + std::to_string(10 + k % 50) + ":00Z";
          chunk += json{{"type", "MODIFIED"}, {"object", d}}.dump() + "\n";
        }
        reply.then(fixtures::FakeReply::chunk(chunk), std::chrono::milliseconds(10));
      }
      reply.after = fixtures::FakeReply::After::Stall;
      return reply;
    }
    long start = request.query.count("continue") ? std::stol(request.query.at("continue")) : 0;
    long limit = request.query.count("limit") ? std::stol(request.query.at("limit")) : objects;
    json items = json::array();
    for (long i = start; i < std::min(objects, start + limit); ++i) items.push_back(deployment(*base, i, 1000 + i));
    std::string next = start + limit < objects ? std::to_string(start + limit) : "";
    json list = {{"kind", "DeploymentList"}, {"apiVersion", "apps/v1"},
                 {"metadata", {{"resourceVersion", std::to_string(list_rv)}, {"continue", next}}}, {"items", items}};
    return fixtures::FakeReply::json(200, list);
  });
}

struct Run {
  double synced_mb = 0;   // RSS added once synced, after the storm
  double heap_mb = 0;     // of which allocated (the rest: free memory the allocator keeps)
  double peak_mb = 0;     // the most RSS added while listing
  double cpu_per_event_us = 0;
  double seconds_to_sync = 0;
};

template <class Start, class Synced, class Stop>
Run measure_here(long objects, long events, long rate, Start start, Synced synced, Stop stop) {
  fixtures::FakeApiServer api;
  serve_cluster(api, objects, events, rate);
  double before = bench::rss_mb();
  double heap_before = bench::heap_mb();
  bench::reset_peak();
  auto began = std::chrono::steady_clock::now();
  start(api);
  while (!synced()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Run run;
  run.seconds_to_sync = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  // The storm: from the first event to the last, at the set rate.
  double cpu_before = bench::cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000 * events / rate + 500));
  run.cpu_per_event_us = (bench::cpu_seconds() - cpu_before) * 1e6 / static_cast<double>(events);
  // Memory at rest, after the storm: no snapshot of the listing is still
  // being made (the peak counts those).
  run.synced_mb = bench::rss_mb() - before;
  run.heap_mb = bench::heap_mb() - heap_before;
  run.peak_mb = bench::peak_mb() - before;
  stop();
  return run;
}

// Each run in a process of its own (forked before any thread starts).
template <class... Steps>
Run measure(Steps... steps) {
  return bench::in_own_process<Run>([&] { return measure_here(steps...); });
}

}  // namespace

int main(int argc, char** argv) {
  keep_large_blocks_mapped();  // as releasegate's main
  long objects = argc > 1 ? std::stol(argv[1]) : 100'000;
  long events = argc > 2 ? std::stol(argv[2]) : 5'000;
  long rate = argc > 3 ? std::stol(argv[3]) : 1'000;

  // Baseline: the same lists and watch, into a reflector that keeps nothing.
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<kube::Reflector> reflector;
  Run baseline = measure(
      objects, events, rate,
      [&](fixtures::FakeApiServer& api) {
        client = std::make_unique<kube::Client>(api.client_config());
        kube::ReflectorOptions options;
        options.path = kDeployments;
        reflector = std::make_unique<kube::Reflector>(*client, options, kube::ReflectorHandlers{});
        reflector->start();
      },
      [&] { return reflector->status().synced; },
      [&] {
        reflector->stop();
        reflector.reset();
        client.reset();
      });

  runtime::RuleStore store;
  store.publish(fixtures::evidence_rules());
  std::unique_ptr<evidence::Observer> observer;
  Run observed = measure(
      objects, events, rate,
      [&](fixtures::FakeApiServer& api) {
        evidence::ObserverOptions options;
        options.namespace_ = "releasegate-system";
        options.config_map.clear();
        observer = std::make_unique<evidence::Observer>(api.client_config(), store, options);
        observer->start();
      },
      [&] {
        // Listed, and a snapshot of every object published.
        evidence::ObserverStatus status = observer->status();
        return status.synced && status.objects == static_cast<std::size_t>(objects) &&
               status.records >= static_cast<std::size_t>(objects);
      },
      [&] {
        observer->stop();
        observer.reset();
      });

  std::printf(
      "| run | objects | synced in s | RSS added, synced and at rest (MB) | of which allocated (MB) | peak RSS added (MB) "
      "| CPU per event (us), %ld events at %ld/s |\n",
      events, rate);
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  std::printf("| baseline: reflector keeping nothing | %ld | %.1f | %.1f | %.1f | %.1f | %.1f |\n", objects,
              baseline.seconds_to_sync, baseline.synced_mb, baseline.heap_mb, baseline.peak_mb,
              baseline.cpu_per_event_us);
  std::printf("| evidence observer | %ld | %.1f | %.1f | %.1f | %.1f | %.1f |\n", objects, observed.seconds_to_sync,
              observed.synced_mb, observed.heap_mb, observed.peak_mb, observed.cpu_per_event_us);
  std::printf("observer's own: %.1f MB (%.1f MB allocated), %.1f us of CPU per event (%.1f%% of a core at %ld events/s)\n",
              observed.synced_mb - baseline.synced_mb, observed.heap_mb - baseline.heap_mb,
              observed.cpu_per_event_us - baseline.cpu_per_event_us,
              (observed.cpu_per_event_us - baseline.cpu_per_event_us) * static_cast<double>(rate) / 1e4, rate);
  return 0;
}
