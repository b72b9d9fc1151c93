#include "admission/admission_review.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace releasegate::admission {
namespace {

using testing::ReviewSpec;

TEST(AdmissionReview, ParsesTheTypedRequest) {
  ReviewSpec spec;
  spec.operation = "UPDATE";
  spec.dry_run = true;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.object["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", std::string(5000, 'x')},
                                            {"releasegate.io/break-glass", "INC-1"}};
  spec.object["spec"]["template"]["spec"]["initContainers"] = {{{"name", "init"}, {"image", "busybox:1"}}};
  spec.old_object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.4.0");
  ReviewParseResult parsed = parse_admission_review(testing::review(spec, "uid-1"));
  ASSERT_TRUE(parsed.review) << parsed.error;
  const AdmissionRequest& r = parsed.review->request;
  EXPECT_EQ(parsed.review->uid, "uid-1");
  EXPECT_EQ(r.kind.group, "apps");
  EXPECT_EQ(r.kind.kind, "Deployment");
  EXPECT_EQ(r.operation, Operation::Update);
  EXPECT_EQ(r.namespace_, "staging");
  EXPECT_EQ(r.name, "podinfo");
  EXPECT_EQ(r.username, testing::kFluxKustomizeController);
  EXPECT_EQ(r.groups.size(), 2u);
  EXPECT_TRUE(r.dry_run);
  ASSERT_TRUE(r.object);
  EXPECT_EQ(r.object->labels.find("kustomize.toolkit.fluxcd.io/name"), "apps");
  // Only the annotations the rules read are kept.
  EXPECT_EQ(r.object->annotations.find("releasegate.io/break-glass"), "INC-1");
  EXPECT_FALSE(r.object->annotations.find("kubectl.kubernetes.io/last-applied-configuration"));
  // Images come in document order, each with its list and position.
  ASSERT_EQ(r.object->images.size(), 2u);
  EXPECT_EQ(r.object->images[0].list, ContainerList::Containers);
  EXPECT_EQ(r.object->images[0].container, "podinfod");
  EXPECT_EQ(r.object->images[0].index, 0u);
  EXPECT_EQ(r.object->images[1].list, ContainerList::InitContainers);
  EXPECT_EQ(r.object->images[1].image, "busybox:1");
  ASSERT_TRUE(r.old_object);
  EXPECT_EQ(r.old_object->images[0].image, "ghcr.io/acme/podinfo:6.4.0");
}

TEST(AdmissionReview, RejectsWhatIsNotAnAdmissionReviewV1) {
  auto error_of = [](const std::string& body) {
    ReviewParseResult r = parse_admission_review(body);
    EXPECT_FALSE(r.review) << body;
    return r.error;
  };
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"apiVersion":"v1","kind":"Pod"})").find("not an AdmissionReview"), std::string::npos);
  EXPECT_NE(error_of(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}})")
                .find("admissionReviewVersions: [v1]"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})").find("no request"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{}}})")
                .find("no uid"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",
      "kind":{"group":"","version":"v1","kind":"Pod"},"operation":"PATCH"}})")
                .find("unknown operation"),
            std::string::npos);
}

// Duplicate keys: the last wins, for labels and annotations as everywhere
// else in the parse (the apiserver's decoder does the same).
TEST(AdmissionReview, DuplicateLabelsAndAnnotationsLastWins) {
  std::string body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",)"
                     R"("kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE",)"
                     R"("namespace":"prod","object":{"metadata":{"name":"a","labels":{)"
                     R"("kustomize.toolkit.fluxcd.io/name":"first","kustomize.toolkit.fluxcd.io/name":"last"},)"
                     R"("annotations":{"releasegate.io/break-glass":"x","releasegate.io/break-glass":""}}}}})";
  ReviewParseResult parsed = parse_admission_review(body);
  ASSERT_TRUE(parsed.review) << parsed.error;
  const ObjectView& o = *parsed.review->request.object;
  EXPECT_EQ(o.labels.find("kustomize.toolkit.fluxcd.io/name"), "last");
  EXPECT_EQ(o.annotations.find("releasegate.io/break-glass"), "");
}

TEST(AdmissionReview, KeyOrderDoesNotMatter) {
  // The object before the request's kind, metadata after spec.
  ReviewParseResult parsed = parse_admission_review(R"({"request": {
      "object": {"spec": {"template": {"spec": {"containers": [{"image": "ghcr.io/acme/a:1", "name": "a"}]}}},
                 "metadata": {"labels": {"kustomize.toolkit.fluxcd.io/name": "apps"}, "name": "a"}},
      "operation": "CREATE", "kind": {"kind": "Deployment", "group": "apps", "version": "v1"},
      "namespace": "staging", "uid": "u-1", "userInfo": {"groups": ["g"], "username": "x"}},
    "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1"})");
  ASSERT_TRUE(parsed.review) << parsed.error;
  const AdmissionRequest& r = parsed.review->request;
  EXPECT_EQ(r.kind.kind, "Deployment");
  ASSERT_EQ(r.object->images.size(), 1u);
  EXPECT_EQ(r.object->images[0].image, "ghcr.io/acme/a:1");
  EXPECT_EQ(r.object->labels.find("kustomize.toolkit.fluxcd.io/name"), "apps");
  EXPECT_EQ(r.groups, std::vector<std::string>{"g"});
}

