#include "cli/check_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/test_support.h"

namespace releasegate::cli {
namespace {

namespace fs = std::filesystem;

class CheckCommand : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("releasegate-check-" + std::to_string(::getpid()));
  std::string out, err;

  void SetUp() override {
    fs::create_directories(dir / "rules");
    write("rules/policy.yaml", testing::kTestPolicy);
    write("rules/promotion.yaml", testing::kTestPromotion);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string write(const std::string& name, const std::string& content) {
    std::ofstream(dir / name) << content;
    return (dir / name).string();
  }
  int check(std::vector<std::string> args) {
    args.insert(args.begin(), {"--rules", (dir / "rules").string()});
    std::ostringstream o, e;
    int code = run_check(args, o, e);
    out = o.str();
    err = e.str();
    return code;
  }
};

constexpr const char* kTwoDeployments = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  labels:
    kustomize.toolkit.fluxcd.io/name: apps
    kustomize.toolkit.fluxcd.io/namespace: flux-system
spec:
  template:
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/acme/podinfo:6.5.0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  labels:
    kustomize.toolkit.fluxcd.io/name: apps
    kustomize.toolkit.fluxcd.io/namespace: flux-system
spec:
  template:
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/podinfo:6.6.0
)";

TEST_F(CheckCommand, AllowedManifestsExitZero) {
  std::string file = write("ok.yaml", std::string(kTwoDeployments).substr(0, std::string(kTwoDeployments).find("---")));
  EXPECT_EQ(check({"-f", file, "--user", testing::kFluxKustomizeController, "--namespace", "staging"}), 0) << err;
  EXPECT_EQ(out.rfind("allow: Deployment staging/podinfo (environment staging)", 0), 0u) << out;
}

TEST_F(CheckCommand, OneDeniedDocumentInAMultiDocumentFileExitsOne) {
  std::string file = write("two.yaml", kTwoDeployments);
  EXPECT_EQ(check({"-f", file, "--user", testing::kFluxKustomizeController, "--namespace", "staging"}), 1) << err;
  EXPECT_NE(out.find("allow: Deployment staging/podinfo"), std::string::npos) << out;
  EXPECT_NE(out.find("deny: Deployment staging/worker"), std::string::npos) << out;
  EXPECT_NE(out.find("enforce [image-promotion] container \"worker\" (containers): image ghcr.io/acme/podinfo:6.6.0 is "
                     "not promoted to staging"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("two.yaml:15]"), std::string::npos) << "the second document starts at line 15: " << out;
}

TEST_F(CheckCommand, JsonOutputListsEveryDecision) {
  std::string file = write("two.yaml", kTwoDeployments);
  EXPECT_EQ(check({"-f", file, "--user", "jane", "--namespace", "prod", "--output", "json"}), 1);
  nlohmann::json results = nlohmann::json::parse(out);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["decision"], "deny");
  EXPECT_EQ(results[0]["environment"], "prod");
  EXPECT_EQ(results[0]["violations"][0]["rule"], "provenance");
}

TEST_F(CheckCommand, DeleteChecksProvenanceOnly) {
  std::string file = write("two.yaml", kTwoDeployments);
  EXPECT_EQ(check({"-f", file, "--user", testing::kFluxKustomizeController, "--namespace", "prod", "--operation", "DELETE"}), 0)
      << out << err;
  EXPECT_EQ(check({"-f", file, "--user", "jane", "--namespace", "prod", "--operation", "DELETE"}), 1);
}

TEST_F(CheckCommand, UsageAndInputErrorsExitTwo) {
  std::string file = write("two.yaml", kTwoDeployments);
  EXPECT_EQ(check({"-f", file}), 2);
  EXPECT_NE(err.find("--user is required"), std::string::npos);
  EXPECT_EQ(check({"-f", file, "--user", "u", "--bogus"}), 2);
  EXPECT_EQ(check({"-f", (dir / "missing.yaml").string(), "--user", "u"}), 2);
  EXPECT_EQ(check({"-f", write("bad.yaml", "kind: [unclosed"), "--user", "u"}), 2);
  // The sequence left open at the end of the file is pointed at where it opens.
  EXPECT_NE(err.find("bad.yaml:1:7: YAML syntax error"), std::string::npos) << err;
  std::string namespaced = write("ns.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: staging}\n");
  EXPECT_EQ(check({"-f", namespaced, "--user", "u", "--namespace", "prod"}), 2);
  EXPECT_NE(err.find("does not match --namespace prod"), std::string::npos) << err;
  write("rules/broken.yaml", "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata: {name: x}\nspec: {imagez: []}\n");
  EXPECT_EQ(check({"-f", file, "--user", "u", "--namespace", "prod"}), 2);
  EXPECT_NE(err.find("broken.yaml:4:8: unknown field \"imagez\""), std::string::npos) << err;
}

TEST_F(CheckCommand, CorpusManifestsAgainstTheExampleRules) {
  REQUIRE_CORPUS(corpus);
  // podinfo's own Deployment, applied by hand to prod: out-of-band, and its
  // upstream image is neither from the allowed registry nor promoted.
  std::ostringstream o, e;
  int code = run_check({"--rules", (testing::source_dir() / "deploy/examples/rules").string(), "-f",
                        (corpus / "workloads/podinfo_kustomize_deployment.yaml").string(), "--user", "jane",
                        "--namespace", "prod", "--output", "json"},
                       o, e);
  ASSERT_EQ(code, 1) << e.str();
  nlohmann::json results = nlohmann::json::parse(o.str());
  ASSERT_EQ(results.size(), 1u);
  std::set<std::string> rules;
  for (const auto& v : results[0]["violations"]) rules.insert(v["rule"]);
  EXPECT_TRUE(rules.contains("provenance"));
  EXPECT_TRUE(rules.contains("image-registry"));
  EXPECT_TRUE(rules.contains("image-promotion"));
}

// Every Flux and Argo CD kind through `check`, as CI runs it on a pull
// request: the corpus files as written, against the example rules (which
// approve only acme's fleet repository and the podinfo Helm repository).
TEST_F(CheckCommand, FluxAndArgoCorpusKindsAgainstTheExampleRules) {
  REQUIRE_CORPUS(corpus);
  std::vector<std::string> args = {"--rules", (testing::source_dir() / "deploy/examples/rules").string(), "--user",
                                   testing::kFluxKustomizeController, "--output", "json"};
  for (const char* file : {"flux/flux2-mt_tenant_gitrepository_v1_branch_kustomization_serviceAccountName.yaml",
                           "flux/flux2-khe_ingress-nginx_helmrepository_v1beta2_helmrelease_v2beta2_version-star.yaml",
                           "flux/flux2-khe_infra_cert-manager_ocirepository_helmrelease-chartRef.yaml",
                           "argocd/argo-cd_e2e_application_git_targetRevision-HEAD_no-namespace.yaml"}) {
    args.insert(args.end(), {"-f", (corpus / file).string()});
  }
  std::ostringstream o, e;
  ASSERT_EQ(run_check(args, o, e), 1) << e.str();
  std::map<std::string, std::string> decisions;  // "Kind namespace/name" -> decision
  for (const auto& r : nlohmann::json::parse(o.str())) {
    std::set<std::string> rules;
    for (const auto& v : r["violations"]) rules.insert(v["rule"]);
    decisions[r["kind"].get<std::string>() + " " + r["namespace"].get<std::string>() + "/" + r["name"].get<std::string>()] =
        r["decision"].get<std::string>() + (rules.contains("source") ? " source" : "");
  }
  EXPECT_EQ(decisions["GitRepository apps/dev-team"], "deny source");  // not acme's fleet
  EXPECT_EQ(decisions["Kustomization apps/dev-team"], "allow");         // GitRepository references are approved
  EXPECT_EQ(decisions["HelmRepository ingress-nginx/ingress-nginx"], "deny source");
  EXPECT_EQ(decisions["HelmRelease ingress-nginx/ingress-nginx"], "deny source");  // not flux-system/podinfo
  EXPECT_EQ(decisions["OCIRepository cert-manager/cert-manager"], "deny source");
  EXPECT_EQ(decisions["Namespace /cert-manager"], "not-governed");
  EXPECT_EQ(decisions["Application /test-self-managed-apps"], "deny source");
}

// As the webhook decides: a rules ConfigMap is compiled with the rules in
// force, and a broken edit denied with the compiler's messages.
TEST_F(CheckCommand, RulesConfigMapEditsAreValidatedAsAtAdmission) {
  std::string broken = testing::kTestPromotion;
  broken.replace(broken.find("prod:"), 5, "prdo:");
  std::string indented;
  for (std::size_t start = 0; start < broken.size();) {
    std::size_t end = broken.find('\n', start);
    indented += "    " + broken.substr(start, end - start) + "\n";
    start = end == std::string::npos ? broken.size() : end + 1;
  }
  std::string file = write("rules-cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo\n"
                                            "  labels:\n    releasegate.io/rules: \"true\"\n"
                                            "    kustomize.toolkit.fluxcd.io/name: apps\n"
                                            "    kustomize.toolkit.fluxcd.io/namespace: flux-system\n"
                                            "data:\n  podinfo.yaml: |\n" +
                                                indented);
  EXPECT_EQ(check({"-f", file, "--user", testing::kFluxKustomizeController, "--namespace", "releasegate-system"}), 1)
      << err;
  EXPECT_NE(out.find("[rules-edit]"), std::string::npos) << out;
  EXPECT_NE(out.find("unknown environment \"prdo\""), std::string::npos) << out;
}

TEST_F(CheckCommand, AManifestTheParserRefusesIsALocatedInputError) {
  // A request with no kind never reaches the engine, at admission or here.
  std::string file = write("no-kind.yaml", "apiVersion: apps/v1\nmetadata:\n  name: x\n");
  EXPECT_EQ(check({"-f", file, "--user", "u", "--namespace", "staging"}), 2);
  EXPECT_NE(err.find("no-kind.yaml:1: an object needs apiVersion and kind"), std::string::npos) << err;
  std::string bad_utf8 = write("utf8.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n"
                                            "    a: \"\x8f\"\n");
  EXPECT_EQ(check({"-f", bad_utf8, "--user", "u", "--namespace", "staging"}), 2);
  // The YAML parser refuses it, at the byte (the apiserver accepts only UTF-8).
  EXPECT_NE(err.find("utf8.yaml:6:9: YAML syntax error: invalid leading UTF-8 octet (byte 0x8F)"), std::string::npos)
      << err;
}

// Found by fuzzing: a float beyond double's range threw out of the reader.
TEST_F(CheckCommand, FloatsOutOfRangeAreReadNotThrown) {
  std::string file = write("floats.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n"
                                          "spec:\n  replicas: 1e999\n  minReadySeconds: 1e-400\n");
  EXPECT_EQ(check({"-f", file, "--user", "u", "--namespace", "dev"}), 1) << err;  // out-of-band in dev: denied
  EXPECT_NE(out.find("Deployment dev/x"), std::string::npos) << out << err;
}

}  // namespace
}  // namespace releasegate::cli
