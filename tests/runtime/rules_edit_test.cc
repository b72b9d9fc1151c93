// Rules ConfigMaps validated at admission, through the webhook's handler.
#include "runtime/rules_edit.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "policy/compiler.h"
#include "runtime/config_map_rules.h"
#include "tests/support/evidence_fixtures.h"
#include "tests/support/test_support.h"
#include "admission/admission_handler.h"

namespace releasegate {
namespace {

using nlohmann::json;

json rules_config_map(const std::string& name, const std::string& key, const std::string& content,
                      bool labelled = true, const std::string& ns = "releasegate-system") {
  json cm{{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{key, content}, {"README", "not rules"}}}};
  // Applied by Flux for the Kustomization flux-system/apps (approved).
  cm["metadata"]["labels"] = {{"kustomize.toolkit.fluxcd.io/name", "apps"},
                              {"kustomize.toolkit.fluxcd.io/namespace", "flux-system"}};
  if (labelled) cm["metadata"]["labels"]["releasegate.io/rules"] = "true";
  return cm;
}

class RulesEdit : public ::testing::Test {
 protected:
  runtime::RuleStore store;
  void SetUp() override { store.publish(testing::test_load()); }

  // config_map null: a DELETE of `old`.
  json validate(const json& config_map, const json& old = nullptr,
                const std::string& user = testing::kFluxKustomizeController, std::vector<std::string> groups = {}) {
    testing::ReviewSpec spec;
    spec.group = "";
    spec.kind = "ConfigMap";
    spec.namespace_ = (config_map.is_null() ? old : config_map)["metadata"]["namespace"];
    spec.name = (config_map.is_null() ? old : config_map)["metadata"]["name"];
    spec.operation = config_map.is_null() ? "DELETE" : old.is_null() ? "CREATE" : "UPDATE";
    spec.user = user;
    if (!groups.empty()) spec.groups = groups;
    spec.object = config_map;
    spec.old_object = old;
    admission::HandledReview handled =
        admission::AdmissionHandler(store).handle(admission::Endpoint::Validate, testing::review(spec));
    EXPECT_EQ(handled.http_status, 200);
    return json::parse(handled.body)["response"];
  }
};

// The ConfigMap that holds the test Promotion, as stored.
json podinfo_config_map() { return rules_config_map("podinfo", "podinfo.yaml", testing::kTestPromotion); }

TEST_F(RulesEdit, AValidPromotionEditIsAllowed) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("staging: [\""), 11, "staging: [\"6.6.0\", \"");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", promotion), podinfo_config_map());
  EXPECT_EQ(response["allowed"], true) << response.dump();
  EXPECT_EQ(response["auditAnnotations"]["decision"], "allow");
}

TEST_F(RulesEdit, ABrokenEditIsDeniedWithLintMessages) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("prod:"), 5, "prdo:");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", promotion), podinfo_config_map());
  ASSERT_EQ(response["allowed"], false);
  std::string message = response["status"]["message"];
  EXPECT_NE(message.find("[rules-edit]"), std::string::npos) << message;
  EXPECT_NE(message.find("ConfigMap releasegate-system/podinfo key podinfo.yaml:10:9: unknown environment \"prdo\""),
            std::string::npos)
      << message;
}

TEST_F(RulesEdit, PromotingStraightToProdIsDenied) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("prod: [\""), 8, "prod: [\"9.9.9@sha256:" + std::string(64, 'f') + "\", \"");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", promotion), podinfo_config_map());
  ASSERT_EQ(response["allowed"], false);
  EXPECT_NE(response["status"]["message"].get<std::string>().find("promoted to prod but not to staging"),
            std::string::npos);
}

TEST_F(RulesEdit, ASecondRecordForARepositoryUnderAnotherNameConflicts) {
  std::string copy = testing::kTestPromotion;
  copy.replace(copy.find("name: podinfo"), 13, "name: podinfo-copy");
  json response = validate(rules_config_map("copy", "copy.yaml", copy));
  ASSERT_EQ(response["allowed"], false);
  EXPECT_NE(response["status"]["message"].get<std::string>().find("already has a Promotion record"), std::string::npos);
}

// A ConfigMap stored broken (by an exempt identity, or while the webhook
// was down) is held at its last good content; the edit from Git that fixes
// it replaces that content instead of conflicting with it.
TEST_F(RulesEdit, TheFixOfAConfigMapHeldAtItsLastGoodContentIsAllowed) {
  runtime::ConfigMapRules compiler;
  runtime::RulesConfigMaps maps;
  maps["releasegate-system/releasegate-policy"] = {"releasegate-system", "releasegate-policy", "", {{"policy.yaml", testing::kTestPolicy}}, {}};
  maps["releasegate-system/podinfo"] = {"releasegate-system", "podinfo", "", {{"podinfo.yaml", testing::kTestPromotion}}, {}};
  runtime::ConfigMapCompile compiled = compiler.compile(maps, {});
  ASSERT_TRUE(compiled.result.rules);
  store.publish(compiled.result);
  std::string fixed = testing::kTestPromotion;
  fixed.replace(fixed.find("staging: [\""), 11, "staging: [\"6.6.0\", \"");
  json broken = rules_config_map("podinfo", "podinfo.yaml", "kind: Promotion\nspec: [\n");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", fixed), broken);
  EXPECT_EQ(response["allowed"], true) << response.dump();
}

