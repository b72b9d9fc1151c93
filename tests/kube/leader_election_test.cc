// Leader election against the fake API server's Leases (create, update at
// a resourceVersion, 409 on a lost race): three candidates, one leader;
// handing over on a graceful stop; taking over from a leader cut off from
// the API only after the lease duration; stepping down when renewals fail;
// a Lease taken by someone else given up, then taken back.
#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "tests/support/fake_api_server.h"
#include "tests/support/test_support.h"

namespace releasegate::kube {
namespace {

using testing::eventually;
using testing::FakeApiServer;
using testing::FakeReply;
using testing::FakeRequest;
using namespace std::chrono_literals;

const std::string kLeases = "/apis/coordination.k8s.io/v1/namespaces/releasegate-system/leases";

// Short durations, in the proportions of the defaults (15 s, 10 s, 2 s).
LeaderElectionOptions options(const std::string& identity) {
  LeaderElectionOptions o;
  o.namespace_ = "releasegate-system";
  o.identity = identity;
  o.lease_duration = 3s;
  o.renew_deadline = 2s;
  o.retry_period = 200ms;
  return o;
}

struct Candidates {
  explicit Candidates(FakeApiServer& api, std::vector<std::string> names) {
    for (const std::string& name : names) {
      ClientConfig config = api.client_config();
      config.token = "token-" + name;  // so that a test can cut one replica off
      electors.push_back(std::make_unique<LeaderElector>(config, options(name)));
    }
    for (auto& e : electors) e->start();
  }
  std::vector<LeaderElector*> leaders() const {
    std::vector<LeaderElector*> out;
    for (const auto& e : electors) {
      if (e && e->leading()) out.push_back(e.get());
    }
    return out;
  }
  std::vector<std::unique_ptr<LeaderElector>> electors;
};

nlohmann::json spec(FakeApiServer& api) { return api.object(kLeases, "releasegate").value_or(nlohmann::json())["spec"]; }

std::chrono::system_clock::time_point parse_micro_time(const std::string& text) {
  std::tm utc{};
  strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
  auto seconds = std::chrono::system_clock::from_time_t(timegm(&utc));
  return seconds + std::chrono::microseconds(std::stol(text.substr(20, 6)));
}

class LeaderElection : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api.ok()) << api.error();
    api.set_accepted_token("");  // every replica's token
  }
  FakeApiServer api;
};

TEST_F(LeaderElection, OneOfThreeLeadsAndAGracefulStopHandsOver) {
  Candidates c(api, {"a", "b", "c"});
  ASSERT_TRUE(eventually([&] { return c.leaders().size() == 1; }));
  LeaderElector* first = c.leaders()[0];
  std::string first_name = first->options().identity;
  EXPECT_EQ(spec(api)["holderIdentity"], first_name);
  EXPECT_EQ(spec(api)["leaseDurationSeconds"], 3);
  EXPECT_TRUE(eventually([&] {
    return std::all_of(c.electors.begin(), c.electors.end(), [&](const auto& e) { return e->status().holder == first_name; });
  })) << "every candidate has read who holds it";

  // A rolling update: the leader stops and releases; another takes over at its next try.
  auto stopped = std::chrono::steady_clock::now();
  for (auto& e : c.electors) {
    if (e.get() == first) e.reset();
  }
  ASSERT_TRUE(eventually([&] { return c.leaders().size() == 1; }));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, 3s) << "released: no wait for the lease duration";
  EXPECT_NE(c.leaders()[0]->options().identity, first_name);
  EXPECT_EQ(spec(api)["leaseTransitions"], 1);
}

