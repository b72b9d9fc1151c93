// certs/: the chain certs.sh makes verifies for the Service names, leaves
// never outlive their CA, CA rotation keeps both sides trusted throughout,
// and `releasegate serve` serves the chain. Also: the alerts and the
// dashboard use only metrics (and label values) the server exports.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "tests/deploy/deploy_support.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/kubeconfig_file.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_client.h"

namespace releasegate::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kServiceNames = {
    "releasegate", "releasegate.releasegate-system", "releasegate.releasegate-system.svc",
    "releasegate.releasegate-system.svc.cluster.local"};

CommandResult certs_sh(const std::string& command, const fs::path& dir, const std::vector<std::string>& env = {}) {
  return run_command({(source_dir() / "certs/certs.sh").string(), command, dir.string()}, {}, env);
}

// `openssl verify` of `leaf` against `ca_file`, optionally for a host name.
bool verifies(const fs::path& ca_file, const fs::path& leaf, const std::string& host = {}) {
  std::vector<std::string> argv = {"openssl", "verify", "-CAfile", ca_file.string()};
  if (!host.empty()) argv.insert(argv.end(), {"-verify_hostname", host});
  argv.push_back(leaf.string());
  return run_command(argv).exit_code == 0;
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
std::unique_ptr<X509, X509Deleter> load_certificate(const fs::path& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return nullptr;
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  fclose(f);
  return std::unique_ptr<X509, X509Deleter>(x);
}

// Days from a's notAfter to b's notAfter.
int days_between_expiries(X509* a, X509* b) {
  int days = 0, seconds = 0;
  ASN1_TIME_diff(&days, &seconds, X509_get0_notAfter(a), X509_get0_notAfter(b));
  return days;
}

int certificates_in(const fs::path& bundle) {
  std::string text = read_file(bundle);
  int n = 0;
  for (std::size_t at = 0; (at = text.find("BEGIN CERTIFICATE", at)) != std::string::npos; ++at) ++n;
  return n;
}

TEST(CertsSh, ChainVerifiesForEveryServiceNameAndLoopback) {
  TempDir dir("releasegate-certs");
  CommandResult init = certs_sh("init", dir.path);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  for (const std::string& name : kServiceNames) EXPECT_TRUE(verifies(dir.path / "ca.crt", dir.path / "tls.crt", name)) << name;
  EXPECT_FALSE(verifies(dir.path / "ca.crt", dir.path / "tls.crt", "releasegate.other-namespace.svc"));
  CommandResult ip = run_command({"openssl", "verify", "-CAfile", (dir.path / "ca.crt").string(), "-verify_ip",
                                  "127.0.0.1", (dir.path / "tls.crt").string()});
  EXPECT_EQ(ip.exit_code, 0) << ip.out << ip.err;
  EXPECT_EQ(read_file(dir.path / "ca-bundle.crt"), read_file(dir.path / "ca.crt"));
}

TEST(CertsSh, KeysAreEcdsaP256AndPrivate) {
  TempDir dir("releasegate-certs");
  ASSERT_EQ(certs_sh("init", dir.path).exit_code, 0);
  for (const char* file : {"ca.crt", "tls.crt"}) {
    CommandResult text = run_command({"openssl", "x509", "-in", (dir.path / file).string(), "-noout", "-text"});
    EXPECT_NE(text.out.find("prime256v1"), std::string::npos) << file;
  }
  for (const char* key : {"ca.key", "tls.key"}) {
    struct stat st {};
    ASSERT_EQ(stat((dir.path / key).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << key << " must not be readable by others";
  }
}

TEST(CertsSh, CaOutlivesTheServingCertificateByYears) {
  TempDir dir("releasegate-certs");
  ASSERT_EQ(certs_sh("init", dir.path).exit_code, 0);
  auto ca = load_certificate(dir.path / "ca.crt");
  auto leaf = load_certificate(dir.path / "tls.crt");
  ASSERT_TRUE(ca && leaf);
  EXPECT_GE(days_between_expiries(leaf.get(), ca.get()), 5 * 365);
}

TEST(CertsSh, RefusesAServingCertificateThatWouldOutliveItsCa) {
  TempDir dir("releasegate-certs");
  CommandResult init = certs_sh("init", dir.path, {"CA_DAYS=30", "LEAF_DAYS=365"});
  EXPECT_NE(init.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir.path / "tls.crt"));
}

TEST(CertsSh, CaRotationTrustsOldAndNewUntilTheServingCertificateMoved) {
  TempDir dir("releasegate-certs");
  ASSERT_EQ(certs_sh("init", dir.path).exit_code, 0);
  fs::copy_file(dir.path / "tls.crt", dir.path / "old-tls.crt");
  fs::copy_file(dir.path / "ca.crt", dir.path / "old-ca.crt");
  std::string old_patch = read_file(dir.path / "validating-ca-bundle.json");

  ASSERT_EQ(certs_sh("rotate-begin", dir.path).exit_code, 0);
  EXPECT_EQ(certificates_in(dir.path / "ca-bundle.crt"), 2);
  EXPECT_NE(read_file(dir.path / "validating-ca-bundle.json"), old_patch);
  EXPECT_TRUE(verifies(dir.path / "ca-bundle.crt", dir.path / "old-tls.crt")) << "the serving certificate in use";
  EXPECT_EQ(read_file(dir.path / "tls.crt"), read_file(dir.path / "old-tls.crt")) << "not replaced yet";
  EXPECT_NE(certs_sh("rotate-end", dir.path).exit_code, 0) << "ending before the serving certificate moved";

  ASSERT_EQ(certs_sh("rotate-leaf", dir.path).exit_code, 0);
  EXPECT_TRUE(verifies(dir.path / "ca-bundle.crt", dir.path / "tls.crt", "releasegate.releasegate-system.svc"));
  EXPECT_FALSE(verifies(dir.path / "old-ca.crt", dir.path / "tls.crt")) << "signed by the new CA";

  ASSERT_EQ(certs_sh("rotate-end", dir.path).exit_code, 0);
  EXPECT_EQ(certificates_in(dir.path / "ca-bundle.crt"), 1);
  EXPECT_TRUE(verifies(dir.path / "ca-bundle.crt", dir.path / "tls.crt"));
  EXPECT_FALSE(verifies(dir.path / "ca-bundle.crt", dir.path / "old-tls.crt"));
  EXPECT_TRUE(verifies(dir.path / "ca.crt", dir.path / "tls.crt"));
}

TEST(CertsSh, RenewKeepsTheCaAndTheCaBundle) {
  TempDir dir("releasegate-certs");
  ASSERT_EQ(certs_sh("init", dir.path).exit_code, 0);
  std::string ca = read_file(dir.path / "ca.crt"), leaf = read_file(dir.path / "tls.crt");
  std::string bundle = read_file(dir.path / "ca-bundle.crt");
  ASSERT_EQ(certs_sh("renew", dir.path).exit_code, 0);
  EXPECT_EQ(read_file(dir.path / "ca.crt"), ca);
  EXPECT_EQ(read_file(dir.path / "ca-bundle.crt"), bundle);
  EXPECT_NE(read_file(dir.path / "tls.crt"), leaf);
  EXPECT_TRUE(verifies(dir.path / "ca.crt", dir.path / "tls.crt", "releasegate.releasegate-system.svc"));
}

TEST(DevCertsSh, MakesA90DayChainWithTheSameScript) {
  TempDir dir("releasegate-dev-certs");
  ASSERT_TRUE(make_dev_certs(dir.path / "dev"));
  EXPECT_TRUE(verifies(dir.path / "dev/ca.crt", dir.path / "dev/tls.crt", "releasegate.releasegate-system.svc"));
  auto leaf_checkend = [&](int days) {
    return run_command({"openssl", "x509", "-in", (dir.path / "dev/tls.crt").string(), "-noout", "-checkend",
                        std::to_string(days * 86400)})
        .exit_code;
  };
  EXPECT_EQ(leaf_checkend(89), 0);
  EXPECT_NE(leaf_checkend(91), 0);
}

// A TLS client that sends the in-cluster Service name as SNI and verifies
// the chain and that name against the CA, as the apiserver does.
struct Handshake {
  bool ok = false;
  long verify_result = -1;
  std::string error;
};
Handshake handshake(int port, const fs::path& ca, const std::string& host) {
  Handshake h;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    h.error = "connect failed";
    return h;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, host.c_str());
  SSL_set1_host(ssl, host.c_str());
  h.ok = SSL_connect(ssl) == 1;
  h.verify_result = SSL_get_verify_result(ssl);
  if (!h.ok) h.error = ERR_error_string(ERR_get_error(), nullptr);
  if (h.ok) SSL_shutdown(ssl);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return h;
}

class RunningServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir = std::make_unique<TempDir>("releasegate-served-certs");
    ASSERT_EQ(certs_sh("init", dir->path).exit_code, 0);
    // As installed: the example rules ConfigMaps watched through the fake
    // API server, and the background audit, so that every metric the
    // alerts use is exported. A prod Deployment delivered by nobody fails.
    api = std::make_unique<FakeApiServer>();
    for (const char* file : {"release-policy.yaml", "podinfo-promotion.yaml"}) {
      yaml::Node manifest = load_yaml_file(source_dir() / "deploy/examples/rules" / file);
      nlohmann::json data = nlohmann::json::object();
      for (yaml::Node::Entry entry : manifest["data"].entries()) data[entry.key.scalar()] = entry.value.scalar();
      api->put("/api/v1/namespaces/releasegate-system/configmaps",
               {{"metadata",
                 {{"name", manifest["metadata"]["name"].scalar()}, {"labels", {{"releasegate.io/rules", "true"}}}}},
                {"data", std::move(data)}});
    }
    api->put("/apis/apps/v1/namespaces/prod/deployments", deployment("prod", "ghcr.io/acme/podinfo:9.9.9", false));
    write_kubeconfig(*api, dir->path / "kubeconfig");
    server = std::make_unique<ServeProcess>(
        dir->path / "tls.crt", dir->path / "tls.key", "",
        std::vector<std::string>{"--rules-from-api", "--kubeconfig=" + (dir->path / "kubeconfig").string()});
    ready = server->wait_ready();
  }
  static void TearDownTestSuite() {
    server.reset();
    api.reset();
    dir.reset();
  }
  void SetUp() override { ASSERT_TRUE(ready) << "releasegate serve did not become ready"; }

  static inline std::unique_ptr<TempDir> dir;
  static inline std::unique_ptr<ServeProcess> server;
  static inline std::unique_ptr<FakeApiServer> api;
  static inline bool ready = false;
};

