#include "tests/support/test_support.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "policy/compiler.h"

namespace releasegate::testing {

namespace {

// The kernel's range for port-0 binds and outgoing connections.
std::pair<int, int> ephemeral_ports() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768, high = 60999;
  range >> low >> high;
  return {low, high};
}

bool can_bind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return bound;
}

}  // namespace

// Below the ephemeral range, so that no server of another test binding
// port 0 (the fake API servers, in-process servers) and no outgoing
// connection can be given the same port meanwhile: that race let another
// test's probes reach a fake server once. Drawn at random, so that tests
// running at once rarely draw the same one.
int free_port() {
  static std::mutex mutex;
  static std::mt19937 draw(static_cast<unsigned>(::getpid()) ^ std::random_device{}());
  std::lock_guard lock(mutex);
  auto [low, high] = ephemeral_ports();
  int first = 10'000, last = low - 1;
  if (last <= first) first = high + 1, last = 65'535;  // an unusual range: above it
  std::uniform_int_distribution<int> port(first, last);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int candidate = port(draw);
    if (can_bind(candidate)) return candidate;
  }
  throw std::runtime_error("no free loopback port below the ephemeral range");
}

std::filesystem::path source_dir() { return RELEASEGATE_SOURCE_DIR; }

bool make_dev_certs(const std::filesystem::path& dir) {
  std::string command = (source_dir() / "certs/dev-certs.sh").string() + " " + dir.string() + " 2>/dev/null";
  return std::system(command.c_str()) == 0;
}

std::optional<std::filesystem::path> corpus_dir() {
  if (const char* env = std::getenv("RELEASEGATE_CORPUS"); env && *env) return std::filesystem::path(env);
  std::filesystem::path beside = source_dir().parent_path() / "shared" / "corpus";
  if (std::filesystem::is_directory(beside)) return beside;
  return std::nullopt;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const char* const kTestPolicy = R"(apiVersion: releasegate.io/v1alpha1
kind: ReleasePolicy
metadata:
  name: platform
spec:
  mode: enforce
  environments:
    - name: dev
      namespaces: ["dev", "dev-*"]
      promotion: open
    - name: staging
      namespaces: ["staging"]
    - name: prod
      namespaces: ["prod", "prod-*"]
      requireDigest: true
  gitops:
    identities:
      - system:serviceaccount:flux-system:kustomize-controller
      - system:serviceaccount:flux-system:helm-controller
      - system:serviceaccount:argocd:argocd-application-controller
    deliveries:
      - kustomization: flux-system/apps
        environments: [dev, staging, prod]
      - helmRelease: "*/podinfo"
        environments: [staging]
      - argoApplication: guestbook
        environments: [dev, staging]
  images:
    registries: ["ghcr.io/acme/*", "regex:registry\\.acme\\.internal:5000/.+"]
    forbiddenTags: [latest]
  exempt:
    namespaces: [sandbox]
    users: ["system:serviceaccount:ci:image-reflector"]
  breakGlass:
    groups: [platform-oncall]
)";

const char* const kFleetPolicy = R"(apiVersion: releasegate.io/v1alpha1
kind: ReleasePolicy
metadata:
  name: fleet
spec:
  environments:
    - name: staging-europe
      clusters: {labels: {region: europe}}
      namespaces: [staging]
      after: []
    - name: prod-europe
      clusters: {labels: {region: europe}}
      namespaces: ["prod", "prod-*"]
      after: [staging-europe]
    - name: staging-us
      clusters: {labels: {region: us}}
      namespaces: [staging]
      after: []
    - name: prod-us
      clusters: {labels: {region: us}}
      namespaces: ["prod", "prod-*"]
      after: [staging-us, prod-europe]
    - name: uat
      clusters: {names: [uat], labels: {region: uat}}
      afterAny: [staging-europe, staging-us]
  gitops:
    identities: [system:serviceaccount:flux-system:kustomize-controller]
    deliveries:
      - kustomization: flux-system/apps
)";

const char* const kTestPromotion = R"(apiVersion: releasegate.io/v1alpha1
kind: Promotion
metadata:
  name: podinfo
spec:
  images:
    - repository: ghcr.io/acme/podinfo
      environments:
        staging: ["6.5.0", "6.5.1@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]
        prod: ["6.5.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
  charts:
    - source: HelmRepository/flux-system/podinfo
      chart: podinfo
      environments:
        staging: ["6.5.1", "6.5.0"]
        prod: ["6.5.0"]
)";

policy::LoadResult test_load() {
  policy::LoadResult result = policy::compile_rules({{"policy.yaml", kTestPolicy}, {"promotion.yaml", kTestPromotion}});
  if (!result.rules) throw std::runtime_error("test rules invalid: " + result.errors.front().to_string());
  return result;
}

std::shared_ptr<const RuleSet> test_rules() { return test_load().rules; }

nlohmann::json deployment(const std::string& ns, const std::string& image, bool flux_marks) {
  nlohmann::json labels{{"app", "podinfo"}};
  if (flux_marks) {
    labels["kustomize.toolkit.fluxcd.io/name"] = "apps";
    labels["kustomize.toolkit.fluxcd.io/namespace"] = "flux-system";
  }
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "podinfo"}, {"namespace", ns}, {"labels", labels}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", {{"app", "podinfo"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "podinfo"}}}}},
              {"spec", {{"containers", {{{"name", "podinfod"}, {"image", image}}}}}}}}}}};
}

nlohmann::json pod(const std::string& ns, const std::string& image) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", "podinfo-7d9f8b6c5-x2x4z"}, {"namespace", ns}}},
          {"spec", {{"containers", {{{"name", "podinfod"}, {"image", image}}}}}}};
}

ReviewSpec pod_review(const std::string& ns, const std::string& image, const std::string& user) {
  ReviewSpec spec;
  spec.group = "";
  spec.kind = "Pod";
  spec.namespace_ = ns;
  spec.user = user;
  spec.object = pod(ns, image);
  return spec;
}

std::string review(const ReviewSpec& spec, const std::string& uid) {
  nlohmann::json request{
      {"uid", uid},
      {"kind", {{"group", spec.group}, {"version", spec.version}, {"kind", spec.kind}}},
      {"resource", {{"group", spec.group}, {"version", spec.version}, {"resource", "deployments"}}},
      {"name", spec.name},
      {"namespace", spec.namespace_},
      {"operation", spec.operation},
      {"userInfo", {{"username", spec.user}, {"groups", spec.groups}}},
      {"object", spec.object},
      {"oldObject", spec.old_object},
      {"dryRun", spec.dry_run},
  };
  if (!spec.sub_resource.empty()) request["subResource"] = spec.sub_resource;
  if (!spec.extra.is_null()) request["userInfo"]["extra"] = spec.extra;
  return nlohmann::json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}}.dump();
}

}  // namespace releasegate::testing