TEST_F(LeaderElection, ALeaderCutOffIsReplacedOnlyAfterTheLeaseDuration) {
  std::atomic<bool> a_cut{false};
  api.set_handler([&](const FakeRequest& request) -> std::optional<FakeReply> {
    auto auth = request.headers.find("authorization");
    if (a_cut && auth != request.headers.end() && auth->second == "Bearer token-a") {
      return FakeReply::status(503, "ServiceUnavailable", "cut off");
    }
    return std::nullopt;
  });
  Candidates only_a(api, {"a"});
  ASSERT_TRUE(eventually([&] { return only_a.electors[0]->leading(); }));
  Candidates others(api, {"b", "c"});
  ASSERT_TRUE(eventually([&] { return others.electors[0]->status().holder == "a"; }));
  a_cut = true;  // as if killed: it renews no more, and releases nothing
  ASSERT_TRUE(eventually([&] { return !only_a.electors[0]->leading(); })) << "steps down after the renew deadline";
  ASSERT_TRUE(eventually([&] { return others.leaders().size() == 1; }));
  EXPECT_TRUE(only_a.leaders().empty());
  nlohmann::json taken = spec(api);
  EXPECT_NE(taken["holderIdentity"], "a");
  EXPECT_EQ(taken["leaseTransitions"], 1);
  only_a.electors[0].reset();
}

TEST_F(LeaderElection, TheApiDownDuringRenewalStepsTheLeaderDown) {
  Candidates c(api, {"a", "b"});
  ASSERT_TRUE(eventually([&] { return c.leaders().size() == 1; }));
  api.set_down(true);
  ASSERT_TRUE(eventually([&] { return c.leaders().empty(); })) << "nobody leads what it cannot renew";
  EXPECT_TRUE(c.electors[0]->status().last_error.has_value() || c.electors[1]->status().last_error.has_value());
  api.set_down(false);
  EXPECT_TRUE(eventually([&] { return c.leaders().size() == 1; }));
}

TEST_F(LeaderElection, AStolenLeaseIsGivenUpAndTakenBackOnceItExpires) {
  Candidates c(api, {"a"});
  ASSERT_TRUE(eventually([&] { return c.electors[0]->leading(); }));
  nlohmann::json lease = *api.object(kLeases, "releasegate");
  lease["spec"]["holderIdentity"] = "intruder";
  lease["spec"]["renewTime"] = micro_time(std::chrono::system_clock::now());
  std::string stolen_at_rv = api.put(kLeases, lease);
  auto stolen = std::chrono::system_clock::now();
  ASSERT_TRUE(eventually([&] { return !c.electors[0]->leading(); }));
  EXPECT_EQ(c.electors[0]->status().holder, "intruder");
  // The intruder never renews: after the lease duration, as "a" observed it, "a" takes it back.
  ASSERT_TRUE(eventually([&] { return c.electors[0]->leading(); }));
  nlohmann::json back = spec(api);
  EXPECT_EQ(back["holderIdentity"], "a");
  EXPECT_GE(parse_micro_time(back["acquireTime"]) - stolen, 3s - 50ms) << "not before the lease duration";
  EXPECT_NE(api.object(kLeases, "releasegate")->at("metadata").at("resourceVersion"), stolen_at_rv);
}

TEST_F(LeaderElection, AnAnswerThatIsNoLeaseIsAnErrorNotACrash) {
  api.put(kLeases, {{"metadata", {{"name", "releasegate"}}}});
  api.set_handler([](const FakeRequest& request) -> std::optional<FakeReply> {
    if (request.method != "GET") return std::nullopt;
    return FakeReply::plain(200, "application/json", "[\"not a Lease\"]");
  });
  Candidates c(api, {"a"});
  ASSERT_TRUE(eventually([&] { return c.electors[0]->status().last_error.has_value(); }));
  EXPECT_FALSE(c.electors[0]->leading());
}

TEST(LeaderElectionTime, MicroTimeIsRfc3339WithMicroseconds) {
  auto t = std::chrono::system_clock::from_time_t(1'796'000'000) + std::chrono::microseconds(1234);
  EXPECT_EQ(micro_time(t), "2026-11-30T00:53:20.001234Z");
}

}  // namespace
}  // namespace releasegate::kube
