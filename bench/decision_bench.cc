// Micro-benchmarks of the request path without HTTP: the typed parse, the
// decision, the decision cache and the whole handler, on the 10 KB
// Deployment CREATE review in bench/fixtures, and (where ../shared/corpus is
// beside the checkout) on a corpus Deployment UPDATE and HelmRelease. The
// baseline, measured in the same run, is what a webhook that parses the
// review into a generic JSON tree pays before deciding anything
// (nlohmann::json::parse).
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <sstream>

#include <filesystem>

#include "engine/decision_cache.h"
#include "engine/engine.h"
#include "policy/compiler.h"
#include "runtime/rule_store.h"
#include "admission/admission_handler.h"
#include "server/decision_log.h"
#include "server/log.h"
#include "admission/admission_review.h"
#include "cli/manifest.h"

namespace {

using namespace releasegate;

std::string repository_file(const std::string& relative) {
  std::ifstream in(std::string(RELEASEGATE_SOURCE_DIR) + "/" + relative);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string fixture() { return repository_file("bench/fixtures/deployment-create-review.json"); }

std::optional<std::string> corpus_file(const std::string& relative) {
  std::filesystem::path path = std::filesystem::path(RELEASEGATE_SOURCE_DIR) / ".." / "shared" / "corpus" / relative;
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

nlohmann::json envelope(nlohmann::json request) {
  request["uid"] = "705ab4f5-6393-11e8-b7cc-42010a800002";
  return {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", std::move(request)}};
}

// The corpus's kubectl UPDATE of a Deployment (object and oldObject),
// moved into staging so that it is governed.
std::optional<std::string> update_review() {
  auto text = corpus_file("admission/kubewarden_admissionrequest_deployment_update_with_oldObject.json");
  if (!text) return std::nullopt;
  nlohmann::json request = nlohmann::json::parse(*text);
  request["namespace"] = "staging";
  request["object"]["metadata"]["namespace"] = "staging";
  request["oldObject"]["metadata"]["namespace"] = "staging";
  return envelope(std::move(request)).dump();
}

// The corpus's podinfo HelmRelease (v2, chart.spec.sourceRef, values),
// created in staging by Flux's kustomize-controller.
std::optional<std::string> helm_release_review() {
  std::filesystem::path path = std::filesystem::path(RELEASEGATE_SOURCE_DIR) / ".." / "shared" / "corpus" / "flux" /
                               "flux2-khe_apps_base_podinfo_helmrelease_v2_chart-spec-sourceRef.yaml";
  if (!std::filesystem::exists(path)) return std::nullopt;
  nlohmann::json object = cli::read_manifests(path.string()).manifests.at(0).object;
  object["metadata"]["namespace"] = "staging";
  object["metadata"]["labels"] = {{"kustomize.toolkit.fluxcd.io/name", "apps-staging"},
                                  {"kustomize.toolkit.fluxcd.io/namespace", "flux-system"}};
  return envelope({{"kind", {{"group", "helm.toolkit.fluxcd.io"}, {"version", "v2"}, {"kind", "HelmRelease"}}},
                   {"operation", "CREATE"},
                   {"namespace", "staging"},
                   {"name", "podinfo"},
                   {"userInfo", {{"username", "system:serviceaccount:flux-system:kustomize-controller"}}},
                   {"object", object}})
      .dump();
}

// The walkthrough's Kustomization flux-system/apps-prod, updated by Flux:
// a delivery in a namespace without an environment, governed as prod by
// its role as an approved delivery (the delivery-reach path of subject_of).
std::string delivery_review() {
  std::filesystem::path path = std::filesystem::path(RELEASEGATE_SOURCE_DIR) / "deploy/walkthrough/flux/fleet.yaml";
  nlohmann::json object = cli::read_manifests(path.string()).manifests.at(3).object;
  return envelope({{"kind", {{"group", "kustomize.toolkit.fluxcd.io"}, {"version", "v1"}, {"kind", "Kustomization"}}},
                   {"operation", "UPDATE"},
                   {"namespace", "flux-system"},
                   {"name", "apps-prod"},
                   {"userInfo", {{"username", "system:serviceaccount:flux-system:kustomize-controller"}}},
                   {"object", object},
                   {"oldObject", object}})
      .dump();
}

std::shared_ptr<const RuleSet> example_rules() {
  policy::LoadResult loaded = policy::load_rules({std::string(RELEASEGATE_SOURCE_DIR) + "/deploy/examples/rules"});
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
  for (auto _ : state) benchmark::DoNotOptimize(admission::parse_admission_review(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_TypedParse);

void BM_Decision(benchmark::State& state) {
  auto rules = example_rules();
  auto review = admission::parse_admission_review(fixture()).review;
  for (auto _ : state) benchmark::DoNotOptimize(engine::evaluate(*rules, review->request));
}
BENCHMARK(BM_Decision);

void BM_ParseAndDecision(benchmark::State& state) {
  auto rules = example_rules();
  std::string body = fixture();
  for (auto _ : state) {
    auto parsed = admission::parse_admission_review(body);
    benchmark::DoNotOptimize(engine::evaluate(*rules, parsed.review->request));
  }
}
BENCHMARK(BM_ParseAndDecision);

void parse_and_decide(benchmark::State& state, const std::optional<std::string>& body) {
  if (!body) {
    state.SkipWithError("no ../shared/corpus beside the checkout");
    return;
  }
  auto rules = example_rules();
  for (auto _ : state) {
    auto parsed = admission::parse_admission_review(*body);
    benchmark::DoNotOptimize(engine::evaluate(*rules, parsed.review->request));
  }
}

void BM_ParseAndDecision_CorpusUpdate(benchmark::State& state) { parse_and_decide(state, update_review()); }
BENCHMARK(BM_ParseAndDecision_CorpusUpdate);

void BM_ParseAndDecision_CorpusHelmRelease(benchmark::State& state) { parse_and_decide(state, helm_release_review()); }
BENCHMARK(BM_ParseAndDecision_CorpusHelmRelease);

void BM_ParseAndDecision_DeliveryInFluxSystem(benchmark::State& state) { parse_and_decide(state, delivery_review()); }
BENCHMARK(BM_ParseAndDecision_DeliveryInFluxSystem);

// The README's `kubectl set image` in prod: denied with three violations.
std::string prod_set_image_review() {
  return repository_file("deploy/examples/reviews/deployment-update-prod-kubectl-set-image.json");
}

// A decision answered from the cache: the fingerprint of the typed request
// and one lookup (the parse is BM_TypedParse).
void BM_CacheHit(benchmark::State& state) {
  auto rules = example_rules();
  auto review = admission::parse_admission_review(fixture()).review;
  engine::DecisionCache cache(10'000);
  cache.evaluate(rules, review->request);
  for (auto _ : state) benchmark::DoNotOptimize(cache.evaluate(rules, review->request));
}
BENCHMARK(BM_CacheHit);

// Parse, decide and render the AdmissionReview response: everything but
// HTTP and TLS.
void BM_Handler(benchmark::State& state) {
  runtime::RuleStore store;
  store.publish(example_rules());
  admission::AdmissionHandler handler(store);
  std::string body = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(handler.handle(admission::Endpoint::Validate, body));
}
BENCHMARK(BM_Handler);

// The decision log line of a denied prod CREATE (three violations), as
// written per request: straight into the line (server/decision_log.h).
void BM_DecisionLogLine(benchmark::State& state) {
  runtime::RuleStore store;
  store.publish(example_rules());
  admission::AdmissionHandler handler(store);
  admission::HandledReview handled = handler.handle(admission::Endpoint::Validate, prod_set_image_review());
  for (auto _ : state) {
    JsonWriter line = server::detail::begin_line(server::LogLevel::Info, "decision");
    server::write_decision_fields(line, admission::Endpoint::Validate, handled, 12.5, "");
    benchmark::DoNotOptimize(line.end_object().take());
  }
}
BENCHMARK(BM_DecisionLogLine);

// Its same-run baseline: the same line built as an nlohmann tree and
// dumped, as it was until the JSON writer.
void BM_Baseline_DecisionLogLineAsTree(benchmark::State& state) {
  runtime::RuleStore store;
  store.publish(example_rules());
  admission::AdmissionHandler handler(store);
  admission::HandledReview handled = handler.handle(admission::Endpoint::Validate, prod_set_image_review());
  for (auto _ : state) {
    const AdmissionRequest& r = handled.review->request;
    nlohmann::json fields{{"webhook", "validate"}, {"status", handled.http_status}, {"latencyMicros", 12}};
    fields.update({{"uid", handled.review->uid}, {"user", r.username}, {"kind", r.kind.kind},
                   {"namespace", r.namespace_}, {"name", r.name}, {"operation", to_string(r.operation)},
                   {"dryRun", r.dry_run}});
    fields["decision"] = to_string(*handled.outcome);
    fields["environment"] = handled.decision->environment;
    nlohmann::json violations = nlohmann::json::array();
    for (const Violation& v : handled.decision->violations) {
      violations.push_back({{"rule", to_string(v.rule)}, {"mode", to_string(v.mode)}});
    }
    fields["violations"] = std::move(violations);
    nlohmann::json line{{"time", server::format_time(std::chrono::system_clock::now())}, {"level", "info"},
                        {"msg", "decision"}};
    line.update(fields);
    benchmark::DoNotOptimize(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}
BENCHMARK(BM_Baseline_DecisionLogLineAsTree);

}  // namespace

BENCHMARK_MAIN();
