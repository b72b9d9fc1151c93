// Client::request and apply when things go wrong: API errors as the
// recordings show them, retries (5xx, 429 with Retry-After), timeouts,
// rotated tokens, an API that is down, a CA that does not match.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "kube/client.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/test_support.h"

namespace releasegate::kube {
namespace {

using testing::FakeApiServer;
using testing::FakeReply;
using testing::FakeRequest;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kRulesPath = "/api/v1/namespaces/releasegate-system/configmaps";

RetryPolicy quick(int attempts = 5) { return RetryPolicy{attempts, milliseconds(5), milliseconds(20)}; }

void script(FakeApiServer& api, FakeReply reply) {
  api.set_handler([reply](const FakeRequest&) -> std::optional<FakeReply> { return reply; });
}

// `failures` replies of `failure`, then the stateful store.
void fail_first(FakeApiServer& api, int failures, FakeReply failure) {
  auto left = std::make_shared<std::atomic<int>>(failures);
  api.set_handler([left, failure](const FakeRequest&) -> std::optional<FakeReply> {
    if (left->fetch_sub(1) > 0) return failure;
    return std::nullopt;
  });
}

struct ErrorCase {
  const char* recording;
  int code;
  const char* reason;
  const char* message_part;
};

TEST(ClientErrors, RecordedErrorsBecomeApiErrorsWithoutRetries) {
  REQUIRE_RECORDINGS(recordings);
  const ErrorCase cases[] = {
      {"d01-401-bad-bearer-token", 401, "Unauthorized", "Unauthorized"},
      {"d02-403-no-credentials-is-system-anonymous", 403, "Forbidden", "system:anonymous"},
      {"d03-403-serviceaccount-without-rbac-list", 403, "Forbidden", "cannot list resource \"configmaps\""},
      {"d06-403-serviceaccount-with-role-other-namespace", 403, "Forbidden", "in the namespace \"dev\""},
      {"d07-404-get-configmap-unknown-namespace", 404, "NotFound", "\"releasegate-policy\" not found"},
      {"d08-404-get-configmap-unknown-name", 404, "NotFound", "not found"},
      {"d09-404-unknown-resource-in-core-group", 404, "NotFound", "could not find the requested resource"},
      {"d10-404-unknown-api-group", 404, "", "404 page not found"},
      {"d11-404-unknown-version-of-known-group", 404, "", "404 page not found"},
      {"d12-400-invalid-label-selector", 400, "BadRequest", "unable to parse requirement"},
      {"d14-409-create-existing-alreadyexists", 409, "AlreadyExists", "already exists"},
      {"d16-409-update-with-stale-resourceversion-conflict", 409, "Conflict", "the object has been modified"},
      {"d17-422-create-invalid-configmap", 422, "Invalid", "Release_Notes"},
      {"c04-list-configmaps-invalid-continue-token-400", 400, "BadRequest", "invalid continue token"},
  };
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  Client client(api.client_config(), quick());  // one keep-alive connection for all
  for (const ErrorCase& error_case : cases) {
    script(api, FakeReply::recording(error_case.recording));
    api.clear_requests();
    Response response = client.get(kRulesPath);
    ApiError error = error_of(response);
    EXPECT_EQ(error.code, error_case.code) << error_case.recording;
    EXPECT_EQ(error.reason, error_case.reason) << error_case.recording;
    EXPECT_NE(error.message.find(error_case.message_part), std::string::npos)
        << error_case.recording << ": " << error.message;
    EXPECT_EQ(api.request_count(), 1u) << error_case.recording;
  }
}

TEST(ClientErrors, DescribeNamesCodeReasonAndMessage) {
  EXPECT_EQ((ApiError{403, "Forbidden", "nope"}).describe(), "403 Forbidden: nope");
  EXPECT_EQ((ApiError{404, "", "404 page not found"}).describe(), "404: 404 page not found");
  EXPECT_EQ((ApiError{0, "", "Connection"}).describe(), "no answer: Connection");
  EXPECT_TRUE((ApiError{200, "Gone", ""}).expired());
}

TEST(ClientRetries, TooManyRequestsWaitsForRetryAfterThenSucceeds) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  fail_first(api, 1, FakeReply::recording("d23-429-too-many-requests-apf-reject"));
  Client client(api.client_config(), RetryPolicy{3, milliseconds(1), milliseconds(5'000)});
  Clock::time_point started = Clock::now();
  Response response = client.get(kRulesPath);
  EXPECT_EQ(response.status, 200);
  EXPECT_GE(Clock::now() - started, milliseconds(1'000));  // Retry-After: 1
  EXPECT_EQ(api.request_count(), 2u);
}

TEST(ClientRetries, ServerErrorsAreRetriedUntilSuccess) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  fail_first(api, 3, FakeReply::status(503, "ServiceUnavailable", "etcd leader changed"));
  Client client(api.client_config(), quick());
  EXPECT_EQ(client.get(kRulesPath).status, 200);
  EXPECT_EQ(api.request_count(), 4u);
}

TEST(ClientRetries, GiveUpAfterTheAttemptsWithTheLastAnswer) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::status(500, "", "boom"));
  Client client(api.client_config(), quick(3));
  Response response = client.get(kRulesPath);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(error_of(response).message, "boom");
  EXPECT_EQ(api.request_count(), 3u);
}

TEST(ClientRetries, PostIsNotRetriedOnAServerError) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::status(503, "ServiceUnavailable", "later"));
  Client client(api.client_config(), quick());
  EXPECT_EQ(client.request("POST", kRulesPath, "{}", "application/json").status, 503);
  EXPECT_EQ(api.request_count(), 1u);
}

TEST(ClientRetries, StopEndsARetryWait) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::status(503, "ServiceUnavailable", "later"));
  Client client(api.client_config(), RetryPolicy{5, milliseconds(600'000), milliseconds(600'000)});
  std::thread stopper([&] {
    while (api.request_count() == 0) std::this_thread::sleep_for(milliseconds(5));
    std::this_thread::sleep_for(milliseconds(50));
    client.stop();
  });
  Clock::time_point started = Clock::now();
  Response response = client.get(kRulesPath);
  stopper.join();
  EXPECT_EQ(response.transport_error, "stopped");
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(30)) << "stop ends a wait of up to 10 minutes";
}

