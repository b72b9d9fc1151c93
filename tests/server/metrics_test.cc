// /metrics after known requests over TLS: parsed as Prometheus text, every
// family present, counts exact, label values bounded.
#include "server/metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/support/test_support.h"
#include "tests/support/tls_client.h"
#include "server/server.h"

namespace releasegate::server {
namespace {

namespace fs = std::filesystem;
using testing::TlsClient;

// "name{a="x",b="y"} value" -> sample; labels sorted as the text gives them.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Sample> parse_prometheus_text(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    auto brace = line.find('{');
    auto space = line.rfind(' ');
    s.name = line.substr(0, std::min(brace, space));
    if (brace != std::string::npos) {
      std::string labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
      std::size_t pos = 0;
      while (pos < labels.size()) {
        auto eq = labels.find('=', pos);
        auto close = labels.find('"', eq + 2);
        s.labels[labels.substr(pos, eq - pos)] = labels.substr(eq + 2, close - eq - 2);
        pos = close + 2;  // past '",'
      }
    }
    s.value = std::stod(line.substr(space + 1));
    samples.push_back(std::move(s));
  }
  return samples;
}

double value_of(const std::vector<Sample>& samples, const std::string& name,
                const std::map<std::string, std::string>& labels = {}) {
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) match = match && s.labels.count(k) && s.labels.at(k) == v;
    if (match) return s.value;
  }
  return -1;
}

