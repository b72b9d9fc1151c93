// `releasegate evidence export` against the test API server, and its
// records back through `lint` and `check` at pull-request time.
#include "cli/evidence_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/check_command.h"
#include "cli/lint_command.h"
#include "evidence/evidence_document.h"
#include "signing/key_file.h"
#include "tests/support/evidence_fixtures.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/kubeconfig_file.h"

namespace releasegate::cli {
namespace {

namespace fs = std::filesystem;
using testing::Rollout;

struct Ran {
  int code;
  std::string out, err;
};

template <class Command>
Ran run(Command command, const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = command(args, out, err);
  return {code, out.str(), err.str()};
}

class EvidenceExport : public ::testing::Test {
 protected:
  testing::FakeApiServer api;
  fs::path dir = fs::temp_directory_path() / ("releasegate-evidence-cli-" + std::to_string(::getpid()));
  UnixSeconds now = wall_clock();

  void SetUp() override {
    ASSERT_TRUE(api.ok()) << api.error();
    fs::create_directories(dir / "base");
    fs::create_directories(dir / "pr");
    testing::write_kubeconfig(api, dir / "kubeconfig");
    // The base promotes 6.5.0 to prod; the pull request adds 6.5.1.
    std::string base = testing::kEvidencePromotion;
    for (const char* v : {", \"6.5.1@", ", \"6.5.1\"]"}) {
      auto at = base.rfind(v);
      base.erase(at, base.find(']', at) - at);
    }
    write("base/policy.yaml", testing::evidence_policy());
    write("base/promotion.yaml", base);
    write("pr/policy.yaml", testing::evidence_policy());
    write("pr/promotion.yaml", testing::kEvidencePromotion);
    write("key.pem", testing::test_signing_key().pem());
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& content) { std::ofstream(dir / name) << content; }

  Ran export_evidence(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"export", "--kubeconfig", (dir / "kubeconfig").string(), "--rules",
                                     (dir / "pr").string(), "--cluster-name", "staging-eu-1",
                                     "--signing-key", (dir / "key.pem").string()};
    args.insert(args.end(), more.begin(), more.end());
    return run(run_evidence, args);
  }
  // The records of what export wrote, verified as the policy's trust would.
  static std::vector<EvidenceRecord> records(const std::string& text) {
    std::vector<policy::LoadError> errors;
    auto read = evidence::read_evidence(text, "exported", testing::test_trust(), errors);
    EXPECT_TRUE(errors.empty()) << errors.front().to_string();
    return read;
  }
  Ran lint() {
    return run(run_lint, {"--rules", (dir / "pr").string(), "--base", (dir / "base").string()});
  }
};

TEST_F(EvidenceExport, WritesWhatTheClusterProvedAndLintAcceptsIt) {
  api.put("/apis/apps/v1/namespaces/staging/deployments",
          testing::with_status(testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.1"), Rollout::Complete,
                               now - 31 * 60));
  api.put("/apis/helm.toolkit.fluxcd.io/v2/namespaces/staging/helmreleases",
          testing::helm_release("staging", "6.5.1", true, now - 40 * 60));
  api.put("/apis/apps/v1/namespaces/dev/deployments",
          testing::with_status(testing::deployment("dev", "ghcr.io/acme/podinfo:7.0.0"), Rollout::Complete, now));

  Ran without = lint();
  EXPECT_EQ(without.code, 1);
  EXPECT_NE(without.out.find("image ghcr.io/acme/podinfo:6.5.1, promoted to prod, has no evidence from staging"),
            std::string::npos)
      << without.out;
  EXPECT_NE(without.out.find("chart HelmRepository/flux-system/podinfo podinfo 6.5.1, promoted to prod"),
            std::string::npos)
      << without.out;

  Ran exported = export_evidence({"--environment", "staging"});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_NE(exported.out.find("kind: Evidence"), std::string::npos);
  EXPECT_NE(exported.out.find("cluster: \"staging-eu-1\""), std::string::npos);
  EXPECT_NE(exported.out.find("payloadType: application/vnd.in-toto+json"), std::string::npos);
  std::vector<EvidenceRecord> read = records(exported.out);
  EXPECT_EQ(read.size(), 2u);
  for (const EvidenceRecord& r : read) EXPECT_EQ(r.environment, "staging") << "dev was not asked for";
  write("pr/evidence.yaml", exported.out);
  Ran with = lint();
  EXPECT_EQ(with.code, 0) << with.out << with.err;

  // check: the prod Deployment of the pull request, judged with the records.
  nlohmann::json prod = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.1@" + testing::kDigest651);
  write("prod.yaml", prod.dump());
  std::vector<std::string> check_args = {"--rules", (dir / "pr").string(), "-f", (dir / "prod.yaml").string(),
                                         "--user", testing::kFluxKustomizeController};
  EXPECT_EQ(run(run_check, check_args).code, 0);
  fs::remove(dir / "pr/evidence.yaml");
  Ran denied = run(run_check, check_args);
  EXPECT_NE(denied.code, 0);
  EXPECT_NE((denied.out + denied.err).find("has no evidence from staging"), std::string::npos) << denied.out;
}

TEST_F(EvidenceExport, TooShortASoakIsNotEnough) {
  api.put("/apis/apps/v1/namespaces/staging/deployments",
          testing::with_status(testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.1"), Rollout::Complete,
                               now - 5 * 60));
  Ran exported = export_evidence();
  ASSERT_EQ(exported.code, 0) << exported.err;
  write("pr/evidence.yaml", exported.out);
  Ran linted = lint();
  EXPECT_EQ(linted.code, 1);
  EXPECT_NE(linted.out.find("for 5 of the 30 minutes required"), std::string::npos) << linted.out;
}

TEST_F(EvidenceExport, AFailedListExportsNothing) {
  api.set_handler([](const testing::FakeRequest& r) -> std::optional<testing::FakeReply> {
    if (r.path.find("statefulsets") != std::string::npos) return testing::FakeReply::status(403, "Forbidden", "no");
    return std::nullopt;
  });
  Ran exported = export_evidence();
  EXPECT_EQ(exported.code, 1);
  EXPECT_TRUE(exported.out.empty());
  EXPECT_NE(exported.err.find("statefulsets"), std::string::npos) << exported.err;
}

// No Flux (an Argo CD cluster): HelmReleases are not served, the
// workloads' evidence is exported all the same; a built-in kind answering
// 404 is still an error.
TEST_F(EvidenceExport, AKindNotServedIsSkippedOnlyWhenItIsACustomResource) {
  api.put("/apis/apps/v1/namespaces/staging/deployments",
          testing::with_status(testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.1"), Rollout::Complete,
                               now - 31 * 60));
  std::string not_served = "helmreleases";
  api.set_handler([&](const testing::FakeRequest& r) -> std::optional<testing::FakeReply> {
    if (r.path.find(not_served) == std::string::npos) return std::nullopt;
    return testing::FakeReply::status(404, "NotFound", "the server could not find the requested resource");
  });
  Ran exported = export_evidence({"--environment", "staging"});
  ASSERT_EQ(exported.code, 0) << exported.err;
  std::vector<EvidenceRecord> read = records(exported.out);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].key, "ghcr.io/acme/podinfo");

  not_served = "daemonsets";
  Ran failed = export_evidence();
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.err.find("daemonsets"), std::string::npos) << failed.err;
}