TEST(ClientTimeouts, StallingServerTimesOut) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  FakeReply stall;
  stall.then("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"kind\"");
  stall.after = FakeReply::After::Stall;
  script(api, stall);
  ClientConfig config = api.client_config();
  config.request_timeout = milliseconds(300);
  Client client(config, quick(2));
  Clock::time_point started = Clock::now();
  Response response = client.get(kRulesPath);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.transport_error.empty());
  EXPECT_EQ(api.request_count(), 2u);  // a transport error is retried
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(30)) << "a stalled answer times out";
}

TEST(ClientTimeouts, TricklingServerTimesOutAsAWhole) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  FakeReply slow;
  std::string body(40, ' ');
  slow.then(FakeReply::chunked_head());
  for (char c : body) slow.then(FakeReply::chunk(std::string(1, c)), milliseconds(25));
  slow.then(FakeReply::chunk({}));
  script(api, slow);
  ClientConfig config = api.client_config();
  config.request_timeout = milliseconds(300);  // every read comes in time, the answer does not
  Client client(config, quick(1));
  Response response = client.get(kRulesPath);
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.transport_error.find("timeout"), std::string::npos);
}

TEST(ClientTimeouts, SlowServerWithinTheTimeoutSucceeds) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  FakeReply slow;
  slow.then(FakeReply::chunked_head())
      .then(FakeReply::chunk(R"({"kind":"ConfigMapList",)"), milliseconds(100))
      .then(FakeReply::chunk(R"("metadata":{"resourceVersion":"5"},"items":[]})"), milliseconds(100))
      .then(FakeReply::chunk({}));
  script(api, slow);
  Client client(api.client_config(), quick(1));
  ListResult result = client.list(kRulesPath, {}, [](nlohmann::json&&) {});
  EXPECT_TRUE(result.ok) << result.error.describe();
  EXPECT_EQ(result.resource_version, "5");
}

TEST(ClientTokens, RotatedTokenFileIsReadAgainAfterA401) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  std::filesystem::path file =
      std::filesystem::path(::testing::TempDir()) / ("kube-token-" + std::to_string(::getpid()));
  std::ofstream(file) << "token-old\n";
  api.set_accepted_token("token-old");
  ClientConfig config = api.client_config();
  config.token = "token-old";
  config.token_file = file.string();
  Client client(config, quick());
  ASSERT_EQ(client.get(kRulesPath).status, 200);
  // The kubelet rewrites the file; the server stops accepting the old token.
  std::ofstream(file) << "token-new\n";
  api.set_accepted_token("token-new");
  EXPECT_EQ(client.get(kRulesPath).status, 200);
  std::vector<FakeRequest> requests = api.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].headers.at("authorization"), "Bearer token-old");
  EXPECT_EQ(requests[2].headers.at("authorization"), "Bearer token-new");
}

TEST(ClientTokens, A401WithAFixedTokenIsNotRetried) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_accepted_token("another");
  Client client(api.client_config(), quick());
  EXPECT_EQ(client.get(kRulesPath).status, 401);
  EXPECT_EQ(api.request_count(), 1u);
}

TEST(ClientAvailability, ApiDownAtStartIsATransportErrorThenRecovers) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  api.set_down(true);
  Client client(api.client_config(), quick(3));
  Response response = client.get(kRulesPath);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.transport_error.empty());
  EXPECT_EQ(error_of(response).code, 0);
  api.set_down(false);
  EXPECT_EQ(client.get(kRulesPath).status, 200);
}

