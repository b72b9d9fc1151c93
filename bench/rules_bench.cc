// Rule-set scale: load and compile time as Promotion records grow, the
// memory they take, and decision time against them (lookups are hash
// indexes built at load, so decisions must not grow with the rule set).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "admission/admission_review.h"
#include "engine/engine.h"
#include "policy/compiler.h"
#include "policy/fragment.h"
#include "policy/incremental_compiler.h"
#include "policy/linker.h"
#include "runtime/rule_reloader.h"
#include "bench/generated_rules.h"

namespace {

using namespace releasegate;

using bench::generated_rules;
const auto read = bench::read_source_file;

void BM_CompileRules(benchmark::State& state) {
  auto sources = generated_rules(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    policy::LoadResult result = policy::compile_rules(sources);
    if (!result.rules) state.SkipWithError(result.errors.front().to_string().c_str());
    benchmark::DoNotOptimize(result);
  }
  state.counters["records"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_CompileRules)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(3);

// Cold load of 100,000 records (201 sources) on `threads` threads: the
// fragments compiled in parallel, then linked. One thread is the baseline.
void BM_ColdLoadThreads(benchmark::State& state) {
  auto sources = generated_rules(100'000);
  std::vector<const policy::RuleSource*> all;
  for (const auto& source : sources) all.push_back(&source);
  for (auto _ : state) {
    std::vector<policy::LinkSource> linked;
    for (auto& f : policy::compile_fragments(all, static_cast<unsigned>(state.range(0)))) linked.push_back({f});
    policy::LoadResult result = policy::link(linked, {});
    if (!result.rules) state.SkipWithError("invalid rules");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ColdLoadThreads)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// One source of 500 records edited in a 100,000-record set, to the new
// generation: that source compiled, everything linked.
void BM_OneSourceChanged(benchmark::State& state) {
  auto sources = generated_rules(100'000);
  policy::IncrementalCompiler compiler;
  auto first = compiler.compile(sources, {});
  const RuleSet& rules = *first.rules;
  std::size_t bytes = rules.promotions.memory_bytes() + rules.chart_promotions.memory_bytes();
  std::string& edited = sources[sources.size() / 2].content;
  std::size_t i = 0;
  for (auto _ : state) {
    edited += "# edit " + std::to_string(i++) + "\n";
    policy::LoadResult result = compiler.compile(sources, {});
    if (!result.rules || compiler.last_compiled() != 1) state.SkipWithError("not one source compiled");
    benchmark::DoNotOptimize(result);
  }
  state.counters["compiled_bytes_per_record"] = static_cast<double>(bytes) / 100'000.0;
}
BENCHMARK(BM_OneSourceChanged)->Unit(benchmark::kMillisecond)->Iterations(20);

// The same through the reloader, from a rules directory on disk (in the
// page cache): every file read and hashed, one compiled, all linked and
// published.
void BM_ReloadOneFileChanged(benchmark::State& state) {
  std::string dir = "/tmp/releasegate-bench-rules";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto sources = generated_rules(100'000);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    std::ofstream(dir + "/" + std::to_string(i) + "-" + sources[i].file) << sources[i].content;
  }
  runtime::RuleStore store;
  runtime::ReloadOptions options;
  options.directories = {dir};
  runtime::RuleReloader reloader(options, store);
  if (!reloader.reload_now()) state.SkipWithError("the rules do not load");
  std::string edited = dir + "/100-" + sources[100].file;
  std::size_t i = 0;
  for (auto _ : state) {
    std::ofstream(edited, std::ios::app) << "# edit " << i++ << "\n";
    if (!reloader.reload_now()) state.SkipWithError("not reloaded");
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ReloadOneFileChanged)->Unit(benchmark::kMillisecond)->Iterations(20);

// A rules edit of that source at admission, as validate_rules_edit does it:
// the keys of its old and new documents read, the edit compiled and linked
// with the fragments in force.
void BM_RulesEditValidation(benchmark::State& state) {
  auto sources = generated_rules(100'000);
  policy::LoadResult in_force = policy::compile_rules(sources);
  const policy::RuleSource& old = sources[sources.size() / 2];
  policy::RuleSource edited{"ConfigMap releasegate-system/team key team.yaml", old.content + "# edited\n"};
  for (auto _ : state) {
    policy::RulesEdit edit{policy::document_keys(edited), {edited}};
    edit.replaced.merge(policy::document_keys(old));
    policy::LoadResult result = policy::compile_edit(*in_force.rules, *in_force.from, edit);
    if (!result.rules) state.SkipWithError(result.errors.front().to_string().c_str());
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_RulesEditValidation)->Unit(benchmark::kMillisecond)->Iterations(20);

// The fixture review (ghcr.io/acme/podinfo in staging) decided against a
// rule set with `records` other repositories promoted as well.
void BM_DecisionAsRecordsGrow(benchmark::State& state) {
  auto sources = generated_rules(static_cast<std::size_t>(state.range(0)));
  sources.push_back({"podinfo.yaml", read("deploy/examples/rules/podinfo-promotion.yaml")});
  auto rules = policy::compile_rules(sources).rules;
  auto review = admission::parse_admission_review(read("bench/fixtures/deployment-create-review.json")).review;
  for (auto _ : state) benchmark::DoNotOptimize(engine::evaluate(*rules, review->request));
}
BENCHMARK(BM_DecisionAsRecordsGrow)->Arg(10)->Arg(1000)->Arg(100000);

}  // namespace
