// The observer against the test API server: workloads and HelmReleases of
// staging becoming healthy, staying, failing; what it persists and reads
// back; and admission over TLS reading its evidence.
#include "evidence/observer.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>

#include "audit/cluster_audit.h"
#include "evidence/evidence_document.h"
#include "evidence/persisted_evidence.h"
#include "server/server.h"
#include "tests/support/evidence_fixtures.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/tls_client.h"

namespace releasegate::evidence {
namespace {

namespace fs = std::filesystem;
using testing::eventually;
using testing::kT0;
using testing::Rollout;

const std::string kDeployments = "/apis/apps/v1/namespaces/staging/deployments";
const std::string kStatefulSets = "/apis/apps/v1/namespaces/staging/statefulsets";
const std::string kHelmReleases = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/staging/helmreleases";
const std::string kConfigMaps = "/api/v1/namespaces/releasegate-system/configmaps";

nlohmann::json named(nlohmann::json object, const std::string& name) {
  object["metadata"]["name"] = name;
  return object;
}

class ObserverTest : public ::testing::Test {
 protected:
  testing::FakeApiServer api;
  runtime::RuleStore store;
  std::atomic<UnixSeconds> now{kT0};

  fs::path key_file = fs::temp_directory_path() / ("releasegate-observer-key-" + std::to_string(::getpid()) + ".pem");

  void SetUp() override {
    ASSERT_TRUE(api.ok()) << api.error();
    std::ofstream(key_file) << testing::test_signing_key().pem();
    policy::LoadResult loaded = testing::evidence_rules();
    ASSERT_TRUE(loaded.rules) << loaded.errors.front().to_string();
    store.publish(loaded);
  }

  void TearDown() override { fs::remove(key_file); }

  ObserverOptions options() {
    ObserverOptions o;
    o.signing_key = std::make_shared<signing::SigningKeyFile>(key_file);
    o.tracker.cluster = "staging-eu-1";
    o.namespace_ = "releasegate-system";
    o.tick = std::chrono::milliseconds(20);
    o.persist_interval = std::chrono::seconds(0);
    o.watch.watch_timeout = std::chrono::seconds(30);
    o.watch.initial_backoff = std::chrono::milliseconds(20);
    o.clock = [this] { return now.load(); };
    return o;
  }

  static std::optional<EvidenceRecord> find(const Observer& observer, const std::string& tag = "6.5.1") {
    auto found = observer.current()->records_of(EvidenceOf::Image, "ghcr.io/acme/podinfo", "staging", tag, "");
    return found.size() == 1 ? std::optional(found[0]) : std::nullopt;
  }

