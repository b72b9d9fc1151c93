// The Kubernetes API paths, against the tests' fake API server on loopback
// (TLS, the recordings' wire format): the time from a rules ConfigMap's
// watch event to the new rule generation in force, beside the compile of
// the same change without the API (the same-run baseline); an audit of
// 10,000 Deployments through the API beside judging the same objects in
// memory, with the peak memory each adds; and an idle watch's CPU.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>

#include <fstream>
#include <thread>

#include "audit/cluster_audit.h"
#include "core/allocator.h"
#include "bench/generated_rules.h"
#include "runtime/api_rules.h"
#include "tests/support/fake_api_server.h"

namespace {

using namespace releasegate;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kNamespace = "releasegate-system";
constexpr const char* kConfigMaps = "/api/v1/namespaces/releasegate-system/configmaps";

// The generated sources as rules ConfigMaps: the policy's is releasegate-policy.
std::vector<json> config_maps(std::size_t records) {
  std::vector<json> out;
  std::vector<policy::RuleSource> sources = bench::generated_rules(records);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    std::string name = i == 0 ? "releasegate-policy" : "promotions-" + std::to_string(i);
    out.push_back({{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", name}, {"namespace", kNamespace}, {"labels", {{"releasegate.io/rules", "true"}}}}},
                   {"data", {{sources[i].file, sources[i].content}}}});
  }
  return out;
}

policy::LoadOptions load_options() {
  policy::LoadOptions options;
  options.own_namespace = kNamespace;
  return options;
}

// kB from /proc/self/status ("VmRSS", "VmHWM").
long status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
  }
  return 0;
}
// Restarts the peak (VmHWM) from the current RSS (Linux clear_refs 5).
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

void BM_WatchEventToGeneration(benchmark::State& state) {
  testing::FakeApiServer api;
  std::vector<json> maps = config_maps(static_cast<std::size_t>(state.range(0)));
  for (const json& m : maps) api.put(kConfigMaps, m);
  long fake_kb = status_kb("VmRSS");  // the generated ConfigMaps here and in the fake server's store
  runtime::RuleStore store;
  runtime::ApiRules rules(api.client_config(), {{kNamespace}, load_options(), {}, {}, {}}, store);
  rules.start();
  while (!store.current()) std::this_thread::sleep_for(1ms);
  json& edited = maps[maps.size() / 2];
  std::string key = edited["data"].begin().key();
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint64_t generation = store.current()->generation;
    edited["data"][key] = edited["data"][key].get<std::string>() + "# edit " + std::to_string(i++) + "\n";
    auto start = std::chrono::steady_clock::now();
    api.put(kConfigMaps, edited);
    while (store.current()->generation == generation) std::this_thread::sleep_for(50us);
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  // The whole process: the rules in force, the client's copy of the
  // ConfigMaps, and the fake server's own store of them. Free pages are
  // given back first, as the reflector does after each list.
  malloc_trim(0);
  state.counters["process_rss_MB"] = static_cast<double>(status_kb("VmRSS")) / 1024.0;
  state.counters["added_by_the_watch_MB"] = static_cast<double>(status_kb("VmRSS") - fake_kb) / 1024.0;
  rules.stop();
}
BENCHMARK(BM_WatchEventToGeneration)->Arg(10)->Arg(100'000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(20);

// The baseline: the same change compiled without the API.
void BM_ConfigMapChangeCompiled(benchmark::State& state) {
  runtime::RulesConfigMaps maps;
  for (const json& m : config_maps(static_cast<std::size_t>(state.range(0)))) {
    runtime::RulesConfigMap cm = runtime::rules_config_map(json(m));
    maps[cm.namespace_ + "/" + cm.name] = cm;
  }
  runtime::ConfigMapRules compiler;
  if (!compiler.compile(maps, load_options()).result.rules) state.SkipWithError("the rules do not compile");
  auto edited = std::next(maps.begin(), static_cast<long>(maps.size() / 2));
  std::size_t i = 0;
  for (auto _ : state) {
    SharedText& text = edited->second.data.begin()->second;
    text = text.str() + "# edit " + std::to_string(i++) + "\n";
    if (!compiler.compile(maps, load_options()).result.rules) state.SkipWithError("not compiled");
  }
}
BENCHMARK(BM_ConfigMapChangeCompiled)->Arg(10)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(20);

// 10,000 Deployments as the apiserver stores them (the fixture's: 10 KB
// with managedFields), over staging and prod.
std::vector<std::pair<std::string, json>> deployments(std::size_t n) {
  json object = json::parse(bench::read_source_file("bench/fixtures/deployment-create-review.json"))["request"]["object"];
  std::vector<std::pair<std::string, json>> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string ns = i % 2 ? "prod" : "staging";
    object["metadata"]["name"] = "service-" + std::to_string(i);
    object["metadata"]["namespace"] = ns;
    out.emplace_back("/apis/apps/v1/namespaces/" + ns + "/deployments", object);
  }
  return out;
}

