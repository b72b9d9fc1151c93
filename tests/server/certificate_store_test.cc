// Certificate rotation and mTLS: the store on its own, then the server
// rotating its certificate under load (kubelet's Secret-volume ..data swap)
// and requiring client certificates.
#include "server/certificate_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/rule_store.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_client.h"
#include "server/server.h"

namespace releasegate::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TlsClient;

class Certificates : public ::testing::Test {
 protected:
  fs::path root = fs::temp_directory_path() / ("releasegate-certs-" + std::to_string(::getpid()));
  fs::path a = root / "a";
  fs::path b = root / "b";
  fs::path secret = root / "secret";  // what the pod mounts
  fs::path bundle = root / "both-cas.crt";
  int versions = 0;

  void SetUp() override {
    ASSERT_TRUE(testing::make_dev_certs(a));
    ASSERT_TRUE(testing::make_dev_certs(b));
    std::ofstream(bundle) << testing::read_file(a / "ca.crt") << testing::read_file(b / "ca.crt");
    fs::create_directories(secret);
    mount(a);
  }
  void TearDown() override { fs::remove_all(root); }

  // Swaps the Secret volume to the files of `from`, as kubelet does.
  void mount(const fs::path& from) {
    std::string version = "..v" + std::to_string(++versions);
    fs::create_directories(secret / version);
    for (const char* name : {"tls.crt", "tls.key", "ca.crt"}) fs::copy_file(from / name, secret / version / name);
    fs::create_directory_symlink(version, secret / "..data_tmp");
    fs::rename(secret / "..data_tmp", secret / "..data");
    for (const char* name : {"tls.crt", "tls.key", "ca.crt"}) {
      if (!fs::is_symlink(secret / name)) fs::create_symlink(std::string("..data/") + name, secret / name);
    }
  }

  runtime::RuleStore rules;

  // A server on loopback with the test rules and these TLS files.
  std::unique_ptr<Server> start_server(TlsFiles tls) {
    rules.publish(testing::test_load());
    ServerOptions options;
    options.listen = {"127.0.0.1", 0};
    options.metrics_listen = {"127.0.0.1", 0};
    options.tls = std::move(tls);
    auto server = std::make_unique<Server>(options, rules);
    std::string error;
    if (!server->start(&error)) {
      ADD_FAILURE() << error;
      return nullptr;
    }
    return server;
  }

  TlsFiles mounted_files(bool mtls = false) const {
    return {(secret / "tls.crt").string(), (secret / "tls.key").string(), mtls ? (secret / "ca.crt").string() : ""};
  }

  // A client certificate signed by `ca_dir`'s CA.
  TlsClient::ClientCertificate client_certificate(const fs::path& ca_dir) {
    fs::path dir = root / "client";
    fs::create_directories(dir);
    std::ofstream(dir / "ext") << "extendedKeyUsage=clientAuth\n";
    std::string d = dir.string(), ca = ca_dir.string();
    std::string command = "openssl ecparam -name prime256v1 -genkey -noout -out " + d + "/client.key 2>/dev/null && " +
                          "openssl req -new -key " + d + "/client.key -subj /CN=kube-apiserver -out " + d +
                          "/client.csr && openssl x509 -req -in " + d + "/client.csr -CA " + ca + "/ca.crt -CAkey " +
                          ca + "/ca.key -CAcreateserial -days 1 -extfile " + d + "/ext -out " + d +
                          "/client.crt 2>/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0);
    return {d + "/client.crt", d + "/client.key"};
  }
};

TEST_F(Certificates, StoreLoadsRotatesAndKeepsTheOldPairOnErrors) {
  CertificateStore store(mounted_files());
  std::string error;
  ASSERT_TRUE(store.reload(&error)) << error;
  CertificateStatus first = store.status();
  EXPECT_FALSE(first.serial.empty());
  ASSERT_TRUE(first.not_after);
  EXPECT_GT(*first.not_after, std::chrono::system_clock::now() + 24h * 80);  // dev leaves live 90 days
  auto context = store.current();

  // Unchanged files: nothing is rebuilt.
  EXPECT_TRUE(store.reload(&error));
  EXPECT_EQ(store.current(), context);
  EXPECT_EQ(store.status().reloads, 1u);

  // A key that does not match the certificate: the old context stays.
  fs::copy_file(b / "tls.key", secret / "..v1" / "tls.key", fs::copy_options::overwrite_existing);
  EXPECT_FALSE(store.reload(&error));
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
  EXPECT_EQ(store.current(), context);
  EXPECT_EQ(store.status().failures, 1u);
  EXPECT_FALSE(store.status().last_error.empty());

  mount(b);
  ASSERT_TRUE(store.reload(&error)) << error;
  EXPECT_NE(store.current(), context);
  EXPECT_NE(store.status().serial, first.serial);
  EXPECT_TRUE(store.status().last_error.empty());
}

TEST_F(Certificates, ServerRotatesUnderLoadWithoutAFailedRequest) {
  auto started = start_server(mounted_files());
  ASSERT_TRUE(started);
  Server& server = *started;
  std::string serial_a = server.certificate_status().serial;

  testing::ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  std::string request = TlsClient::post("/validate", testing::review(spec));
  // A connection established before the rotation.
  TlsClient established(server.port(), bundle.string());
  ASSERT_TRUE(established.connected());
  EXPECT_EQ(established.peer_serial(), serial_a);

  std::atomic<bool> done{false};
  std::atomic<int> failed{0}, on_a{0}, on_b{0};
  std::string serial_b;
  std::thread client([&] {
    while (!done) {
      // A new handshake per request: each sees the certificate in force.
      TlsClient c(server.port(), bundle.string());
      auto res = c.connected() && c.send(request) ? c.read_response() : std::nullopt;
      if (!res || res->status != 200) {
        ++failed;
        continue;
      }
      (c.peer_serial() == serial_a ? on_a : on_b)++;
    }
  });
  ASSERT_TRUE(testing::eventually([&] { return on_a > 5; }));
  mount(b);
  EXPECT_TRUE(testing::eventually([&] { return on_b > 5; }));
  done = true;
  client.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_NE(server.certificate_status().serial, serial_a);

  // The established connection still works, on its original certificate.
  ASSERT_TRUE(established.send(request));
  auto res = established.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  server.stop();
}

TEST_F(Certificates, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  auto started = start_server(mounted_files(/*mtls=*/true));  // the client CA is a's CA
  ASSERT_TRUE(started);
  Server& server = *started;
  testing::ReviewSpec spec;
  spec.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  std::string request = TlsClient::post("/validate", testing::review(spec));

  auto answered = [&](const std::optional<TlsClient::ClientCertificate>& cert) {
    TlsClient c(server.port(), bundle.string(), 0, cert);
    // With TLS 1.3 the server's verdict on the client certificate arrives
    // after the client's handshake: the request is where it shows.
    if (!c.connected() || !c.send(request)) return false;
    auto res = c.read_response();
    return res && res->status == 200;
  };
  EXPECT_FALSE(answered(std::nullopt));
  EXPECT_FALSE(answered(client_certificate(b)));  // signed by another CA
  EXPECT_TRUE(answered(client_certificate(a)));
  server.stop();
}

}  // namespace
}  // namespace releasegate::server