// Another ConfigMap declaring a document that one already holds is denied:
// each document belongs to one ConfigMap, and is never silently replaced.
TEST_F(RulesEdit, ADocumentAnotherConfigMapHoldsIsNotTakenOver) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("staging: [\""), 11, "staging: [\"6.6.0\", \"");
  json response = validate(rules_config_map("takeover", "podinfo.yaml", promotion));
  ASSERT_EQ(response["allowed"], false);
  EXPECT_NE(response["status"]["message"].get<std::string>().find("Promotion podinfo is already declared at"),
            std::string::npos)
      << response.dump();
}

// With a second --rules-namespace, a ConfigMap there is another source even
// when its name is that of one in releasegate's namespace: it cannot replace
// that one's documents at admission (sources are namespace and name).
TEST_F(RulesEdit, ASameNamedConfigMapInAnotherRulesNamespaceTakesNothingOver) {
  runtime::ConfigMapRules compiler;
  runtime::RulesConfigMaps maps;
  maps["releasegate-system/releasegate-policy"] = {"releasegate-system", "releasegate-policy", "", {{"policy.yaml", testing::kTestPolicy}}, {}};
  maps["releasegate-system/podinfo"] = {"releasegate-system", "podinfo", "", {{"podinfo.yaml", testing::kTestPromotion}}, {}};
  runtime::ConfigMapCompile compiled = compiler.compile(maps, {});
  ASSERT_TRUE(compiled.result.rules);
  store.publish(compiled.result);
  std::string widened = testing::kTestPromotion;
  widened.replace(widened.find("staging: [\""), 11, "staging: [\"6.6.0\", \"");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", widened, true, "team-a"));
  ASSERT_EQ(response["allowed"], false) << response.dump();
  EXPECT_NE(response["status"]["message"].get<std::string>().find("Promotion podinfo is already declared at"),
            std::string::npos)
      << response.dump();
}

// releasegate's own account is exempt, and may patch its evidence
// ConfigMap: labelling that one as rules is refused whoever asks.
// Evidence committed to the rules counts only when a key the policy trusts
// signed it: a pull request that writes its own soak into a ConfigMap is
// refused at the ConfigMap's write, saying why.
TEST_F(RulesEdit, EvidenceNoTrustedKeySignedIsDenied) {
  store.publish(testing::evidence_rules());
  nlohmann::json predicate = {{"cluster", "staging-eu-1"},
                              {"environment", "staging"},
                              {"images",
                               {{{"repository", "ghcr.io/acme/podinfo"},
                                 {"tag", "6.5.1"},
                                 {"healthySince", "2026-11-25T14:02:00Z"},
                                 {"observedUntil", "2026-12-02T14:02:00Z"}}}}};
  json signed_by_staging = rules_config_map("evidence", "evidence.yaml", testing::signed_evidence("e", predicate));
  json response = validate(signed_by_staging);
  EXPECT_EQ(response["allowed"], true) << response.dump();

  signing::SigningKey own = signing::SigningKey::generate(signing::KeyType::EcdsaP256);
  json forged = rules_config_map("evidence", "evidence.yaml", testing::signed_evidence("e", predicate, own));
  response = validate(forged);
  ASSERT_EQ(response["allowed"], false);
  std::string message = response["status"]["message"];
  EXPECT_NE(message.find("[rules-edit]"), std::string::npos) << message;
  EXPECT_NE(message.find("Evidence not trusted"), std::string::npos) << message;
  EXPECT_NE(message.find("does not verify with any key trusted for them"), std::string::npos) << message;
}

TEST_F(RulesEdit, LabellingTheEvidenceStoreAsRulesIsDenied) {
  json evidence = rules_config_map("releasegate-evidence", "evidence.yaml", testing::kTestPromotion);
  json unlabelled = rules_config_map("releasegate-evidence", "evidence.yaml", "", false);
  json response = validate(evidence, unlabelled, "system:serviceaccount:releasegate-system:releasegate");
  ASSERT_EQ(response["allowed"], false) << response.dump();
  EXPECT_NE(response["status"]["message"].get<std::string>().find("evidence store"), std::string::npos);
}