// Two identities: staging-eu-1 signs with its key, the prod side's policy
// verifies. A key the policy does not trust for staging-eu-1 exports
// evidence that lint refuses, saying why.
TEST_F(EvidenceExport, EvidenceSignedByAnUntrustedKeyIsRefused) {
  api.put("/apis/apps/v1/namespaces/staging/deployments",
          testing::with_status(testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.1"), Rollout::Complete,
                               now - 31 * 60));
  write("key.pem", signing::SigningKey::generate(signing::KeyType::EcdsaP256).pem());
  Ran exported = export_evidence({"--environment", "staging"});
  ASSERT_EQ(exported.code, 0) << exported.err;
  write("pr/evidence.yaml", exported.out);
  Ran linted = lint();
  EXPECT_NE(linted.code, 0);
  EXPECT_NE((linted.out + linted.err).find("Evidence not trusted"), std::string::npos) << linted.out << linted.err;
  EXPECT_NE((linted.out + linted.err).find("does not verify with any key trusted for them"), std::string::npos);
}

// keygen: the private key into a file only its owner reads, the public
// key printed for the policy's evidence.trust.
TEST_F(EvidenceExport, KeygenWritesAPrivateKeyAndPrintsItsPublicKey) {
  for (const char* type : {"ecdsa-p256", "ed25519"}) {
    fs::path key = dir / (std::string(type) + ".pem");
    Ran made = run(run_evidence, {"keygen", "--output", key.string(), "--type", type});
    ASSERT_EQ(made.code, 0) << made.err;
    EXPECT_EQ(fs::status(key).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
    std::string error;
    signing::SigningKeyFile file(key);
    auto private_key = file.current(&error);
    ASSERT_TRUE(private_key) << error;
    auto public_key = signing::PublicKey::from_pem(made.out, &error);
    ASSERT_TRUE(public_key) << error << made.out;
    EXPECT_EQ(public_key->id(), private_key->public_key().id());
  }
  EXPECT_EQ(run(run_evidence, {"keygen", "--output", (dir / "x.pem").string(), "--type", "rsa"}).code, 2);
}

TEST_F(EvidenceExport, UsageErrors) {
  EXPECT_EQ(run(run_evidence, {"import"}).code, 2);
  EXPECT_EQ(run(run_evidence, {"export", "--kubeconfig", (dir / "kubeconfig").string(), "--cluster-name", "a"}).code, 2)
      << "the signing key is required";
  EXPECT_EQ(run(run_evidence, {"export", "--kubeconfig", (dir / "kubeconfig").string()}).code, 2)
      << "the cluster's name is required";
}

}  // namespace
}  // namespace releasegate::cli