std::shared_ptr<const RuleSet> example_rules() {
  policy::LoadResult loaded = policy::load_rules({std::string(RELEASEGATE_SOURCE_DIR) + "/deploy/examples/rules"});
  return loaded.rules;
}

void BM_AuditThroughTheApi(benchmark::State& state) {
  testing::FakeApiServer api;
  for (auto& [collection, object] : deployments(static_cast<std::size_t>(state.range(0)))) api.put(collection, object);
  auto rules = example_rules();
  kube::Client client(api.client_config());
  long added_kb = 0;
  std::size_t objects = 0;
  for (auto _ : state) {
    long before = status_kb("VmRSS");
    reset_peak();
    audit::AuditResult result = audit::audit_cluster(client, *rules);
    objects = result.objects;
    added_kb = std::max(added_kb, status_kb("VmHWM") - before);
  }
  state.counters["objects"] = static_cast<double>(objects);
  state.counters["peak_added_MB"] = static_cast<double>(added_kb) / 1024.0;
}
BENCHMARK(BM_AuditThroughTheApi)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(3);

// The baseline: the same objects judged in memory, all held at once.
void BM_AuditInMemory(benchmark::State& state) {
  std::vector<std::string> texts;
  for (const auto& [collection, object] : deployments(static_cast<std::size_t>(state.range(0)))) {
    texts.push_back(object.dump());
  }
  auto rules = example_rules();
  const KindInfo* kind = find_kind("apps", "Deployment");
  long added_kb = 0;
  for (auto _ : state) {
    long before = status_kb("VmRSS");
    reset_peak();
    audit::Audit audit(*rules);
    for (const std::string& text : texts) audit.add(*kind, text);
    benchmark::DoNotOptimize(audit.finish());
    added_kb = std::max(added_kb, status_kb("VmHWM") - before);
  }
  state.counters["peak_added_MB"] = static_cast<double>(added_kb) / 1024.0;
}
BENCHMARK(BM_AuditInMemory)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(3);

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The process's CPU over 10 s of nothing happening, per minute.
void idle_for_ten_seconds(benchmark::State& state, testing::FakeApiServer& api) {
  double used = 0;
  std::size_t requests = 0;
  for (auto _ : state) {
    std::size_t before_requests = api.request_count();
    double before = process_cpu_seconds();
    std::this_thread::sleep_for(10s);
    used = process_cpu_seconds() - before;
    requests = api.request_count() - before_requests;
  }
  state.counters["cpu_ms_per_minute"] = used * 1000.0 * 6.0;
  state.counters["api_requests"] = static_cast<double>(requests);
}

// A synced watch with nothing happening: the client, its reflector and the
// fake server.
void BM_IdleWatchCpu(benchmark::State& state) {
  testing::FakeApiServer api;
  for (const json& m : config_maps(10)) api.put(kConfigMaps, m);
  runtime::RuleStore store;
  runtime::ApiRules rules(api.client_config(), {{kNamespace}, load_options(), {}, {}, {}}, store);
  rules.start();
  // Idle from here: the list is done and the watch is open.
  while (!store.current() || api.open_watches() == 0) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(1s);
  idle_for_ten_seconds(state, api);
  rules.stop();
}
BENCHMARK(BM_IdleWatchCpu)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The baseline: the fake server alone (its accept loop polls every 20 ms).
void BM_IdleFakeServerCpu(benchmark::State& state) {
  testing::FakeApiServer api;
  for (const json& m : config_maps(10)) api.put(kConfigMaps, m);
  std::this_thread::sleep_for(1s);
  idle_for_ten_seconds(state, api);
}
BENCHMARK(BM_IdleFakeServerCpu)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  releasegate::keep_large_blocks_mapped();  // as releasegate's main
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