// A team's ConfigMap may hold Promotions, not a policy: only the policy's
// own ConfigMap (--policy-config-map) may.
TEST_F(RulesEdit, AReleasePolicyOutsideThePolicyConfigMapIsDenied) {
  json response = validate(rules_config_map("team-a", "policy.yaml", testing::kTestPolicy));
  ASSERT_EQ(response["allowed"], false);
  EXPECT_NE(response["status"]["message"].get<std::string>().find(
                "ConfigMap team-a holds a ReleasePolicy, which only ConfigMap releasegate-policy may hold"),
            std::string::npos)
      << response.dump();
}

// `kubectl edit` of a rules ConfigMap is an out-of-band promotion: refused
// unless it comes through GitOps, from an exempt controller, or with
// break-glass.
TEST_F(RulesEdit, ARulesEditNeedsProvenance) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("staging: [\""), 11, "staging: [\"6.6.0\", \"");
  json edited = rules_config_map("podinfo", "podinfo.yaml", promotion);
  json response = validate(edited, podinfo_config_map(), "jane@acme.com");
  ASSERT_EQ(response["allowed"], false);
  EXPECT_NE(response["status"]["message"].get<std::string>().find(
                "holds releasegate's rules and was changed by \"jane@acme.com\", not by an approved GitOps controller"),
            std::string::npos)
      << response.dump();
  // The GitOps identity without an approved delivery's marks is not enough.
  json unmarked = edited;
  unmarked["metadata"]["labels"].erase("kustomize.toolkit.fluxcd.io/name");
  EXPECT_EQ(validate(unmarked, podinfo_config_map())["allowed"], false);
  // The namespace controller deleting the namespace is exempt, even when
  // what is left is invalid (the policy itself): a namespace must never hang
  // in Terminating. The server keeps the last good rules.
  EXPECT_EQ(validate(nullptr, podinfo_config_map(), "system:serviceaccount:kube-system:namespace-controller")["allowed"],
            true);
  json policy = rules_config_map("releasegate-policy", "policy.yaml", testing::kTestPolicy);
  EXPECT_EQ(validate(nullptr, policy, "system:serviceaccount:kube-system:namespace-controller")["allowed"], true);
  EXPECT_EQ(validate(nullptr, policy)["allowed"], false);  // Flux pruning the policy: refused
  // Break-glass, by a member of the break-glass group, with a reason.
  json glass = edited;
  glass["metadata"]["annotations"] = {{"releasegate.io/break-glass", "INC-42: promotion pipeline down"}};
  json allowed = validate(glass, podinfo_config_map(), "oncall@acme.com", {"platform-oncall"});
  EXPECT_EQ(allowed["allowed"], true) << allowed.dump();
}

TEST_F(RulesEdit, DocumentsDroppedByAnUpdateAreRemovedFromTheUnion) {
  // The old ConfigMap held the Promotion; the new one renames it: without
  // removing the old document, the repository would have two records.
  std::string renamed = testing::kTestPromotion;
  renamed.replace(renamed.find("name: podinfo"), 13, "name: podinfo-v2");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", renamed),
                           rules_config_map("podinfo", "podinfo.yaml", testing::kTestPromotion));
  EXPECT_EQ(response["allowed"], true) << response.dump();
}

// The rules are the promise: removing the label or deleting the ConfigMap
// takes its documents out, and must leave a valid rule set.
TEST_F(RulesEdit, RemovingTheLabelOrDeletingIsAnEdit) {
  json policy = rules_config_map("policy", "policy.yaml", testing::kTestPolicy);
  json promotion = rules_config_map("podinfo", "promotion.yaml", testing::kTestPromotion);
  json unlabelled = policy;
  unlabelled["metadata"]["labels"].erase("releasegate.io/rules");
  json response = validate(unlabelled, policy);
  ASSERT_EQ(response["allowed"], false) << response.dump();
  EXPECT_NE(response["status"]["message"].get<std::string>().find("no ReleasePolicy"), std::string::npos)
      << response.dump();
  EXPECT_EQ(validate(nullptr, policy)["allowed"], false);
  // Without the Promotion the rules are still valid: Git may delete it.
  EXPECT_EQ(validate(nullptr, promotion)["allowed"], true);
}

TEST_F(RulesEdit, BinaryDataIsRefused) {
  json cm = rules_config_map("podinfo", "promotion.yaml", testing::kTestPromotion);
  cm["binaryData"] = {{"hidden.yaml", "a2luZDogUHJvbW90aW9u"}};
  json response = validate(cm);
  ASSERT_EQ(response["allowed"], false);
  EXPECT_NE(response["status"]["message"].get<std::string>().find("binaryData"), std::string::npos);
}

