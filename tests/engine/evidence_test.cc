// The evidence rule at admission: prod admits a version once it ran healthy
// for 30 minutes in staging, observed in this cluster or written in an
// Evidence record; and lint's check of new promotions.
#include <gtest/gtest.h>

#include "admission/admission_review.h"
#include "engine/decision_cache.h"
#include "engine/engine.h"
#include "engine/evidence_requirement.h"
#include "tests/support/evidence_fixtures.h"

namespace releasegate {
namespace {

using testing::kDigest651;
using testing::kT0;

const std::string kImage651 = "ghcr.io/acme/podinfo:6.5.1@" + kDigest651;

class EvidenceTest : public ::testing::Test {
 protected:
  std::shared_ptr<const RuleSet> rules = load();

  static std::shared_ptr<const RuleSet> load(std::vector<policy::RuleSource> more = {},
                                             const std::string& requires_text = "requires: {soak: 30m}") {
    policy::LoadResult loaded = testing::evidence_rules(std::move(more), requires_text);
    if (!loaded.rules) throw std::runtime_error(loaded.errors.front().to_string());
    return loaded.rules;
  }

  static AdmissionRequest request(testing::ReviewSpec spec) {
    auto parsed = admission::parse_admission_review(testing::review(spec));
    if (!parsed.review) throw std::runtime_error(parsed.error);
    return parsed.review->request;
  }
  static AdmissionRequest prod_deployment(const std::string& image, const std::string& operation = "CREATE",
                                          const std::string& old_image = "") {
    testing::ReviewSpec spec;
    spec.namespace_ = "prod";
    spec.operation = operation;
    spec.object = testing::deployment("prod", image);
    if (!old_image.empty()) spec.old_object = testing::deployment("prod", old_image);
    return request(spec);
  }

  // Observed in staging: healthy since `since`, still running when ongoing.
  static EvidenceSet observed(UnixSeconds since, bool ongoing, UnixSeconds until = 0, UnixSeconds degraded = 0,
                              const std::string& environment = "staging") {
    EvidenceSet set;
    set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", environment, "this", since, until, ongoing,
             degraded, "Deployment staging/podinfo", "observed in this cluster"});
    return set;
  }

  Decision decide(const AdmissionRequest& r, const EvidenceSet* set, UnixSeconds now) const {
    return engine::evaluate(*rules, r, {set, now});
  }
};

std::vector<std::string> evidence_messages(const Decision& d) {
  std::vector<std::string> out;
  for (const Violation& v : d.violations) {
    if (v.rule == Rule::Evidence) out.push_back(v.message);
  }
  return out;
}

TEST_F(EvidenceTest, NoEvidenceIsDeniedSayingWhatIsMissing) {
  Decision d = decide(prod_deployment(kImage651), nullptr, kT0);
  ASSERT_EQ(evidence_messages(d).size(), 1u);
  EXPECT_EQ(d.violations.size(), 1u) << "promotion and provenance pass";
  std::string m = evidence_messages(d)[0];
  EXPECT_NE(m.find("Deployment prod/podinfo"), std::string::npos) << m;
  EXPECT_NE(m.find("has no evidence from staging"), std::string::npos) << m;
  EXPECT_NE(m.find("prod admits a version after it ran healthy for 30m in staging"), std::string::npos) << m;
  EXPECT_TRUE(d.evidence_dependent);
}

