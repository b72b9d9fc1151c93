// Promotion by evidence: what the rule adds to a decision (a prod
// Deployment CREATE, against the same request under the same rules without
// `requires`, measured in the same run), and how soon the observer's
// evidence reflects a workload's change at 10 and 10,000 Deployments
// (against the fake API server in-process).
#include <benchmark/benchmark.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "admission/admission_review.h"
#include "core/time_text.h"
#include "engine/engine.h"
#include "evidence/observer.h"
#include "tests/support/evidence_fixtures.h"
#include "tests/support/fake_api_server.h"

namespace {

using namespace releasegate;
namespace fixtures = releasegate::testing;
using namespace std::chrono_literals;

AdmissionRequest prod_create() {
  fixtures::ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.object = fixtures::deployment("prod", "ghcr.io/acme/podinfo:6.5.1@" + fixtures::kDigest651);
  return admission::parse_admission_review(fixtures::review(spec)).review->request;
}

// `versions` records of other repositories in staging, and podinfo's, 31 minutes healthy.
EvidenceSet observed(std::size_t versions) {
  EvidenceSet set;
  for (std::size_t i = 0; i < versions; ++i) {
    set.add({EvidenceOf::Image, "ghcr.io/acme/service-" + std::to_string(i), "1.0.0", "", "staging", "c", fixtures::kT0,
             fixtures::kT0, true, 0, "", "observed in this cluster"});
  }
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "staging", "c", fixtures::kT0, fixtures::kT0, true, 0,
           "", "observed in this cluster"});
  return set;
}

void BM_Baseline_DecideProdWithoutRequirement(benchmark::State& state) {
  auto rules = fixtures::evidence_rules({}, "").rules;
  AdmissionRequest request = prod_create();
  for (auto _ : state) benchmark::DoNotOptimize(engine::evaluate(*rules, request, {nullptr, fixtures::kT0 + 1860}));
}
BENCHMARK(BM_Baseline_DecideProdWithoutRequirement);