TEST_F(RunningServer, ServesTheCertsShChainForTheServiceName) {
  Handshake good = handshake(server->port(), dir->path / "ca.crt", "releasegate.releasegate-system.svc");
  EXPECT_TRUE(good.ok) << good.error;
  EXPECT_EQ(good.verify_result, X509_V_OK);
  Handshake wrong_name = handshake(server->port(), dir->path / "ca.crt", "releasegate.example.com");
  EXPECT_FALSE(wrong_name.ok) << "host name verification must be in effect";
  TempDir other("releasegate-other-ca");
  ASSERT_EQ(certs_sh("init", other.path).exit_code, 0);
  Handshake wrong_ca = handshake(server->port(), other.path / "ca.crt", "releasegate.releasegate-system.svc");
  EXPECT_FALSE(wrong_ca.ok);
}

TEST_F(RunningServer, ExposesTheCertificateExpiryTheAlertWatches) {
  httplib::Client probes("127.0.0.1", server->metrics_port());
  auto metrics = probes.Get("/metrics");
  ASSERT_TRUE(metrics);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics->body, m,
                                std::regex(R"(\nreleasegate_tls_certificate_expiry_timestamp_seconds ([0-9.e+]+))")));
  auto leaf = load_certificate(dir->path / "tls.crt");
  ASSERT_TRUE(leaf);
  ASN1_TIME* gauge = ASN1_TIME_set(nullptr, static_cast<time_t>(std::stod(m[1].str())));
  int days = -1, seconds = -1;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notAfter(leaf.get()), gauge), 1);
  ASN1_TIME_free(gauge);
  EXPECT_EQ(days, 0) << "the gauge is the served certificate's notAfter";
  EXPECT_EQ(seconds, 0);
}