// The health evidence is read from is the status of the evidence kinds:
// where evidence counts (staging supplies prod's, prod requires its own),
// only their controllers write it. A status write is judged by that alone
// (an unpromoted image in it is the object's business, judged when written).
TEST_F(EvidenceTest, OnlyControllersWriteTheStatusEvidenceIsReadFrom) {
  auto status_write = [](nlohmann::json object, const std::string& user) {
    testing::ReviewSpec spec;
    std::string api_version = object["apiVersion"];
    spec.group = api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
    spec.version = api_version.substr(api_version.find('/') + 1);
    spec.kind = object["kind"];
    spec.namespace_ = object["metadata"]["namespace"];
    spec.name = object["metadata"]["name"];
    spec.operation = "UPDATE";
    spec.sub_resource = "status";
    spec.user = user;
    spec.old_object = object;
    object["status"]["observedGeneration"] = 99;
    spec.object = object;
    return request(spec);
  };
  auto deployment = [](const std::string& ns, const std::string& image = "ghcr.io/acme/podinfo:6.5.1") {
    return testing::with_status(testing::deployment(ns, image), testing::Rollout::Complete, kT0);
  };
  const std::string jane = "jane@acme.com";
  for (const std::string ns : {"staging", "prod"}) {
    Decision forged = decide(status_write(deployment(ns), jane), nullptr, kT0);
    ASSERT_EQ(evidence_messages(forged).size(), 1u) << ns;
    EXPECT_EQ(forged.violations.size(), 1u) << "nothing but the status is judged";
    std::string m = evidence_messages(forged)[0];
    EXPECT_NE(m.find("the status of Deployment " + ns + "/podinfo is written by its controller only "
                     "(kube-controller-manager)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("jane@acme.com may not write it"), std::string::npos) << m;
    for (const char* controller : {"system:kube-controller-manager", "system:serviceaccount:kube-system:deployment-controller"}) {
      Decision routine = decide(status_write(deployment(ns, "ghcr.io/acme/podinfo:9.9.9"), controller), nullptr, kT0);
      EXPECT_EQ(routine.governance, Governance::Governed);
      EXPECT_TRUE(routine.violations.empty()) << ns << " " << controller << ": " << routine.violations[0].message;
    }
  }
  EXPECT_TRUE(decide(status_write(deployment("dev"), jane), nullptr, kT0).violations.empty())
      << "dev supplies no evidence";
  nlohmann::json sts = deployment("staging");
  sts["kind"] = "StatefulSet";
  EXPECT_EQ(evidence_messages(decide(status_write(sts, jane), nullptr, kT0)).size(), 1u);
  EXPECT_TRUE(decide(status_write(sts, "system:serviceaccount:kube-system:statefulset-controller"), nullptr, kT0)
                  .violations.empty());

  nlohmann::json release = testing::helm_release("staging", "6.5.1", true, kT0);
  EXPECT_TRUE(decide(status_write(release, "system:serviceaccount:flux-system:helm-controller"), nullptr, kT0)
                  .violations.empty());
  for (const std::string& user : {jane, std::string(testing::kFluxKustomizeController),
                                  std::string("system:serviceaccount:kube-system:deployment-controller")}) {
    Decision forged = decide(status_write(release, user), nullptr, kT0);
    ASSERT_EQ(evidence_messages(forged).size(), 1u) << user;
    EXPECT_NE(evidence_messages(forged)[0].find("(helm-controller)"), std::string::npos);
  }

  // Other kinds' status is not governed.
  nlohmann::json replica_set = deployment("prod");
  replica_set["kind"] = "ReplicaSet";
  EXPECT_EQ(decide(status_write(replica_set, jane), nullptr, kT0).governance, Governance::NotGoverned);
}

TEST_F(EvidenceTest, SoakBoundaryAndWhenItCouldPass) {
  EvidenceSet set = observed(kT0, true, kT0);
  std::string m = evidence_messages(decide(prod_deployment(kImage651), &set, kT0 + 12 * 60))[0];
  EXPECT_NE(m.find("has been healthy in staging for 12 of the 30 minutes required; earliest 14:32Z"),
            std::string::npos)
      << m;
  EXPECT_EQ(evidence_messages(decide(prod_deployment(kImage651), &set, kT0 + 30 * 60 - 1)).size(), 1u);
  Decision passed = decide(prod_deployment(kImage651), &set, kT0 + 30 * 60);
  EXPECT_TRUE(passed.violations.empty()) << passed.violations.front().message;
  EXPECT_TRUE(passed.evidence_dependent);
}

TEST_F(EvidenceTest, EarliestIsRoundedUpToTheMinute) {
  EvidenceSet set = observed(kT0 + 30, true, kT0 + 30);
  std::string m = evidence_messages(decide(prod_deployment(kImage651), &set, kT0 + 60))[0];
  EXPECT_NE(m.find("earliest 14:33Z"), std::string::npos) << m;
}

TEST_F(EvidenceTest, APeriodThatEndedCountsForWhatItLasted) {
  EvidenceSet long_enough = observed(kT0, false, kT0 + 45 * 60);
  EXPECT_TRUE(decide(prod_deployment(kImage651), &long_enough, kT0 + 86400).violations.empty());
  EvidenceSet too_short = observed(kT0, false, kT0 + 20 * 60);
  std::string m = evidence_messages(decide(prod_deployment(kImage651), &too_short, kT0 + 86400))[0];
  EXPECT_NE(m.find("was healthy in staging for 20 of the 30 minutes required"), std::string::npos) << m;
  EXPECT_NE(m.find("is not running there now"), std::string::npos) << m;
}

TEST_F(EvidenceTest, ADegradedVersionIsWithdrawn) {
  EvidenceSet set = observed(0, false, 0, kT0 + 40 * 60);
  std::string m = evidence_messages(decide(prod_deployment(kImage651), &set, kT0 + 41 * 60))[0];
  EXPECT_NE(m.find("degraded in staging at 14:42Z (Deployment staging/podinfo)"), std::string::npos) << m;
}

TEST_F(EvidenceTest, AFailureSeenNowWithdrawsAnOlderProof) {
  EvidenceSet set = observed(kT0, false, kT0 + 45 * 60);  // proven, then replaced
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "staging", "other", 0, 0, false, kT0 + 50 * 60,
           "Deployment staging/podinfo-eu", "observed in this cluster"});
  std::string m = evidence_messages(decide(prod_deployment(kImage651), &set, kT0 + 60 * 60))[0];
  EXPECT_NE(m.find("degraded in staging at 14:52Z (Deployment staging/podinfo-eu)"), std::string::npos) << m;
  // Healthy again since, for long enough: it passes.
  set.add({EvidenceOf::Image, "ghcr.io/acme/podinfo", "6.5.1", "", "staging", "other", kT0 + 55 * 60, kT0 + 55 * 60,
           true, 0, "Deployment staging/podinfo-eu", "observed in this cluster"});
  EXPECT_TRUE(decide(prod_deployment(kImage651), &set, kT0 + 86 * 60).violations.empty());
}

