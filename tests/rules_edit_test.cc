// Rules ConfigMaps validated at admission, through the webhook's handler.
#include "rules/rules_edit.h"

#include <gtest/gtest.h>

#include "rules/rule_loader.h"
#include "tests/test_support.h"
#include "webhook/admission_handler.h"

namespace releasegate {
namespace {

using nlohmann::json;

json rules_config_map(const std::string& name, const std::string& key, const std::string& content,
                      bool labelled = true) {
  json cm{{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "releasegate-system"}}},
          {"data", {{key, content}, {"README", "not rules"}}}};
  if (labelled) cm["metadata"]["labels"] = {{"releasegate.io/rules", "true"}};
  return cm;
}

class RulesEdit : public ::testing::Test {
 protected:
  rules::RuleStore store;
  void SetUp() override { store.publish(testing::test_rules()); }

  json validate(const json& config_map, const json& old = nullptr) {
    testing::ReviewSpec spec;
    spec.group = "";
    spec.kind = "ConfigMap";
    spec.namespace_ = "releasegate-system";
    spec.name = config_map["metadata"]["name"];
    spec.operation = old.is_null() ? "CREATE" : "UPDATE";
    spec.user = "system:serviceaccount:flux-system:kustomize-controller";
    spec.object = config_map;
    spec.old_object = old;
    webhook::HandledReview handled =
        webhook::AdmissionHandler(store).handle(webhook::Endpoint::Validate, testing::review(spec));
    EXPECT_EQ(handled.http_status, 200);
    return json::parse(handled.body)["response"];
  }
};

TEST_F(RulesEdit, AValidPromotionEditIsAllowed) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("staging: [\""), 11, "staging: [\"6.6.0\", \"");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", promotion));
  EXPECT_EQ(response["allowed"], true) << response.dump();
  EXPECT_EQ(response["auditAnnotations"]["decision"], "allow");
}

TEST_F(RulesEdit, ABrokenEditIsDeniedWithLintMessages) {
  std::string promotion = testing::kTestPromotion;
  promotion.replace(promotion.find("prod:"), 5, "prdo:");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", promotion));
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
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", promotion));
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

TEST_F(RulesEdit, DocumentsDroppedByAnUpdateAreRemovedFromTheUnion) {
  // The old ConfigMap held the Promotion; the new one renames it: without
  // removing the old document, the repository would have two records.
  std::string renamed = testing::kTestPromotion;
  renamed.replace(renamed.find("name: podinfo"), 13, "name: podinfo-v2");
  json response = validate(rules_config_map("podinfo", "podinfo.yaml", renamed),
                           rules_config_map("podinfo", "podinfo.yaml", testing::kTestPromotion));
  EXPECT_EQ(response["allowed"], true) << response.dump();
}

TEST_F(RulesEdit, UnlabelledConfigMapsAreNotGoverned) {
  json response = validate(rules_config_map("other", "x.yaml", "not: [valid", /*labelled=*/false));
  EXPECT_EQ(response["allowed"], true);
  EXPECT_FALSE(response.contains("auditAnnotations"));
}

}  // namespace
}  // namespace releasegate