TEST(Metrics, ExposedAfterKnownRequestsWithBoundedLabels) {
  fs::path dir = fs::temp_directory_path() / ("releasegate-metrics-" + std::to_string(::getpid()));
  ASSERT_TRUE(testing::make_dev_certs(dir / "certs"));
  fs::create_directories(dir / "rules");
  std::ofstream(dir / "rules" / "policy.yaml") << testing::kTestPolicy;
  std::ofstream(dir / "rules" / "promotion.yaml") << testing::kTestPromotion;
  runtime::RuleStore store;
  runtime::ReloadOptions reload;
  reload.directories = {(dir / "rules").string()};
  runtime::RuleReloader reloader(reload, store);
  ASSERT_TRUE(reloader.reload_now());
  ServerOptions options;
  options.listen = {"127.0.0.1", 0};
  options.metrics_listen = {"127.0.0.1", 0};
  options.tls = {(dir / "certs/tls.crt").string(), (dir / "certs/tls.key").string(), {}};
  options.limits.max_body_bytes = 64 * 1024;
  options.rules_feed = &reloader;
  Server server(options, store);
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;

  auto send_raw = [&](const std::string& bytes) {
    TlsClient c(server.port(), (dir / "certs/ca.crt").string());
    EXPECT_TRUE(c.send(bytes));
    return c.read_response();
  };
  auto send = [&](const std::string& path, const std::string& body) { return send_raw(TlsClient::post(path, body)); };
  testing::ReviewSpec allowed;
  allowed.object = testing::deployment("staging", "ghcr.io/acme/podinfo:6.5.0");
  testing::ReviewSpec denied = allowed;
  denied.namespace_ = "prod";
  denied.user = "jane";
  denied.object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  testing::ReviewSpec pod;
  pod.group = "";
  pod.kind = "Pod";
  pod.namespace_ = "prod";
  pod.user = "system:serviceaccount:kube-system:replicaset-controller";
  pod.object = testing::pod("prod", "ghcr.io/acme/podinfo:6.5.0");
  // Break-glass, once for real and once as a dry run (which is not a use).
  testing::ReviewSpec glass;
  glass.namespace_ = "prod";
  glass.operation = "DELETE";
  glass.user = "oncall@acme.com";
  glass.groups = {"platform-oncall"};
  glass.old_object = testing::deployment("prod", "ghcr.io/acme/podinfo:6.5.0");
  glass.old_object["metadata"]["annotations"]["releasegate.io/break-glass"] = "INC-1";
  testing::ReviewSpec glass_dry_run = glass;
  glass_dry_run.dry_run = true;
  ASSERT_EQ(send("/validate", testing::review(glass))->status, 200);
  ASSERT_EQ(send("/validate", testing::review(glass_dry_run, "5f1c2d3e-0000-4000-8000-000000000002"))->status, 200);
  ASSERT_EQ(send("/validate", testing::review(allowed))->status, 200);
  // The same request again (another uid, as Flux's next reconcile sends it).
  ASSERT_EQ(send("/validate", testing::review(allowed, "5f1c2d3e-0000-4000-8000-000000000001"))->status, 200);
  ASSERT_EQ(send("/validate", testing::review(denied))->status, 200);
  ASSERT_EQ(send("/validate", "{not json")->status, 400);
  ASSERT_EQ(send("/mutate", testing::review(pod))->status, 200);
  // Refused on its head: the body is never sent.
  ASSERT_EQ(send_raw("POST /validate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 71680\r\n\r\n")
                ->status,
            413);

  httplib::Client probes("127.0.0.1", server.metrics_port());
  auto res = probes.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  std::vector<Sample> samples = parse_prometheus_text(res->body);

  const std::string requests = "releasegate_admission_requests_total";
  EXPECT_EQ(value_of(samples, requests,
                     {{"webhook", "validate"}, {"kind", "Deployment"}, {"operation", "CREATE"}, {"decision", "allow"}}),
            2);
  EXPECT_EQ(value_of(samples, requests,
                     {{"webhook", "validate"}, {"kind", "Deployment"}, {"operation", "CREATE"}, {"decision", "deny"}}),
            1);
  EXPECT_EQ(value_of(samples, requests, {{"webhook", "validate"}, {"decision", "error"}}), 1);
  EXPECT_EQ(value_of(samples, requests, {{"webhook", "mutate"}, {"kind", "Pod"}, {"decision", "patch"}}), 1);
  EXPECT_EQ(value_of(samples, "releasegate_http_refusals_total", {{"code", "413"}}), 1);
  EXPECT_GE(value_of(samples, "releasegate_violations_total", {{"rule", "provenance"}, {"mode", "enforce"}}), 1);
  EXPECT_EQ(value_of(samples, "releasegate_admission_duration_seconds_count", {{"webhook", "validate"}}), 6);
  EXPECT_EQ(value_of(samples, "releasegate_admission_duration_seconds_bucket", {{"webhook", "validate"}, {"le", "5"}}),
            6);
  EXPECT_EQ(value_of(samples, "releasegate_break_glass_total", {{"dry_run", "false"}}), 1);
  EXPECT_EQ(value_of(samples, "releasegate_break_glass_total", {{"dry_run", "true"}}), 1);
  // The dry run is answered from the cache: dryRun never changes a decision.
  EXPECT_EQ(value_of(samples, "releasegate_decision_cache_requests_total", {{"result", "hit"}}), 2);
  EXPECT_EQ(value_of(samples, "releasegate_decision_cache_requests_total", {{"result", "miss"}}), 3);
  EXPECT_EQ(value_of(samples, "releasegate_rules_generation"), 1);
  EXPECT_EQ(value_of(samples, "releasegate_rules_reloads_total", {{"result", "success"}}), 1);
  EXPECT_GT(value_of(samples, "releasegate_rules_last_reload_timestamp_seconds"), 1.7e9);
  EXPECT_GT(value_of(samples, "releasegate_tls_certificate_expiry_timestamp_seconds"),
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  EXPECT_EQ(value_of(samples, "releasegate_tls_certificate_reloads_total", {{"result", "success"}}), 1);
  EXPECT_EQ(value_of(samples, "releasegate_build_info"), 1);

  // Bounded labels: no object name, namespace, user or image ever appears.
  for (const Sample& s : samples) {
    for (const auto& [key, value] : s.labels) {
      for (const char* leaked : {"podinfo", "staging", "prod", "jane", "ghcr.io"}) {
        EXPECT_EQ(value.find(leaked), std::string::npos) << s.name << " " << key << "=" << value;
      }
    }
  }
  server.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace releasegate::server