TEST_F(RulesEdit, UnlabelledConfigMapsAreNotGoverned) {
  json response = validate(rules_config_map("other", "x.yaml", "not: [valid", /*labelled=*/false));
  EXPECT_EQ(response["allowed"], true);
  EXPECT_FALSE(response.contains("auditAnnotations"));
}

TEST_F(RulesEdit, IsAnsweredOffTheCallersThreadAndNeverCached) {
  testing::ReviewSpec spec;
  spec.group = "";
  spec.kind = "ConfigMap";
  spec.namespace_ = "releasegate-system";
  spec.name = "podinfo";
  spec.operation = "UPDATE";
  spec.object = podinfo_config_map();
  spec.old_object = podinfo_config_map();
  admission::AdmissionHandler handler(store);
  std::promise<std::pair<std::thread::id, admission::HandledReview>> later;
  std::optional<admission::HandledReview> now =
      handler.handle(admission::Endpoint::Validate, testing::review(spec), [&](admission::HandledReview handled) {
        later.set_value({std::this_thread::get_id(), std::move(handled)});
      });
  EXPECT_FALSE(now.has_value());
  auto [thread, handled] = later.get_future().get();
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(handled.cache, engine::CacheResult::Bypass);
  EXPECT_EQ(json::parse(handled.body)["response"]["allowed"], true);
}

// A rule set large enough that linking an edit with it (linear in its
// records: ~2 ms for 10,000 in an optimised build) takes longer than the
// deadlines below.
policy::LoadResult large_rules(std::size_t records) {
  std::string promotions;
  for (std::size_t i = 0; i < records; ++i) {
    promotions += "---\napiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: app-" +
                  std::to_string(i) + "\nspec:\n  images:\n    - repository: ghcr.io/acme/app-" + std::to_string(i) +
                  "\n      environments:\n        staging: [\"1.0.0\"]\n        prod: [\"1.0.0\"]\n";
  }
  return policy::compile_rules({{"policy.yaml", testing::kTestPolicy}, {"promotions.yaml", promotions}});
}

AdmissionRequest rules_edit_request() {
  AdmissionRequest request;
  request.kind = {"", "v1", "ConfigMap"};
  request.operation = Operation::Create;
  request.namespace_ = "releasegate-system";
  request.name = "podinfo";
  request.username = testing::kFluxKustomizeController;
  ObjectView& object = request.object.emplace();
  object.name = "podinfo";
  object.labels.set("releasegate.io/rules", "true");
  object.labels.set("kustomize.toolkit.fluxcd.io/name", "apps");
  object.labels.set("kustomize.toolkit.fluxcd.io/namespace", "flux-system");
  object.data.emplace_back("podinfo.yaml",
                           "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: podinfo\nspec:\n"
                           "  images:\n    - repository: ghcr.io/acme/podinfo\n      environments:\n"
                           "        staging: [\"6.5.0\"]\n");
  return request;
}

TEST(RulesEditValidator, AnEditStillCompilingAtItsDeadlineIsRefused) {
  runtime::RuleStore store;
  policy::LoadResult loaded = large_rules(10000);
  ASSERT_TRUE(loaded.rules);
  store.publish(loaded);
  runtime::RulesEditValidator validator(store, {std::chrono::milliseconds(2), 4});
  std::promise<Decision> answered;
  validator.submit(rules_edit_request(), [&](Decision d) { answered.set_value(std::move(d)); });
  Decision decision = answered.get_future().get();
  ASSERT_EQ(decision.violations.size(), 1u);
  EXPECT_EQ(decision.violations[0].rule, Rule::RulesEdit);
  EXPECT_EQ(decision.violations[0].mode, Mode::Enforce);
  EXPECT_NE(decision.violations[0].message.find("took longer than 2 ms"), std::string::npos);
}

TEST(RulesEditValidator, EditsBeyondTheQueueBoundAreRefusedAtOnce) {
  runtime::RuleStore store;
  policy::LoadResult loaded = large_rules(10000);
  ASSERT_TRUE(loaded.rules);
  store.publish(loaded);
  runtime::RulesEditValidator validator(store, {std::chrono::milliseconds(60'000), 1});
  std::promise<Decision> first;
  validator.submit(rules_edit_request(), [&](Decision d) { first.set_value(std::move(d)); });
  std::optional<std::thread::id> answered_on;
  Decision second;
  validator.submit(rules_edit_request(), [&](Decision d) {
    answered_on = std::this_thread::get_id();
    second = std::move(d);
  });
  ASSERT_EQ(answered_on, std::this_thread::get_id());  // refused at once, on the caller's thread
  ASSERT_EQ(second.violations.size(), 1u);
  EXPECT_NE(second.violations[0].message.find("already being validated"), std::string::npos);
  EXPECT_TRUE(first.get_future().get().violations.empty());  // the first one still compiles, and is valid
}

}  // namespace
}  // namespace releasegate