  nlohmann::json staging(Rollout rollout, UnixSeconds since, const std::string& tag = "6.5.1") {
    return testing::with_status(testing::deployment("staging", "ghcr.io/acme/podinfo:" + tag), rollout, since);
  }
};

// The audit reads the kinds the observer watches through the observer's
// reflectors: one list per kind and audit (not the audit's own besides),
// the same judgement as a list of its own, and the watches go on.
TEST_F(ObserverTest, TheAuditListsWhatTheObserverWatchesThroughItsReflectors) {
  api.put(kDeployments, staging(Rollout::Complete, kT0));
  api.put(kDeployments, named(testing::deployment("staging", "ghcr.io/acme/podinfo:0.0.1"), "unpromoted"));
  Observer observer(api.client_config(), store, options());
  kube::Client client(api.client_config());
  audit::ClusterAuditOptions shared;
  shared.shared_list = [&](const std::string& path, const kube::Reflector::ItemText& each) {
    return observer.list_now(path, each);
  };
  std::shared_ptr<const RuleSet> rules = store.current();
  // Not started: no reflector runs, and the audit lists alone.
  audit::AuditResult alone = audit::audit_cluster(client, *rules, shared);
  ASSERT_EQ(alone.objects, 2u);
  observer.start();
  ASSERT_TRUE(eventually([&] { return observer.status().connected && find(observer).has_value(); }));
  api.clear_requests();

  audit::AuditResult through = audit::audit_cluster(client, *rules, shared);
  EXPECT_TRUE(through.complete);
  EXPECT_EQ(through.objects, alone.objects);
  EXPECT_EQ(through.counts, alone.counts);
  std::vector<testing::FakeRequest> requests = api.requests();
  for (const EvidenceCollection& collection : evidence_collections()) {
    auto lists = std::count_if(requests.begin(), requests.end(), [&](const testing::FakeRequest& r) {
      return r.path == collection.path && !r.query.contains("watch");
    });
    EXPECT_EQ(lists, 1) << collection.path;
  }
  api.put(kDeployments, named(staging(Rollout::Complete, kT0, "6.5.2"), "next"));
  EXPECT_TRUE(eventually([&] { return find(observer, "6.5.2").has_value(); })) << "the watch went on";
  for (const kube::ReflectorStatus& reflector : observer.status().reflectors) {
    EXPECT_EQ(reflector.failures, 0u) << reflector.collection;
  }
}

// No environment requires evidence: nothing is read from the API (not even
// the persisted ConfigMap) until the rules say one does; then it observes.
TEST_F(ObserverTest, IdleUntilAnEnvironmentRequiresEvidence) {
  store.publish(testing::evidence_rules({}, ""));
  api.put(kDeployments, staging(Rollout::Complete, kT0));
  Observer observer(api.client_config(), store, options());
  observer.start();
  ASSERT_TRUE(eventually([&] { return observer.status().idle; }));
  // Requests to the API's paths only: another test's probes once reached
  // this port, when free_port() still drew from the ephemeral range and
  // raced with this server's bind (under ctest -j2 beside the deploy suite).
  auto api_requests = [&] {
    std::vector<testing::FakeRequest> all = api.requests();
    return std::count_if(all.begin(), all.end(), [](const auto& r) { return r.path.starts_with("/api"); });
  };
  EXPECT_EQ(api_requests(), 0) << "an idle observer lists and watches nothing";
  EXPECT_TRUE(observer.status().connected) << "no watch is needed, so none is missing";
  store.publish(testing::evidence_rules());
  ASSERT_TRUE(eventually([&] { return !observer.status().idle && observer.status().synced; }));
  EXPECT_TRUE(eventually([&] { return find(observer).has_value(); }));
}

TEST_F(ObserverTest, ADeploymentBecomingAvailableStayingDegrading) {
  api.put(kDeployments, staging(Rollout::Progressing, kT0));
  Observer observer(api.client_config(), store, options());
  observer.start();
  ASSERT_TRUE(eventually([&] { return observer.status().synced && observer.status().connected; }));
  EXPECT_FALSE(find(observer));
  EXPECT_EQ(observer.status().objects, 1u);

  now = kT0 + 60;
  api.put(kDeployments, staging(Rollout::Complete, kT0 + 60));
  ASSERT_TRUE(eventually([&] { return find(observer).has_value(); }));
  EXPECT_TRUE(find(observer)->ongoing);
  EXPECT_EQ(find(observer)->healthy_since, kT0 + 60);
  EXPECT_EQ(find(observer)->object, "Deployment staging/podinfo");

  now = kT0 + 31 * 60;  // staying: still the same period
  ASSERT_TRUE(eventually([&] { return find(observer)->observed_until == kT0 + 31 * 60; }));
  EXPECT_EQ(find(observer)->healthy_for(now), 30 * 60);
  auto counted = [&](auto field) {  // the status is counted at most every count_gap
    return eventually([&] {
      ObserverStatus status = observer.status();
      auto& counts = status.*field;
      return counts.count("staging") && counts.at("staging") == 1u;
    });
  };
  EXPECT_TRUE(counted(&ObserverStatus::proven));

  api.put(kDeployments, staging(Rollout::Unavailable, kT0 + 31 * 60));
  ASSERT_TRUE(eventually([&] { return find(observer)->degraded_at != 0; }));
  EXPECT_EQ(find(observer)->healthy_for(now), 0);
  EXPECT_TRUE(counted(&ObserverStatus::degraded));

  ASSERT_TRUE(api.remove(kDeployments, "podinfo"));
  ASSERT_TRUE(eventually([&] { return observer.status().objects == 0; }));
}

TEST_F(ObserverTest, AHelmReleaseFailingThenSucceeding) {
  api.put(kHelmReleases, testing::helm_release("staging", "6.5.1", false, kT0));
  Observer observer(api.client_config(), store, options());
  observer.start();
  auto chart = [&]() -> std::optional<EvidenceRecord> {
    auto found = observer.current()->records_of(EvidenceOf::Chart, "HelmRepository/flux-system/podinfo podinfo",
                                                "staging", "6.5.1", "");
    return found.size() == 1 ? std::optional(found[0]) : std::nullopt;
  };
  ASSERT_TRUE(eventually([&] { return chart().has_value(); }));
  EXPECT_NE(chart()->degraded_at, 0);
  now = kT0 + 120;
  api.put(kHelmReleases, testing::helm_release("staging", "6.5.1", true, kT0 + 100));
  ASSERT_TRUE(eventually([&] { return chart() && chart()->ongoing; }));
  EXPECT_EQ(chart()->healthy_since, kT0 + 100);
}

TEST_F(ObserverTest, PersistsAndARestartReadsItBack) {
  api.put(kStatefulSets, testing::stateful_set("staging", "ghcr.io/acme/podinfo:6.5.1"));
  // releasegate's Role may patch the shipped ConfigMap, never create one
  // (deploy/base/rbac.yaml): until it is there, persisting fails.
  api.forbid_create(kConfigMaps);
  {
    Observer observer(api.client_config(), store, options());
    observer.start();
    ASSERT_TRUE(eventually([&] { return find(observer).has_value(); }));
    now = kT0 + 600;
    ASSERT_TRUE(eventually([&] { return observer.status().persist_errors >= 1; }));
    EXPECT_FALSE(api.object(kConfigMaps, "releasegate-evidence"));
    api.put(kConfigMaps, {{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata", {{"name", "releasegate-evidence"}, {"namespace", "releasegate-system"}}}});
    ASSERT_TRUE(eventually([&] {
      auto cm = api.object(kConfigMaps, "releasegate-evidence");
      if (!cm || observer.status().persists < 1) return false;
      std::vector<policy::LoadError> errors;
      auto records = read_evidence(cm->at("data").value(std::string(kEvidenceKey), ""), "cm", testing::test_trust(), errors);
      return records.size() == 1 && records[0].observed_until == kT0 + 600;
    }));
  }
  auto cm = api.object(kConfigMaps, "releasegate-evidence");
  std::vector<policy::LoadError> errors;
  auto records = read_evidence(cm->at("data").at(std::string(kEvidenceKey)), "cm", testing::test_trust(), errors);
  ASSERT_TRUE(errors.empty()) << errors.front().to_string();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].healthy_since, kT0);
  EXPECT_EQ(records[0].cluster, "staging-eu-1");

  // The restart: a StatefulSet's status says no time, the ConfigMap does.
  now = kT0 + 660;
  Observer restarted(api.client_config(), store, options());
  restarted.start();
  ASSERT_TRUE(eventually([&] { return restarted.status().restored && find(restarted) && find(restarted)->ongoing; }));
  EXPECT_EQ(find(restarted)->healthy_since, kT0);
}

// What the ConfigMap holds is trusted only when this cluster's key (or a
// key the policy trusts for it) signed it: a namespace admin who writes a
// week of soak into it proves nothing. Without a key, nothing is read back
// or written, and the status says why.
TEST_F(ObserverTest, PersistedEvidenceCountsOnlyWhenSignedAndNeedsAKey) {
  signing::SigningKey stranger = signing::SigningKey::generate(signing::KeyType::EcdsaP256);
  std::string forged = testing::signed_evidence(
      "forged", {{"cluster", "staging-eu-1"},
                 {"environment", "staging"},
                 {"images",
                  {{{"repository", "ghcr.io/acme/podinfo"},
                    {"tag", "6.5.1"},
                    {"healthySince", "2026-11-25T14:02:00Z"},
                    {"observedUntil", "2026-12-02T14:02:00Z"}}}}},
      stranger);
  api.put(kConfigMaps, {{"metadata", {{"name", "releasegate-evidence"}}}, {"data", {{std::string(kEvidenceKey), forged}}}});
  {
    Observer observer(api.client_config(), store, options());
    observer.start();
    ASSERT_TRUE(eventually([&] { return observer.status().restored && observer.status().synced; }));
    EXPECT_FALSE(find(observer).has_value()) << "the forged record is dropped";
    std::optional<std::string> error = observer.status().last_error;
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("Evidence not trusted"), std::string::npos) << *error;
  }
  ObserverOptions keyless = options();
  keyless.signing_key = nullptr;
  Observer observer(api.client_config(), store, keyless);
  observer.start();
  ASSERT_TRUE(eventually([&] {
    auto error = observer.status().last_error;
    return error && error->find("no evidence signing key") != std::string::npos;
  }));
  EXPECT_FALSE(observer.status().restored);
  EXPECT_EQ(observer.status().persists, 0u);
}

TEST_F(ObserverTest, TheApiDownLosesNothingAndRecovers) {
  api.put(kDeployments, staging(Rollout::Complete, kT0));
  Observer observer(api.client_config(), store, options());
  observer.start();
  ASSERT_TRUE(eventually([&] { return find(observer).has_value(); }));
  api.set_down(true);
  api.close_watches();
  ASSERT_TRUE(eventually([&] { return !observer.status().connected; }));
  EXPECT_TRUE(find(observer)) << "the last evidence stays while the watch is down";
  api.set_down(false);
  ASSERT_TRUE(eventually([&] { return observer.status().connected; }));
}

// No Flux HelmRelease v2 API (an Argo CD cluster, or an older Flux): the
// kind is skipped, shown as not served, and the observer syncs with what
// exists, persists and counts as connected.
TEST_F(ObserverTest, AKindTheApiDoesNotServeIsSkippedAndTheRestSyncs) {
  const std::string all_helm_releases = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases";
  std::atomic<bool> flux_installed{false};
  api.set_handler([&](const testing::FakeRequest& request) -> std::optional<testing::FakeReply> {
    if (request.path != all_helm_releases || flux_installed) return std::nullopt;
    return testing::FakeReply::status(404, "NotFound", "the server could not find the requested resource");
  });
  api.put(kStatefulSets, testing::stateful_set("staging", "ghcr.io/acme/podinfo:6.5.1"));
  api.put(kConfigMaps, {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", "releasegate-evidence"}, {"namespace", "releasegate-system"}}}});
  Observer observer(api.client_config(), store, options());
  observer.start();
  ASSERT_TRUE(eventually([&] { return find(observer).has_value(); }));
  now = kT0 + 600;
  ASSERT_TRUE(eventually([&] {
    ObserverStatus status = observer.status();
    return status.synced && status.connected && status.persists >= 1;
  }));
  EXPECT_EQ(observer.status().not_served, std::vector<std::string>{"HelmRelease"});
  EXPECT_FALSE(observer.status().last_error) << *observer.status().last_error;
  EXPECT_TRUE(find(observer));

  // Flux installed later: its HelmReleases are followed from then on.
  api.put(kHelmReleases, testing::helm_release("staging", "6.5.1", true, kT0));
  flux_installed = true;
  ASSERT_TRUE(eventually([&] {
    ObserverStatus status = observer.status();
    return status.not_served.empty() && status.objects == 2 && status.connected;
  }));
}

// Admission over TLS reading the observer's evidence, on the real clock.
TEST_F(ObserverTest, AdmissionDeniesUntilTheSoakHasPassed) {
  fs::path dir = fs::temp_directory_path() / ("releasegate-observer-" + std::to_string(::getpid()));
  ASSERT_TRUE(testing::make_dev_certs(dir / "certs"));
  UnixSeconds real = wall_clock();
  api.put(kDeployments, staging(Rollout::Complete, real - 12 * 60));
  ObserverOptions o = options();
  o.clock = wall_clock;
  Observer observer(api.client_config(), store, o);
  observer.start();
  ASSERT_TRUE(eventually([&] { return find(observer).has_value(); }));

  server::ServerOptions options;
  options.listen = {"127.0.0.1", 0};
  options.metrics_listen = {"127.0.0.1", 0};
  options.tls = {(dir / "certs/tls.crt").string(), (dir / "certs/tls.key").string(), {}};
  options.evidence = &observer;
  server::Server server(options, store);
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  auto validate = [&](const testing::ReviewSpec& spec) {
    testing::TlsClient client(server.port(), (dir / "certs/ca.crt").string());
    EXPECT_TRUE(client.send(testing::TlsClient::post("/validate", testing::review(spec))));
    auto response = client.read_response();
    return response ? nlohmann::json::parse(response->body)["response"] : nlohmann::json();
  };
  auto admit = [&] {
    testing::ReviewSpec spec;
    spec.namespace_ = "prod";
    spec.object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.1@" + testing::kDigest651);
    return validate(spec);
  };
  nlohmann::json denied = admit();
  EXPECT_FALSE(denied.value("allowed", true));
  std::string message = denied["status"].value("message", "");
  EXPECT_NE(message.find("has been healthy in staging for 12 of the 30 minutes required; earliest"), std::string::npos)
      << message;

  // Another workload of staging has run the same version for longer.
  nlohmann::json older = staging(Rollout::Complete, real - 31 * 60);
  older["metadata"]["name"] = "podinfo-eu";
  api.put(kDeployments, older);
  ASSERT_TRUE(eventually([&] { return find(observer)->healthy_since == real - 31 * 60; }));
  nlohmann::json allowed = admit();
  EXPECT_TRUE(allowed.value("allowed", false)) << allowed.dump();

  httplib::Client probes("127.0.0.1", server.metrics_port());
  auto metrics = probes.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("releasegate_evidence_versions{environment=\"staging\",state=\"proven\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("releasegate_evidence_kind_served{kind=\"HelmRelease\"} 1"), std::string::npos);
  auto ready = probes.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_TRUE(nlohmann::json::parse(ready->body)["evidence"].value("synced", false)) << ready->body;

  // A HelmRelease status written by hand ("deployed, Ready since 2020")
  // would be years of soak: only helm-controller writes it.
  auto write_status = [&](const std::string& user) {
    testing::ReviewSpec spec;
    spec.group = "helm.toolkit.fluxcd.io";
    spec.version = "v2";
    spec.kind = "HelmRelease";
    spec.operation = "UPDATE";
    spec.sub_resource = "status";
    spec.user = user;
    spec.old_object = testing::helm_release("staging", "6.5.1", true, real);
    spec.object = testing::helm_release("staging", "6.5.1", true, 1577836800);  // 2020-01-01
    return validate(spec);
  };
  nlohmann::json forged = write_status("jane@acme.com");
  EXPECT_FALSE(forged.value("allowed", true)) << forged.dump();
  EXPECT_NE(forged["status"].value("message", "").find("is written by its controller only (helm-controller)"),
            std::string::npos)
      << forged.dump();
  EXPECT_TRUE(write_status("system:serviceaccount:flux-system:helm-controller").value("allowed", false));
  server.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace releasegate::evidence
