#include "engine/decision_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>
#include <type_traits>

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

// Changes the n-th leaf of for_each_input (core/request.h): the test
// covers exactly the fields the fingerprint is derived from.
class ChangeLeaf {
 public:
  explicit ChangeLeaf(std::size_t target) : target_(target) {}
  std::size_t leaves() const { return seen_; }
  void count(std::size_t) {}
  void operator()(std::string& s) { change([&] { s += "x"; }); }
  void operator()(StringMap& map) { change([&] { map.set("releasegate.io/x", "x"); }); }
  void operator()(bool& b) { change([&] { b = !b; }); }
  void operator()(std::size_t& n) { change([&] { ++n; }); }
  template <typename Enum>
    requires std::is_enum_v<Enum>
  void operator()(Enum& e) {
    change([&] { e = static_cast<Enum>(static_cast<int>(e) + 1); });
  }

 private:
  template <typename F>
  void change(F&& f) {
    if (seen_++ == target_) f();
  }
  std::size_t target_;
  std::size_t seen_ = 0;
};

TEST(Fingerprint, EveryInputChangesIt) {
  AdmissionRequest base = full_request();
  ChangeLeaf counter(SIZE_MAX);
  for_each_input(base, counter);
  ASSERT_GT(counter.leaves(), 40u);  // full_request() sets every optional and list
  std::set<std::string> seen = {fingerprint(base)};
  for (std::size_t leaf = 0; leaf < counter.leaves(); ++leaf) {
    AdmissionRequest r = full_request();
    ChangeLeaf change(leaf);
    for_each_input(r, change);
    EXPECT_TRUE(seen.insert(fingerprint(r)).second) << "input " << leaf << " does not change the fingerprint";
  }
  // Structure: presence of the objects, list lengths, and text moved across
  // two fields' boundary.
  using Change = std::function<void(AdmissionRequest&)>;
  std::vector<std::pair<const char*, Change>> changes = {
      {"object absent", [](auto& r) { r.object.reset(); }},
      {"old object absent", [](auto& r) { r.old_object.reset(); }},
      {"no images", [](auto& r) { r.object->images.clear(); }},
      {"no chart", [](auto& r) { r.object->helm_chart.reset(); }},
      {"another group", [](auto& r) { r.groups.push_back("x"); }},
      {"boundary", [](auto& r) { r.namespace_ = "prodp"; r.name = "odinfo"; }},
  };
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