TEST_F(EvidenceTest, EvidenceRecordsInTheRulesCount) {
  const std::string record = testing::signed_evidence(
      "staging-eu-1", {{"cluster", "staging-eu-1"},
                       {"environment", "staging"},
                       {"images",
                        {{{"repository", "ghcr.io/acme/podinfo"},
                          {"digest", kDigest651},
                          {"healthySince", "2026-12-02T14:02:00Z"},
                          {"observedUntil", "2026-12-02T14:40:00Z"}}}}});
  auto with_record = load({{"evidence.yaml", record}});
  Decision d = engine::evaluate(*with_record, prod_deployment(kImage651), {nullptr, kT0 + 86400});
  EXPECT_TRUE(d.violations.empty()) << d.violations.front().message;
}

TEST_F(EvidenceTest, AVersionRunningInProdAlreadyNeedsNoMore) {
  // A rollback, or a Deployment re-created: not a promotion.
  EvidenceSet set = observed(kT0, true, kT0, 0, "prod");
  EXPECT_TRUE(decide(prod_deployment(kImage651), &set, kT0 + 60).violations.empty());
}

TEST_F(EvidenceTest, OnlyWhatAnUpdateChangesIsJudged) {
  // Scaling, a label, Flux re-applying: the image was there before.
  Decision same = decide(prod_deployment(kImage651, "UPDATE", kImage651), nullptr, kT0);
  EXPECT_TRUE(same.violations.empty());
  EXPECT_FALSE(same.evidence_dependent);
  const std::string image650 = "ghcr.io/acme/podinfo:6.5.0@" + testing::kDigest650;
  EXPECT_EQ(evidence_messages(decide(prod_deployment(kImage651, "UPDATE", image650), nullptr, kT0)).size(), 1u);
}

TEST_F(EvidenceTest, BreakGlassWaivesItWithItsTrail) {
  testing::ReviewSpec spec;
  spec.namespace_ = "prod";
  spec.user = "alice";
  spec.groups = nlohmann::json::array({"platform-oncall", "system:authenticated"});
  spec.object = testing::deployment("prod", kImage651);
  spec.object["metadata"]["annotations"] = {{"releasegate.io/break-glass", "INC-1234: staging is down"}};
  Decision d = decide(request(spec), nullptr, kT0);
  EXPECT_TRUE(evidence_messages(d).empty());
  ASSERT_TRUE(d.break_glass);
  EXPECT_EQ(*d.break_glass, "INC-1234: staging is down");
}

