// Micro-benchmarks of the request path without HTTP: the typed parse, the
// decision, and the whole handler, on the 10 KB Deployment CREATE review in
// bench/fixtures. The baseline, measured in the same run, is what a webhook
// that parses the review into a generic JSON tree pays before deciding
// anything (nlohmann::json::parse).
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <sstream>

#include "rules/engine.h"
#include "rules/rule_loader.h"
#include "rules/rule_store.h"
#include "webhook/admission_handler.h"
#include "webhook/admission_review.h"

namespace {

using namespace releasegate;

std::string fixture() {
  std::ifstream in(std::string(RELEASEGATE_SOURCE_DIR) + "/bench/fixtures/deployment-create-review.json");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::shared_ptr<const rules::RuleSet> example_rules() {
  rules::LoadResult loaded = rules::load_rules({std::string(RELEASEGATE_SOURCE_DIR) + "/deploy/examples/rules"});
  if (!loaded.rules) throw std::runtime_error(loaded.errors.front().to_string());
  return loaded.rules;
}

void BM_Baseline_NlohmannParse(benchmark::State& state) {
  std::string body = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_Baseline_NlohmannParse);

void BM_SimdjsonDomOnly(benchmark::State& state) {
  std::string body = fixture();
  simdjson::dom::parser parser;
  for (auto _ : state) benchmark::DoNotOptimize(parser.parse(body).error());
}
BENCHMARK(BM_SimdjsonDomOnly);

void BM_TypedParse(benchmark::State& state) {
  std::string body = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(webhook::parse_admission_review(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_TypedParse);

void BM_Decision(benchmark::State& state) {
  auto rules = example_rules();
  auto review = webhook::parse_admission_review(fixture()).review;
  for (auto _ : state) benchmark::DoNotOptimize(rules::evaluate(*rules, review->request));
}
BENCHMARK(BM_Decision);

void BM_ParseAndDecision(benchmark::State& state) {
  auto rules = example_rules();
  std::string body = fixture();
  for (auto _ : state) {
    auto parsed = webhook::parse_admission_review(body);
    benchmark::DoNotOptimize(rules::evaluate(*rules, parsed.review->request));
  }
}
BENCHMARK(BM_ParseAndDecision);

// Parse, decide and render the AdmissionReview response: everything but
// HTTP and TLS.
void BM_Handler(benchmark::State& state) {
  rules::RuleStore store;
  store.publish(example_rules());
  webhook::AdmissionHandler handler(store);
  std::string body = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(handler.handle(webhook::Endpoint::Validate, body));
}
BENCHMARK(BM_Handler);

}  // namespace

BENCHMARK_MAIN();