TEST(ClientAvailability, NothingListeningIsATransportError) {
  int port;
  {
    FakeApiServer gone;
    ASSERT_TRUE(gone.ok());
    port = gone.port();
  }
  FakeApiServer api;  // for its CA
  ClientConfig config = api.client_config();
  config.port = port == api.port() ? port + 1 : port;
  Client client(config, quick(2));
  EXPECT_EQ(client.get(kRulesPath).status, 0);
}

TEST(ClientTls, AnotherCaIsRefusedUnlessVerificationIsSkipped) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  std::filesystem::path other =
      std::filesystem::path(::testing::TempDir()) / ("kube-other-ca-" + std::to_string(::getpid()));
  std::filesystem::remove_all(other);
  ASSERT_TRUE(testing::make_dev_certs(other));
  ClientConfig config = api.client_config();
  config.ca_pem = testing::read_file(other / "ca.crt");
  EXPECT_EQ(Client(config, quick(1)).get(kRulesPath).status, 0);
  EXPECT_EQ(api.request_count(), 0u);
  config.insecure_skip_tls_verify = true;
  EXPECT_EQ(Client(config, quick(1)).get(kRulesPath).status, 200);
}

TEST(ClientApply, RecordedAppliesCreateUpdateAndNoOp) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  auto next = std::make_shared<int>(0);
  api.set_handler([next](const FakeRequest&) -> std::optional<FakeReply> {
    const char* names[] = {"f01-ssa-policyreport-create", "f02-ssa-policyreport-update",
                           "f03-ssa-policyreport-noop-same-body"};
    return FakeReply::recording(names[(*next)++ % 3]);
  });
  Client client(api.client_config(), quick());
  std::string path = resource_path("wgpolicyk8s.io", "v1alpha2", "policyreports", "prod", "releasegate-prod");
  nlohmann::json report = {{"apiVersion", "wgpolicyk8s.io/v1alpha2"}, {"kind", "PolicyReport"},
                           {"metadata", {{"name", "releasegate-prod"}, {"namespace", "prod"}}}};
  std::vector<int> statuses;
  std::vector<std::string> versions;
  for (int i = 0; i < 3; ++i) {
    Response response = client.apply(path, report, "releasegate");
    statuses.push_back(response.status);
    versions.push_back(nlohmann::json::parse(response.body)["metadata"]["resourceVersion"]);
  }
  EXPECT_EQ(statuses, (std::vector<int>{201, 200, 200}));
  EXPECT_EQ(versions[1], versions[2]);  // a no-op apply keeps the RV
  FakeRequest sent = api.requests().at(0);
  EXPECT_EQ(sent.method, "PATCH");
  EXPECT_EQ(sent.path, path);
  EXPECT_EQ(sent.query.at("fieldManager"), "releasegate");
  EXPECT_EQ(sent.query.at("force"), "true");
  EXPECT_EQ(sent.headers.at("content-type"), "application/apply-patch+yaml");
  EXPECT_EQ(nlohmann::json::parse(sent.body), report);
}

TEST(ClientApply, WarningsAreCollected) {
  REQUIRE_RECORDINGS(recordings);
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  script(api, FakeReply::recording("e06-list-helmreleases-v2beta1-deprecation-warning"));
  Client client(api.client_config(), quick());
  Response response = client.get("/apis/helm.toolkit.fluxcd.io/v2beta1/namespaces/prod/helmreleases");
  EXPECT_EQ(response.warnings, (std::vector<std::string>{"v2beta1 HelmRelease is deprecated, upgrade to v2"}));
  script(api, FakeReply::recording("d19-201-create-unknown-field-default-warns"));
  response = client.request("POST", kRulesPath, "{}", "application/json");
  EXPECT_EQ(response.warnings, (std::vector<std::string>{"unknown field \"dta\""}));
}

TEST(ClientApply, StatefulApplyCreatesThenUpdates) {
  FakeApiServer api;
  ASSERT_TRUE(api.ok()) << api.error();
  Client client(api.client_config(), quick());
  std::string path = resource_path("wgpolicyk8s.io", "v1alpha2", "policyreports", "prod", "releasegate-prod");
  nlohmann::json report = {{"metadata", {{"name", "releasegate-prod"}}}, {"summary", {{"pass", 1}}}};
  EXPECT_EQ(client.apply(path, report, "releasegate").status, 201);
  report["summary"]["pass"] = 2;
  EXPECT_EQ(client.apply(path, report, "releasegate").status, 200);
  EXPECT_EQ(api.object("/apis/wgpolicyk8s.io/v1alpha2/namespaces/prod/policyreports", "releasegate-prod")
                ->at("summary")["pass"],
            2);
  EXPECT_EQ(client.request("PATCH", path, report.dump(), "application/apply-patch+yaml").status, 422);
}

}  // namespace
}  // namespace releasegate::kube
