#include "engine/decision_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

#include "engine/engine.h"
#include "policy/compiler.h"
#include "tests/support/test_support.h"
#include "admission/admission_review.h"

namespace releasegate::engine {
namespace {

// Every field the engine reads set to something, so that a change to any one
// of them can be seen in the fingerprint.
AdmissionRequest full_request() {
  AdmissionRequest r;
  r.kind = {"apps", "v1", "Deployment"};
  r.operation = Operation::Update;
  r.namespace_ = "prod";
  r.name = "podinfo";
  r.username = "jane";
  r.groups = {"platform-oncall"};
  ObjectView o;
  o.name = "podinfo";
  o.namespace_ = "prod";
  o.labels.set("kustomize.toolkit.fluxcd.io/name", "apps");
  o.annotations.set("releasegate.io/break-glass", "INC-1");
  o.images.push_back({ContainerList::Containers, 0, "web", "ghcr.io/acme/podinfo:6.5.0"});
  o.helm_chart = HelmChart{"podinfo", "6.5.0", "HelmRepository", "podinfo", "flux-system", false};
  o.target_namespace = "prod";
  o.source_location = SourceLocation{"https://github.com/acme/fleet", "main", "v1", "1.x", "abc", "refs/heads/main", "d"};
  o.source_ref = SourceReference{"GitRepository", "fleet", "flux-system"};
  o.application_sources.push_back({"https://github.com/acme/fleet", "main", "podinfo"});
  o.helm_values.set("image.tag", "6.5.0");
  o.data.emplace_back("policy.yaml", "kind: ReleasePolicy");
  r.object = o;
  r.old_object = o;
  r.changed_paths = {"/spec/replicas"};
  r.changed_paths_complete = true;
  return r;
}

TEST(Fingerprint, EveryInputChangesIt) {
  using Change = std::function<void(AdmissionRequest&)>;
  auto object = [](std::function<void(ObjectView&)> f) { return [f](AdmissionRequest& r) { f(*r.object); }; };
  std::vector<std::pair<const char*, Change>> changes = {
      {"group", [](auto& r) { r.kind.group = "batch"; }},
      {"version", [](auto& r) { r.kind.version = "v2"; }},
      {"kind", [](auto& r) { r.kind.kind = "StatefulSet"; }},
      {"operation", [](auto& r) { r.operation = Operation::Create; }},
      {"namespace", [](auto& r) { r.namespace_ = "staging"; }},
      {"name", [](auto& r) { r.name = "other"; }},
      {"username", [](auto& r) { r.username = "john"; }},
      {"groups", [](auto& r) { r.groups.push_back("x"); }},
      {"object absent", [](auto& r) { r.object.reset(); }},
      {"old object absent", [](auto& r) { r.old_object.reset(); }},
      {"object name", object([](auto& o) { o.name = "x"; })},
      {"object namespace", object([](auto& o) { o.namespace_ = "x"; })},
      {"label", object([](auto& o) { o.labels.set("app.kubernetes.io/instance", "x"); })},
      {"annotation", object([](auto& o) { o.annotations = {}; })},
      {"image", object([](auto& o) { o.images[0].image = "ghcr.io/acme/podinfo:6.5.1"; })},
      {"image list", object([](auto& o) { o.images[0].list = ContainerList::InitContainers; })},
      {"image index", object([](auto& o) { o.images[0].index = 1; })},
      {"container", object([](auto& o) { o.images[0].container = "x"; })},
      {"chart", object([](auto& o) { o.helm_chart->chart = "x"; })},
      {"chart version", object([](auto& o) { o.helm_chart->version = "6.5.1"; })},
      {"chart source kind", object([](auto& o) { o.helm_chart->source_kind = "GitRepository"; })},
      {"chart source name", object([](auto& o) { o.helm_chart->source_name = "x"; })},
      {"chart source namespace", object([](auto& o) { o.helm_chart->source_namespace = "x"; })},
      {"chart ref", object([](auto& o) { o.helm_chart->chart_ref = true; })},
      {"target namespace", object([](auto& o) { o.target_namespace = "x"; })},
      {"url", object([](auto& o) { o.source_location->url = "x"; })},
      {"branch", object([](auto& o) { o.source_location->branch = "x"; })},
      {"tag", object([](auto& o) { o.source_location->tag = "x"; })},
      {"semver", object([](auto& o) { o.source_location->semver = "x"; })},
      {"commit", object([](auto& o) { o.source_location->commit = "x"; })},
      {"ref name", object([](auto& o) { o.source_location->ref_name = "x"; })},
      {"digest", object([](auto& o) { o.source_location->digest = "x"; })},
      {"source ref kind", object([](auto& o) { o.source_ref->kind = "x"; })},
      {"source ref name", object([](auto& o) { o.source_ref->name = "x"; })},
      {"source ref namespace", object([](auto& o) { o.source_ref->namespace_ = "x"; })},
      {"service account", object([](auto& o) { o.service_account_name = "x"; })},
      {"app repo", object([](auto& o) { o.application_sources[0].repo_url = "x"; })},
      {"app revision", object([](auto& o) { o.application_sources[0].target_revision = "x"; })},
      {"app chart", object([](auto& o) { o.application_sources[0].chart = "x"; })},
      {"values", object([](auto& o) { o.helm_values = {}; })},
      {"data", object([](auto& o) { o.data[0].second = "x"; })},
      {"old object", [](auto& r) { r.old_object->images.clear(); }},
      {"changed paths", [](auto& r) { r.changed_paths.push_back("/spec/template"); }},
      {"changed paths complete", [](auto& r) { r.changed_paths_complete = false; }},
      // Two fields' text moved across their boundary.
      {"boundary", [](auto& r) { r.namespace_ = "prodp"; r.name = "odinfo"; }},
  };
  std::set<std::string> seen = {fingerprint(full_request())};
  for (const auto& [what, change] : changes) {
    AdmissionRequest r = full_request();
    change(r);
    EXPECT_TRUE(seen.insert(fingerprint(r)).second) << what << " does not change the fingerprint";
  }
  // What never changes a decision is left out.
  AdmissionRequest dry = full_request();
  dry.dry_run = true;
  EXPECT_EQ(fingerprint(dry), fingerprint(full_request()));
}

bool same(const Decision& a, const Decision& b) {
  if (a.governance != b.governance || a.environment != b.environment || a.provenance_exempt != b.provenance_exempt ||
      a.allowed_drift != b.allowed_drift || a.break_glass != b.break_glass || a.violations.size() != b.violations.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.violations.size(); ++i) {
    const Violation &x = a.violations[i], &y = b.violations[i];
    if (x.rule != y.rule || x.mode != y.mode || x.message != y.message) return false;
  }
  return true;
}

AdmissionRequest parse(const std::string& review) {
  admission::ReviewParseResult parsed = admission::parse_admission_review(review);
  if (!parsed.review) throw std::runtime_error(parsed.error);
  return parsed.review->request;
}

// Requests whose decisions differ in every way: allowed, denied for
// provenance, for promotion, break-glass, exempt, not governed.
std::vector<AdmissionRequest> varied_requests() {
  using testing::ReviewSpec;
  std::vector<AdmissionRequest> out;
  ReviewSpec staging;
  staging.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  out.push_back(parse(testing::review(staging)));
  ReviewSpec unpromoted = staging;
  unpromoted.object = testing::deployment("staging", "ghcr.io/acme/podinfo:9.9.9");
  out.push_back(parse(testing::review(unpromoted)));
  ReviewSpec human = staging;
  human.user = "jane@acme.com";
  out.push_back(parse(testing::review(human)));
  ReviewSpec oncall = human;
  oncall.groups = {"platform-oncall"};
  oncall.object["metadata"]["annotations"]["releasegate.io/break-glass"] = "INC-42";
  out.push_back(parse(testing::review(oncall)));
  ReviewSpec pod;
  pod.group = "";
  pod.kind = "Pod";
  pod.namespace_ = "prod";
  pod.user = "system:serviceaccount:kube-system:replicaset-controller";
  pod.object = testing::pod("prod", "ghcr.io/acme/podinfo:6.5.0");
  out.push_back(parse(testing::review(pod)));
  ReviewSpec ungoverned = staging;
  ungoverned.namespace_ = "elsewhere";
  ungoverned.object = testing::deployment("elsewhere", "nginx");
  out.push_back(parse(testing::review(ungoverned)));
  return out;
}

TEST(DecisionCache, CachedAnswersEqualFreshOnes) {
  auto rules = testing::test_rules();
  std::vector<AdmissionRequest> requests = varied_requests();
  // The corpus reviews too, where the clone has the corpus.
  if (auto corpus = testing::corpus_dir()) {
    for (const auto& entry : std::filesystem::directory_iterator(*corpus / "admission")) {
      if (entry.path().extension() != ".json") continue;
      admission::ReviewParseResult parsed = admission::parse_admission_review(testing::read_file(entry.path()));
      if (parsed.review) requests.push_back(parsed.review->request);
    }
  }
  // Identical requests would be hits the first time round.
  std::set<std::string> seen;
  std::erase_if(requests, [&](const AdmissionRequest& r) { return !seen.insert(fingerprint(r)).second; });
  DecisionCache cache(10'000);
  for (int round = 0; round < 2; ++round) {
    for (const AdmissionRequest& request : requests) {
      DecisionCache::Lookup lookup = cache.evaluate(rules, request);
      EXPECT_EQ(lookup.result, round == 0 ? CacheResult::Miss : CacheResult::Hit) << describe(request);
      EXPECT_TRUE(same(lookup.decision, evaluate(*rules, request))) << describe(request);
    }
  }
}

TEST(DecisionCache, ANewRuleSetIsNeverAnsweredFromTheOldOne) {
  auto before = testing::test_rules();
  testing::ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.6.0");
  AdmissionRequest request = parse(testing::review(spec));
  DecisionCache cache(100);
  EXPECT_FALSE(cache.evaluate(before, request).decision.violations.empty());
  EXPECT_EQ(cache.evaluate(before, request).result, CacheResult::Hit);

  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("\"6.5.0\", "), 9, "\"6.5.0\", \"6.6.0\", ");
  policy::LoadOptions reload;
  reload.generation = before->generation + 1;
  policy::LoadResult loaded = policy::compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotion.yaml", promotion}}, reload);
  ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
  DecisionCache::Lookup after = cache.evaluate(loaded.rules, request);
  EXPECT_EQ(after.result, CacheResult::Miss);
  EXPECT_TRUE(after.decision.violations.empty()) << after.decision.violations.front().message;
  // A request still in flight under the old rules gets their answer and
  // does not evict the new rule set's entries.
  EXPECT_FALSE(cache.evaluate(before, request).decision.violations.empty());
  EXPECT_EQ(cache.evaluate(loaded.rules, request).result, CacheResult::Hit);
}

TEST(DecisionCache, SizeIsBounded) {
  auto rules = testing::test_rules();
  DecisionCache cache(64);
  for (int i = 0; i < 1000; ++i) {
    testing::ReviewSpec spec;
    spec.name = "app-" + std::to_string(i);
    spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
    cache.evaluate(rules, parse(testing::review(spec)));
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_GT(cache.size(), 0u);
}

// Rules edits never reach the cache: the admission handler validates them
// (runtime/rules_edit.h; tested in rules_edit_test).
TEST(DecisionCache, AZeroCapacityBypassesIt) {
  auto rules = testing::test_rules();
  DecisionCache off(0);
  testing::ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  EXPECT_EQ(off.evaluate(rules, parse(testing::review(spec))).result, CacheResult::Bypass);
  EXPECT_EQ(off.evaluate(rules, parse(testing::review(spec))).result, CacheResult::Bypass);
  EXPECT_EQ(off.size(), 0u);
}

}  // namespace
}  // namespace releasegate::engine