void BM_DecideProdWithEvidence(benchmark::State& state) {
  auto rules = fixtures::evidence_rules().rules;
  AdmissionRequest request = prod_create();
  EvidenceSet set = observed(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    Decision d = engine::evaluate(*rules, request, {&set, fixtures::kT0 + 1860});
    if (!d.violations.empty()) state.SkipWithError("denied");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideProdWithEvidence)->Arg(1)->Arg(10'000);

// `records` signed records of staging-eu-1 in staging (podinfo 6.5.1, 31
// minutes healthy, and other repositories), `per_document` to a document:
// rules sources as `releasegate evidence export` writes them.
std::vector<policy::RuleSource> signed_sources(std::size_t records, std::size_t per_document) {
  std::vector<policy::RuleSource> sources;
  nlohmann::json images = nlohmann::json::array();
  auto flush = [&] {
    nlohmann::json predicate = {{"cluster", "staging-eu-1"}, {"environment", "staging"}, {"images", images}};
    std::string name = "evidence-" + std::to_string(sources.size());
    sources.push_back({name + ".yaml", fixtures::signed_evidence(name, predicate)});
    images = nlohmann::json::array();
  };
  for (std::size_t i = 0; i < records; ++i) {
    std::string repository = i == 0 ? "ghcr.io/acme/podinfo" : "ghcr.io/acme/service-" + std::to_string(i);
    images.push_back({{"repository", repository},
                      {"tag", i == 0 ? "6.5.1" : "1.0.0"},
                      {"healthySince", rfc3339(fixtures::kT0)},
                      {"observedUntil", rfc3339(fixtures::kT0 + 1860)}});
    if (images.size() == per_document) flush();
  }
  if (!images.empty()) flush();
  return sources;
}

// The rules compiled without Evidence, and with 10,000 signed records in
// documents of 1,000 (10 signatures) or of 10 (1,000 signatures): what
// verifying at load costs, per record and per signature.
void BM_Baseline_CompileRulesWithoutEvidence(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fixtures::evidence_rules());
}
BENCHMARK(BM_Baseline_CompileRulesWithoutEvidence)->Unit(benchmark::kMillisecond);

void BM_CompileSignedEvidence(benchmark::State& state) {
  auto records = static_cast<std::size_t>(state.range(0)), per_document = static_cast<std::size_t>(state.range(1));
  std::vector<policy::RuleSource> sources = signed_sources(records, per_document);
  for (auto _ : state) {
    policy::LoadResult loaded = fixtures::evidence_rules(sources);
    if (!loaded.rules || loaded.rules->evidence.size() != records) state.SkipWithError("not compiled");
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["records"] = static_cast<double>(records);
  state.counters["signatures"] = static_cast<double>((records + per_document - 1) / per_document);
}
BENCHMARK(BM_CompileSignedEvidence)->Args({10'000, 1'000})->Args({10'000, 10})->Unit(benchmark::kMillisecond);

// A decision reading the rules' signed records (verified at load): the
// request path is the one BM_DecideProdWithEvidence measures.
void BM_DecideProdWithSignedEvidenceInTheRules(benchmark::State& state) {
  auto rules = fixtures::evidence_rules(signed_sources(10'000, 1'000)).rules;
  AdmissionRequest request = prod_create();
  for (auto _ : state) {
    Decision d = engine::evaluate(*rules, request, {nullptr, fixtures::kT0 + 1860});
    if (!d.violations.empty()) state.SkipWithError("denied");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideProdWithSignedEvidenceInTheRules);

// The same versions as the observer holds them: tracked objects, asked for
// one version under a lock (evidence::Observer::current()'s lookup).
class TrackedEvidence final : public EvidenceSource {
 public:
  explicit TrackedEvidence(std::size_t versions) : tracker_({"c"}) {
    auto track = [&](const std::string& name, const std::string& repository) {
      evidence::ObservedObject o{"Deployment", "staging", name, "staging", {{EvidenceOf::Image, repository, "6.5.1", ""}},
                                 evidence::Health::Healthy, fixtures::kT0};
      tracker_.update(o.describe(), o, "staging", fixtures::kT0);
    };
    for (std::size_t i = 0; i < versions; ++i) track("service-" + std::to_string(i), "ghcr.io/acme/service-" + std::to_string(i));
    track("podinfo", "ghcr.io/acme/podinfo");
  }
  std::vector<EvidenceRecord> records_of(EvidenceOf of, std::string_view key, std::string_view environment,
                                         std::string_view tag, std::string_view digest) const override {
    std::lock_guard lock(mutex_);
    return tracker_.find(of, key, environment, tag, digest, fixtures::kT0 + 1860);
  }

 private:
  mutable std::mutex mutex_;
  evidence::Tracker tracker_;
};

void BM_DecideProdWithTrackedEvidence(benchmark::State& state) {
  auto rules = fixtures::evidence_rules().rules;
  AdmissionRequest request = prod_create();
  TrackedEvidence tracked(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    Decision d = engine::evaluate(*rules, request, {&tracked, fixtures::kT0 + 1860});
    if (!d.violations.empty()) state.SkipWithError("denied");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideProdWithTrackedEvidence)->Arg(1)->Arg(10'000);

// A staging Deployment becoming healthy, to the observer's published evidence.
void BM_ObserverEventToEvidence(benchmark::State& state) {
  fixtures::FakeApiServer api;
  const std::string deployments = "/apis/apps/v1/namespaces/staging/deployments";
  for (long i = 0; i < state.range(0); ++i) {
    nlohmann::json d = fixtures::with_status(
        fixtures::deployment("staging", "ghcr.io/acme/service-" + std::to_string(i) + ":1.0.0"),
        fixtures::Rollout::Complete, fixtures::kT0);
    d["metadata"]["name"] = "service-" + std::to_string(i);
    api.put(deployments, d);
  }
  runtime::RuleStore store;
  store.publish(fixtures::evidence_rules());
  evidence::ObserverOptions options;
  options.namespace_ = "releasegate-system";
  options.config_map.clear();
  evidence::Observer observer(api.client_config(), store, options);
  observer.start();
  while (!observer.status().synced) std::this_thread::sleep_for(1ms);
  int i = 0;
  for (auto _ : state) {
    std::string tag = "6.5." + std::to_string(i++);
    auto start = std::chrono::steady_clock::now();
    api.put(deployments, fixtures::with_status(fixtures::deployment("staging", "ghcr.io/acme/podinfo:" + tag),
                                              fixtures::Rollout::Complete, fixtures::kT0));
    while (observer.current()->records_of(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", tag, "").empty()) {
      std::this_thread::sleep_for(50us);
    }
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  observer.stop();
}
BENCHMARK(BM_ObserverEventToEvidence)->Arg(10)->Arg(10'000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace

namespace {

// The observer's work per routine status update without the API: one
// object among `range(0)` seen again unchanged (a condition's time), and
// admission's lookup of its version. O(1): 10 objects are the baseline.
void BM_TrackerRoutineUpdateAndLookup(benchmark::State& state) {
  evidence::Tracker tracker({"c"});
  for (long i = 0; i < state.range(0); ++i) {
    evidence::ObservedObject o{"Deployment", "staging", "service-" + std::to_string(i), "staging",
                               {{EvidenceOf::Image, "ghcr.io/acme/service-" + std::to_string(i), "1.0.0", ""},
                                {EvidenceOf::Image, "ghcr.io/acme/proxy", "1.20", ""}},
                               evidence::Health::Healthy, fixtures::kT0};
    std::string id = o.describe();  // before the object is moved
    tracker.update(id, std::move(o), "staging", fixtures::kT0);
  }
  const evidence::ObservedObject podinfo{"Deployment", "staging", "podinfo", "staging",
                                         {{EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", ""},
                                          {EvidenceOf::Image, "ghcr.io/acme/proxy", "1.20", ""}},
                                         evidence::Health::Healthy, fixtures::kT0};
  UnixSeconds now = fixtures::kT0;
  tracker.update(podinfo.describe(), podinfo, "staging", now);
  for (auto _ : state) {
    benchmark::DoNotOptimize(tracker.update(podinfo.describe(), podinfo, "staging", ++now));
    benchmark::DoNotOptimize(tracker.find(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", "6.5.1", "", now));
    // The sidecar every object runs: merged once, then remembered.
    benchmark::DoNotOptimize(tracker.find(EvidenceOf::Image, "ghcr.io/acme/proxy", "staging", "1.20", "", now));
  }
}
BENCHMARK(BM_TrackerRoutineUpdateAndLookup)->Arg(10)->Arg(100'000);

}  // namespace
