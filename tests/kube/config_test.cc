// Where the API is: in-cluster files and variables, kubeconfig files.
#include "kube/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace releasegate::kube {
namespace {

namespace fs = std::filesystem;

// One directory per process: ctest runs each test as a process of its own,
// in parallel, so a shared name would be removed under another test's feet.
fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

class InCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir("kube-in-cluster");
    write(dir_ / "token", "eyJhbGciOi.token\n");
    write(dir_ / "ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    write(dir_ / "namespace", "releasegate-system");
    setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  }
  void TearDown() override {
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
  }
  fs::path dir_;
};

TEST_F(InCluster, ReadsTheServiceAccountFilesAndTheServiceVariables) {
  std::string error;
  std::optional<ClientConfig> config = in_cluster_config(&error, dir_.string());
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->host, "10.0.0.1");
  EXPECT_EQ(config->port, 443);
  EXPECT_EQ(config->token, "eyJhbGciOi.token");
  EXPECT_EQ(config->token_file, (dir_ / "token").string());  // re-read as it rotates
  EXPECT_NE(config->ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(config->default_namespace, "releasegate-system");
  EXPECT_EQ(config->describe(), "https://10.0.0.1:443 (in-cluster)");
}

TEST_F(InCluster, BracketsAnIpv6Host) {
  setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
  std::string error;
  std::optional<ClientConfig> config = in_cluster_config(&error, dir_.string());
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->host, "[fd00:10:96::1]");
  EXPECT_EQ(config->describe(), "https://[fd00:10:96::1]:6443 (in-cluster)");
}

TEST_F(InCluster, OutsideAPodIsAnError) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  std::string error;
  EXPECT_FALSE(in_cluster_config(&error, dir_.string()));
  EXPECT_FALSE(error.empty());
}

TEST_F(InCluster, AMissingTokenIsAnError) {
  fs::remove(dir_ / "token");
  std::string error;
  EXPECT_FALSE(in_cluster_config(&error, dir_.string()));
  EXPECT_NE(error.find("token"), std::string::npos);
}

TEST_F(InCluster, AnInvalidPortIsAnError) {
  setenv("KUBERNETES_SERVICE_PORT", "https", 1);
  std::string error;
  EXPECT_FALSE(in_cluster_config(&error, dir_.string()));
}

// base64 of "CA PEM" and "CERT PEM" / "KEY PEM".
constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: kind-dev
clusters:
- name: dev
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: Q0EgUEVN
- name: prod
  cluster:
    server: https://[::1]
    certificate-authority: certs/prod-ca.crt
- name: lab
  cluster:
    server: https://lab.example.com:8443/
    insecure-skip-tls-verify: true
users:
- name: dev-admin
  user:
    client-certificate-data: Q0VSVCBQRU0=
    client-key-data: S0VZIFBFTQ==
- name: prod-reader
  user:
    tokenFile: prod-token
- name: lab-user
  user:
    token: lab-token
- name: cloud
  user:
    exec:
      command: aws
contexts:
- name: kind-dev
  context: {cluster: dev, user: dev-admin, namespace: dev}
- name: prod
  context: {cluster: prod, user: prod-reader}
- name: lab
  context: {cluster: lab, user: lab-user}
- name: eks
  context: {cluster: lab, user: cloud}
- name: nowhere
  context: {cluster: missing, user: lab-user}
)";

class Kubeconfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir("kube-kubeconfig");
    fs::create_directories(dir_ / "certs");
    write(dir_ / "config", kKubeconfig);
    write(dir_ / "certs/prod-ca.crt", "PROD CA PEM");
    write(dir_ / "prod-token", "prod-token-1\n");
  }
  std::optional<ClientConfig> load(const std::string& context, std::string* error) {
    return kubeconfig_config((dir_ / "config").string(), context, error);
  }
  fs::path dir_;
};

TEST_F(Kubeconfig, CurrentContextWithDataFields) {
  std::string error;
  std::optional<ClientConfig> config = load("", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 6443);
  EXPECT_EQ(config->ca_pem, "CA PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT PEM");
  EXPECT_EQ(config->client_key_pem, "KEY PEM");
  EXPECT_EQ(config->default_namespace, "dev");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_NE(config->origin.find("context kind-dev"), std::string::npos);
}

TEST_F(Kubeconfig, FilesAreRelativeToTheKubeconfigsDirectory) {
  std::string error;
  std::optional<ClientConfig> config = load("prod", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->host, "[::1]");
  EXPECT_EQ(config->port, 443);
  EXPECT_EQ(config->ca_pem, "PROD CA PEM");
  EXPECT_EQ(config->token, "prod-token-1");
  EXPECT_EQ(config->token_file, (dir_ / "prod-token").string());
  EXPECT_EQ(config->default_namespace, "default");
}

TEST_F(Kubeconfig, InsecureSkipTlsVerifyAndAFixedToken) {
  std::string error;
  std::optional<ClientConfig> config = load("lab", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->host, "lab.example.com");
  EXPECT_EQ(config->port, 8443);
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token, "lab-token");
  EXPECT_TRUE(config->token_file.empty());
}

TEST_F(Kubeconfig, ExecPluginsAreRefusedSayingSo) {
  std::string error;
  EXPECT_FALSE(load("eks", &error));
  EXPECT_NE(error.find("exec"), std::string::npos);
}

TEST_F(Kubeconfig, UnknownContextOrClusterIsAnError) {
  std::string error;
  EXPECT_FALSE(load("staging", &error));
  EXPECT_NE(error.find("staging"), std::string::npos);
  EXPECT_FALSE(load("nowhere", &error));
  EXPECT_NE(error.find("missing"), std::string::npos);
}

TEST_F(Kubeconfig, PlainHttpAndBrokenFilesAreErrors) {
  std::string error;
  write(dir_ / "config", "current-context: a\nclusters: [{name: c, cluster: {server: 'http://1.2.3.4'}}]\n"
                         "contexts: [{name: a, context: {cluster: c}}]\n");
  EXPECT_FALSE(load("", &error));
  EXPECT_NE(error.find("https"), std::string::npos);
  write(dir_ / "config", "[unclosed");
  EXPECT_FALSE(load("", &error));
  EXPECT_FALSE(kubeconfig_config((dir_ / "absent").string(), "", &error));
}

}  // namespace
}  // namespace releasegate::kube