// Every releasegate_* metric and every label value the PrometheusRule and
// the dashboard select on appears in a real scrape (after one denial and
// one refused request, so that those series exist).
TEST_F(RunningServer, AlertsAndDashboardUseOnlyExportedMetricsAndLabelValues) {
  TlsClient client(server->port(), (dir->path / "ca.crt").string());
  ASSERT_TRUE(client.connected()) << client.error();
  std::string review = read_file(source_dir() / "deploy/examples/reviews/deployment-update-prod-kubectl-set-image.json");
  ASSERT_TRUE(client.send(TlsClient::post("/validate", review)));
  auto answer = client.read_response();
  ASSERT_TRUE(answer && answer->status == 200);
  TlsClient refused(server->port(), (dir->path / "ca.crt").string());
  ASSERT_TRUE(refused.send(TlsClient::post("/no-such-webhook", review)));
  auto not_found = refused.read_response();
  ASSERT_TRUE(not_found && not_found->status == 404);

  httplib::Client probes("127.0.0.1", server->metrics_port());
  // The first audit starts once the rules have been in force for 5 s.
  std::optional<httplib::Response> scrape;
  EXPECT_TRUE(eventually([&] {
    auto got = probes.Get("/metrics");
    if (got) scrape = *got;
    return scrape && scrape->body.find("releasegate_audit_runs_total{result=\"complete\"} 1") != std::string::npos;
  }));
  ASSERT_TRUE(scrape);
  EXPECT_NE(scrape->body.find("releasegate_audit_runs_total{result=\"complete\"} 1"), std::string::npos);
  std::set<std::string> names;
  std::vector<std::string> series;
  std::istringstream lines(scrape->body);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, std::regex(R"(# TYPE (\S+) (\S+))"))) {
      names.insert(m[1]);
      if (m[2] == "histogram") {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(m[1].str() + suffix);
      }
    } else if (!line.empty() && line[0] != '#') {
      series.push_back(line);
    }
  }

  std::string expressions;
  yaml::Node rule = load_yaml_file((source_dir() / "deploy/monitoring/prometheusrule.yaml").string());
  int alerts = 0;
  for (yaml::Node group : (rule["spec"]["groups"]).items()) {
    for (yaml::Node r : (group["rules"]).items()) {
      expressions += r["expr"].scalar() + "\n";
      ++alerts;
    }
  }
  EXPECT_GE(alerts, 5);
  auto dashboard = nlohmann::json::parse(read_file(source_dir() / "deploy/monitoring/releasegate-dashboard.json"));
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel["targets"]) expressions += target["expr"].get<std::string>() + "\n";
  }

  std::regex selector(R"((releasegate_[a-z0-9_]+)(\{([^}]*)\})?)");
  std::regex matcher(R"re(([a-z_]+)\s*=\s*"([^"$]*)")re");
  int checked = 0;
  for (auto it = std::sregex_iterator(expressions.begin(), expressions.end(), selector); it != std::sregex_iterator();
       ++it) {
    std::string name = (*it)[1];
    EXPECT_TRUE(names.count(name)) << name << " is not exported by releasegate serve";
    ++checked;
    std::string matchers = (*it)[3];
    for (auto l = std::sregex_iterator(matchers.begin(), matchers.end(), matcher); l != std::sregex_iterator(); ++l) {
      std::string label = (*l)[1], value = (*l)[2];
      if (label == "namespace" || label == "pod" || label == "job") continue;  // added by Prometheus
      std::string wanted = label + "=\"" + value + "\"";
      bool found = false;
      for (const std::string& s : series) found |= s.starts_with(name) && s.find(wanted) != std::string::npos;
      EXPECT_TRUE(found) << name << "{" << wanted << "} is never exported";
    }
  }
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace releasegate::testing