TEST_F(EvidenceTest, AnyOfSeveralPredecessors) {
  auto any = load({}, "requires: {evidenceFromAny: [dev, staging], soak: 30m}");
  EvidenceSet dev_only = observed(kT0, true, kT0, 0, "dev");
  EXPECT_TRUE(engine::evaluate(*any, prod_deployment(kImage651), {&dev_only, kT0 + 31 * 60}).violations.empty());
  auto each = load({}, "requires: {evidenceFrom: [dev, staging], soak: 30m}");
  Decision d = engine::evaluate(*each, prod_deployment(kImage651), {&dev_only, kT0 + 31 * 60});
  ASSERT_EQ(evidence_messages(d).size(), 1u);
  EXPECT_NE(evidence_messages(d)[0].find("has no evidence from staging"), std::string::npos);
  EXPECT_NE(evidence_messages(d)[0].find("each of dev, staging"), std::string::npos) << evidence_messages(d)[0];
}

TEST_F(EvidenceTest, HelmReleaseChartVersions) {
  testing::ReviewSpec spec;
  spec.group = "helm.toolkit.fluxcd.io";
  spec.version = "v2";
  spec.kind = "HelmRelease";
  spec.namespace_ = "prod";
  spec.object = testing::helm_release("prod", "6.5.1", true, kT0);
  spec.object["metadata"]["labels"] = {{"kustomize.toolkit.fluxcd.io/name", "apps"},
                                       {"kustomize.toolkit.fluxcd.io/namespace", "flux-system"}};
  Decision d = decide(request(spec), nullptr, kT0);
  ASSERT_EQ(evidence_messages(d).size(), 1u) << (d.violations.empty() ? "" : d.violations.front().message);
  EXPECT_NE(evidence_messages(d)[0].find("chart podinfo 6.5.1"), std::string::npos) << evidence_messages(d)[0];
  EvidenceSet set;
  set.add({EvidenceOf::Chart, "HelmRepository/flux-system/podinfo podinfo", "6.5.1", "", "staging", "this", kT0,
           kT0, true, 0, "HelmRelease staging/podinfo", "observed in this cluster"});
  EXPECT_TRUE(evidence_messages(decide(request(spec), &set, kT0 + 1800)).empty());
}

// Every kind that can run a version is held to evidence where it is
// required: a bare ReplicaSet, a Job, a CronJob or a Pod brings no version
// into prod that a Deployment could not. What kube-controller-manager makes
// for an owner runs what the owner was admitted with, and never waits (a
// drain, a scale-up, a CronJob's next run).
TEST_F(EvidenceTest, EveryWorkloadKindAndPodIsHeldToEvidence) {
  auto of_kind = [](const std::string& group, const std::string& kind, const std::string& user) {
    testing::ReviewSpec spec;
    spec.namespace_ = "prod";
    spec.group = group;
    spec.version = "v1";
    spec.kind = kind;
    spec.user = user;
    nlohmann::json object = testing::deployment("prod", kImage651);
    object["apiVersion"] = group.empty() ? "v1" : group + "/v1";
    object["kind"] = kind;
    if (kind == "Pod") object["spec"] = nlohmann::json(object["spec"]["template"]["spec"]);
    if (kind == "CronJob") {
      object["spec"] = {{"schedule", "*/5 * * * *"}, {"jobTemplate", {{"spec", object["spec"]}}}};
    }
    spec.object = object;
    return request(spec);
  };
  const EvidenceSet enough = observed(kT0, true);
  const std::string flux(testing::kFluxKustomizeController), jane = "jane@acme.com";
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"apps", "ReplicaSet"}, {"batch", "Job"}, {"batch", "CronJob"}, {"", "Pod"}};
  for (const auto& [group, kind] : kinds) {
    for (const std::string& user : {flux, jane}) {
      std::vector<std::string> denied = evidence_messages(decide(of_kind(group, kind, user), nullptr, kT0));
      ASSERT_EQ(denied.size(), 1u) << kind << " by " << user;
      EXPECT_NE(denied[0].find(kind + " prod/podinfo"), std::string::npos) << denied[0];
      EXPECT_NE(denied[0].find("has no evidence from staging"), std::string::npos) << denied[0];
      EXPECT_TRUE(evidence_messages(decide(of_kind(group, kind, user), &enough, kT0 + 1800)).empty()) << kind;
    }
  }
  const std::string kube_system = "system:serviceaccount:kube-system:";
  const std::vector<std::tuple<std::string, std::string, std::string>> made_for_owners = {
      {"apps", "ReplicaSet", kube_system + "deployment-controller"},
      {"", "Pod", kube_system + "replicaset-controller"},
      {"", "Pod", kube_system + "statefulset-controller"},
      {"", "Pod", kube_system + "daemon-set-controller"},
      {"", "Pod", kube_system + "job-controller"},
      {"batch", "Job", kube_system + "cronjob-controller"},
      {"", "Pod", "system:kube-controller-manager"},
  };
  for (const auto& [group, kind, user] : made_for_owners) {
    EXPECT_TRUE(evidence_messages(decide(of_kind(group, kind, user), nullptr, kT0)).empty()) << kind << " by " << user;
  }
  // A controller making another kind than its own is judged.
  EXPECT_EQ(evidence_messages(decide(of_kind("apps", "ReplicaSet", kube_system + "replicaset-controller"), nullptr, kT0))
                .size(),
            1u);
  EXPECT_EQ(evidence_messages(decide(of_kind("batch", "Job", kube_system + "job-controller"), nullptr, kT0)).size(), 1u);
}