TEST(AdmissionReview, MalformedJsonInsideTheObjectIsAnError) {
  ReviewParseResult parsed = parse_admission_review(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
      "request":{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","object":{"metadata":{"name": }}}})");
  EXPECT_FALSE(parsed.review);
  EXPECT_NE(parsed.error.find("not valid JSON"), std::string::npos) << parsed.error;
}

// Found by fuzzing: a malformed list read leniently abandoned simdjson's
// iterator without an error, and the UPDATE diff then rewound a dead document.
TEST(AdmissionReview, MalformedJsonInALenientlyReadListIsAnError) {
  ReviewParseResult parsed = parse_admission_review(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
      "request":{"uid":"u","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"UPDATE",
      "object":{"metadata":{"name":"a"}},"oldObject":{"metadata":{"name":"a"}},
      "userInfo":{"username":"j","groups":["g", "fieldManager": "kubectl-set"}}})");
  EXPECT_FALSE(parsed.review);
  EXPECT_NE(parsed.error.find("not valid JSON"), std::string::npos) << parsed.error;
}

TEST(AdmissionReview, GenerateNameCreateTakesNamespaceFromRequest) {
  ReviewSpec spec;
  spec.group = "";
  spec.kind = "Pod";
  spec.name = "";
  spec.object = testing::pod("staging", "ghcr.io/acme/podinfo:6.5.0");
  spec.object["metadata"].erase("name");
  spec.object["metadata"]["generateName"] = "podinfo-";
  ReviewParseResult parsed = parse_admission_review(testing::review(spec));
  ASSERT_TRUE(parsed.review);
  EXPECT_EQ(parsed.review->request.namespace_, "staging");
  EXPECT_EQ(parsed.review->request.name, "");
}

TEST(AdmissionReview, ParsesTheCorpusReviews) {
  REQUIRE_CORPUS(corpus);
  ReviewParseResult pod = parse_admission_review(
      testing::read_file(corpus / "admission/kubewarden-policy-server_admissionreview_v1_pod_create_initcontainer_privileged.json"));
  ASSERT_TRUE(pod.review) << pod.error;
  EXPECT_EQ(pod.review->request.kind.kind, "Pod");
  EXPECT_EQ(pod.review->request.username, "kubernetes-admin");
  ASSERT_EQ(pod.review->request.object->images.size(), 2u);
  EXPECT_EQ(pod.review->request.object->images[0].image, "alpine");
  EXPECT_EQ(pod.review->request.object->images[1].image, "nginx");

  // The API's roundtrip fixture has placeholder values everywhere; it must
  // parse (operationValue is not an operation, so it is a client error).
  ReviewParseResult roundtrip = parse_admission_review(testing::read_file(corpus / "admission/k8s-api_admission.k8s.io.v1.AdmissionReview.json"));
  EXPECT_FALSE(roundtrip.review);
  EXPECT_NE(roundtrip.error.find("unknown operation \"operationValue\""), std::string::npos) << roundtrip.error;

  ReviewParseResult beta = parse_admission_review(testing::read_file(corpus / "admission/k8s-api_admission.k8s.io.v1beta1.AdmissionReview.json"));
  EXPECT_FALSE(beta.review);
  ReviewParseResult raw = parse_admission_review(testing::read_file(corpus / "admission/kubewarden-policy-server_raw_review_not_k8s.json"));
  EXPECT_FALSE(raw.review);
}

TEST(AdmissionReview, ParsesEveryCorpusAdmissionRequest) {
  REQUIRE_CORPUS(corpus);
  struct Case {
    const char* file;
    Operation operation;
    std::size_t images;
    bool object;
    bool old_object;
  };
  for (Case c : {Case{"kubewarden_admissionrequest_deployment_create_minikube.json", Operation::Create, 1, true, false},
                 Case{"kubewarden_admissionrequest_deployment_update_with_oldObject.json", Operation::Update, 1, true, true},
                 Case{"kubewarden_admissionrequest_deployment_delete.json", Operation::Delete, 0, false, true},
                 Case{"kubewarden-trusted-repos_admissionrequest_cronjob_create.json", Operation::Create, 1, true, false},
                 Case{"kubewarden_admissionrequest_pod_create_by_replicaset-controller_sa.json", Operation::Create, 2, true, false}}) {
    SCOPED_TRACE(c.file);
    nlohmann::json review{{"apiVersion", "admission.k8s.io/v1"},
                          {"kind", "AdmissionReview"},
                          {"request", nlohmann::json::parse(testing::read_file(corpus / "admission" / c.file))}};
    ReviewParseResult parsed = parse_admission_review(review.dump());
    ASSERT_TRUE(parsed.review) << parsed.error;
    const AdmissionRequest& r = parsed.review->request;
    EXPECT_EQ(r.operation, c.operation);
    EXPECT_EQ(r.object.has_value(), c.object);
    EXPECT_EQ(r.old_object.has_value(), c.old_object);
    if (c.object) {
      EXPECT_EQ(r.object->images.size(), c.images);
    }
    EXPECT_FALSE(r.username.empty());
  }
}

}  // namespace
}  // namespace releasegate::admission
