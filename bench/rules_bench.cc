// Rule-set scale: load and compile time as Promotion records grow, the
// memory they take, and decision time against them (lookups are hash
// indexes built at load, so decisions must not grow with the rule set).
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "engine/engine.h"
#include "policy/compiler.h"
#include "admission/admission_review.h"

namespace {

using namespace releasegate;

std::string read(const std::string& path) {
  std::ifstream in(std::string(RELEASEGATE_SOURCE_DIR) + "/" + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// `records` promoted repositories (each with two staging versions and one
// prod digest) spread over files of 500 records, as ConfigMaps would be.
std::vector<policy::RuleSource> generated_rules(std::size_t records) {
  std::vector<policy::RuleSource> sources{{"policy.yaml", read("deploy/examples/rules/release-policy.yaml")}};
  std::string content;
  for (std::size_t i = 0; i < records; ++i) {
    if (i % 500 == 0) {
      if (!content.empty()) sources.push_back({"promotions-" + std::to_string(i) + ".yaml", std::move(content)});
      content = "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: team-" + std::to_string(i) +
                "\nspec:\n  images:\n";
    }
    char digest[65];
    std::snprintf(digest, sizeof digest, "%064zx", i);
    content += "    - repository: ghcr.io/acme/service-" + std::to_string(i) +
               "\n      environments:\n        staging: [\"1.4.0\", \"1.4.1@sha256:" + digest +
               "\"]\n        prod: [\"1.4.1@sha256:" + std::string(digest) + "\"]\n";
  }
  sources.push_back({"promotions-last.yaml", std::move(content)});
  return sources;
}

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