// Chart versions, whichever object installs them: a Flux HelmChart's
// spec.version and an Argo CD Application's chart need the evidence a
// HelmRelease's spec.chart does; a HelmRelease whose spec.chartRef names an
// OCIRepository installs whatever tag the source holds, and is denied
// where evidence is required (a chartRef to a HelmChart is judged there).
TEST_F(EvidenceTest, EveryObjectThatInstallsAChartIsHeldToEvidence) {
  rules = load({{"charts.yaml", R"(apiVersion: releasegate.io/v1alpha1
kind: Promotion
metadata:
  name: charts
spec:
  charts:
    - source: HelmRepository/prod/podinfo
      chart: podinfo
      environments:
        staging: ["6.5.1"]
        prod: ["6.5.1"]
    - source: https://stefanprodan.github.io/podinfo
      chart: podinfo
      environments:
        staging: ["6.5.1"]
        prod: ["6.5.1"]
)"}});
  auto flux_marked = [](nlohmann::json object) {
    object["metadata"]["labels"] = {{"kustomize.toolkit.fluxcd.io/name", "apps"},
                                    {"kustomize.toolkit.fluxcd.io/namespace", "flux-system"}};
    return object;
  };
  // Denied without evidence, naming the chart and its field; admitted once
  // the chart `key` ran healthy for the soak in staging.
  auto held_to_evidence = [&](const testing::ReviewSpec& spec, const std::string& named, const std::string& key) {
    std::vector<std::string> denied = evidence_messages(decide(request(spec), nullptr, kT0));
    ASSERT_EQ(denied.size(), 1u) << key;
    EXPECT_NE(denied[0].find(named), std::string::npos) << denied[0];
    EvidenceSet ran;
    ran.add({EvidenceOf::Chart, key, "6.5.1", "", "staging", "this", kT0, kT0, true, 0, "", "observed in this cluster"});
    EXPECT_TRUE(evidence_messages(decide(request(spec), &ran, kT0 + 1800)).empty()) << key;
  };
  testing::ReviewSpec helm_chart;
  helm_chart.group = "source.toolkit.fluxcd.io";
  helm_chart.version = "v1";
  helm_chart.kind = "HelmChart";
  helm_chart.namespace_ = "prod";
  helm_chart.object = flux_marked(
      {{"apiVersion", "source.toolkit.fluxcd.io/v1"},
       {"kind", "HelmChart"},
       {"metadata", {{"name", "podinfo"}, {"namespace", "prod"}}},
       {"spec", {{"chart", "podinfo"}, {"version", "6.5.1"}, {"sourceRef", {{"kind", "HelmRepository"}, {"name", "podinfo"}}}}}});
  held_to_evidence(helm_chart, "chart podinfo 6.5.1 (spec.version)", "HelmRepository/prod/podinfo podinfo");

  testing::ReviewSpec application;
  application.group = "argoproj.io";
  application.version = "v1alpha1";
  application.kind = "Application";
  application.namespace_ = "prod";
  application.object = {
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "Application"},
      {"metadata", {{"name", "podinfo"}, {"namespace", "prod"}}},
      {"spec",
       {{"project", "default"},
        {"source",
         {{"repoURL", "https://stefanprodan.github.io/podinfo"}, {"chart", "podinfo"}, {"targetRevision", "6.5.1"}}},
        {"destination", {{"server", "https://kubernetes.default.svc"}, {"namespace", "prod"}}}}}};
  held_to_evidence(application, "chart podinfo 6.5.1 (spec.source.targetRevision)",
                   "https://stefanprodan.github.io/podinfo podinfo");

  testing::ReviewSpec chart_ref;
  chart_ref.group = "helm.toolkit.fluxcd.io";
  chart_ref.version = "v2";
  chart_ref.kind = "HelmRelease";
  chart_ref.namespace_ = "prod";
  nlohmann::json release = testing::helm_release("prod", "6.5.1", true, kT0);
  release["spec"].erase("chart");
  release["spec"]["chartRef"] = {{"kind", "OCIRepository"}, {"name", "podinfo"}};
  chart_ref.object = flux_marked(release);
  EvidenceSet chart_ran;
  chart_ran.add({EvidenceOf::Chart, "OCIRepository/prod/podinfo podinfo", "6.5.1", "", "staging", "this", kT0, kT0,
                 true, 0, "", "observed in this cluster"});
  std::vector<std::string> denied = evidence_messages(decide(request(chart_ref), &chart_ran, kT0 + 86400));
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_NE(denied[0].find("installs the chart of OCIRepository prod/podinfo (spec.chartRef)"), std::string::npos)
      << denied[0];
  EXPECT_NE(denied[0].find("cannot be held to evidence"), std::string::npos) << denied[0];
  chart_ref.operation = "UPDATE";
  chart_ref.old_object = chart_ref.object;
  EXPECT_TRUE(evidence_messages(decide(request(chart_ref), nullptr, kT0)).empty())
      << "an unchanged chartRef (helm-controller's routine writes) is not judged again";
  release["spec"]["chartRef"] = {{"kind", "HelmChart"}, {"name", "podinfo"}};
  chart_ref.object = flux_marked(release);
  chart_ref.operation = "CREATE";
  chart_ref.old_object = nullptr;
  EXPECT_TRUE(evidence_messages(decide(request(chart_ref), nullptr, kT0)).empty()) << "judged at the HelmChart";
}

TEST_F(EvidenceTest, NotCachedSinceTimeChangesIt) {
  engine::DecisionCache cache(100);
  EvidenceSet set = observed(kT0, true, kT0);
  AdmissionRequest r = prod_deployment(kImage651);
  auto early = cache.evaluate(rules, r, {&set, kT0 + 60});
  EXPECT_EQ(early.result, engine::CacheResult::Bypass);
  EXPECT_FALSE(early.decision.violations.empty());
  auto later = cache.evaluate(rules, r, {&set, kT0 + 1800});
  EXPECT_EQ(later.result, engine::CacheResult::Bypass);
  EXPECT_TRUE(later.decision.violations.empty());
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(EvidenceTest, LintFindsNewPromotionsWithoutEvidence) {
  // Every prod version is new without a base: 6.5.0 and 6.5.1, images and charts.
  auto missing = engine::promotions_without_evidence(*rules, nullptr, kT0);
  EXPECT_EQ(missing.size(), 4u);
  // With the base promoting 6.5.0 already, only 6.5.1 is new.
  std::string base_promotion = testing::kEvidencePromotion;
  for (const char* v : {", \"6.5.1@", ", \"6.5.1\"]"}) {
    auto at = base_promotion.rfind(v);
    ASSERT_NE(at, std::string::npos);
    base_promotion.erase(at, base_promotion.find(']', at) - at);
  }
  auto base = policy::compile_rules({{"policy.yaml", testing::evidence_policy()}, {"promotion.yaml", base_promotion}});
  ASSERT_TRUE(base.rules) << base.errors.front().to_string();
  missing = engine::promotions_without_evidence(*rules, base.rules.get(), kT0);
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_NE(missing[0].find("image ghcr.io/acme/podinfo:6.5.1, promoted to prod, has no evidence from staging"),
            std::string::npos)
      << missing[0];
}

}  // namespace
}  // namespace releasegate
