// Shared helpers for the test suite: the corpus beside the checkout, a rule
// set written for the tests, AdmissionReviews built as the apiserver sends
// them, and a raw TLS client for what well-behaved HTTP clients never send.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <source_location>
#include <string>
#include <thread>

#include "core/rule_set.h"
#include "policy/compiler.h"

namespace releasegate::testing {

// ../shared/corpus beside the checkout (or $RELEASEGATE_CORPUS); nullopt in
// a clone that has none, and tests that need it skip, saying so.
std::optional<std::filesystem::path> corpus_dir();
#define REQUIRE_CORPUS(dir)                                                                  \
  auto dir##_opt = ::releasegate::testing::corpus_dir();                                     \
  if (!dir##_opt) GTEST_SKIP() << "no ../shared/corpus beside the checkout: corpus test skipped"; \
  const std::filesystem::path dir = *dir##_opt

std::string read_file(const std::filesystem::path& path);

// Digests used in the test rules.
inline const std::string kDigest650 = "sha256:" + std::string(64, 'a');
inline const std::string kDigest651 = "sha256:" + std::string(64, 'b');
inline const std::string kDigestOther = "sha256:" + std::string(64, 'c');

// The rules the tests are written against (see test_support.cc).
extern const char* const kTestPolicy;
extern const char* const kTestPromotion;
// A fleet's policy: two locations (region=europe, us), each with
// staging and prod namespaces; each prod after its staging, the US's also
// after prod-europe (the canary location); uat is the cluster named uat.
extern const char* const kFleetPolicy;
// The compiled test rules with what they were compiled from (publish this
// where rules edits are validated), or just the rule set.
policy::LoadResult test_load();
std::shared_ptr<const RuleSet> test_rules();

constexpr const char* kFluxKustomizeController = "system:serviceaccount:flux-system:kustomize-controller";

// A Deployment with one container, delivered by the Flux Kustomization
// flux-system/apps unless marks are removed.
nlohmann::json deployment(const std::string& ns, const std::string& image, bool flux_marks = true);
nlohmann::json pod(const std::string& ns, const std::string& image);

struct ReviewSpec {
  std::string group = "apps";
  std::string version = "v1";
  std::string kind = "Deployment";
  std::string operation = "CREATE";
  std::string namespace_ = "staging";
  std::string name = "podinfo";
  std::string user = kFluxKustomizeController;
  nlohmann::json groups = nlohmann::json::array({"system:serviceaccounts", "system:authenticated"});
  nlohmann::json object = nullptr;
  nlohmann::json old_object = nullptr;
  bool dry_run = false;
  std::string sub_resource;  // request.subResource, sent only when set
  nlohmann::json extra = nullptr;  // request.userInfo.extra, sent only when set
};
std::string review(const ReviewSpec& spec, const std::string& uid = "0d8a6c2e-1f2b-4c3d-9e8f-7a6b5c4d3e2f");

inline constexpr const char* kReplicaSetController = "system:serviceaccount:kube-system:replicaset-controller";
// A Pod request in `ns` (CREATE unless changed), by the ReplicaSet
// controller unless another user is given.
ReviewSpec pod_review(const std::string& ns, const std::string& image, const std::string& user = kReplicaSetController);

// A loopback TCP port that was free a moment ago, below the kernel's
// ephemeral range (for servers started as a separate process, which cannot
// report a port 0 binding back).
int free_port();

// Paths given by CMake.
std::filesystem::path source_dir();

// Runs certs/dev-certs.sh into `dir` (ca.crt, tls.crt, tls.key); true on success.
bool make_dev_certs(const std::filesystem::path& dir);

// How long a test waits for a condition before it calls the wait hung. A
// guard against hanging, not a measure: tests wait for conditions, and a
// shared CI machine (sanitizers, parallel tests, other builds) can be ten
// times slower than a quiet one.
inline constexpr std::chrono::seconds kHangGuard{60};

// Polls `condition` until it holds; a failure, naming the line that waited
// and for how long, if it still does not hold after `guard`.
template <class Condition>
::testing::AssertionResult eventually(Condition condition, std::chrono::milliseconds guard = kHangGuard,
                                      std::source_location where = std::source_location::current()) {
  auto started = std::chrono::steady_clock::now();
  while (!condition()) {
    if (std::chrono::steady_clock::now() - started > guard) {
      return ::testing::AssertionFailure()
             << "the condition waited for at " << std::filesystem::path(where.file_name()).filename().string() << ":"
             << where.line() << " did not hold within the hang guard ("
             << std::chrono::duration_cast<std::chrono::seconds>(guard).count() << " s)";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ::testing::AssertionSuccess();
}

}  // namespace releasegate::testing
