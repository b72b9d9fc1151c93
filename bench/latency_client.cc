// An open-loop load client for latency at a fixed rate: CONNECTIONS threads,
// each with one keep-alive TLS connection, send the body at evenly spaced
// scheduled times. Latency is measured from the scheduled time, not the
// send time, so a slow answer also counts against the requests queued
// behind it (no coordinated omission). It costs far less CPU per request
// than a Go client, which matters when client and server share two cores.
//
//   releasegate_latency --port 8445 --ca ca.crt --rate 6000 [--connections 4]
//                       [--duration 20] [--body review.json] [--path /validate]
//
// Prints: achieved_rps=... p50_ms=... p90_ms=... p99_ms=... p999_ms=... max_ms=... errors=...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/tls_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using releasegate::testing::TlsClient;

struct Options {
  int port = 0;
  std::string ca;
  double rate = 0;
  int connections = 4;
  int duration_s = 20;
  std::string body_file = std::string(RELEASEGATE_SOURCE_DIR) + "/bench/fixtures/deployment-create-review.json";
  std::string path = "/validate";
};

struct Result {
  std::vector<double> latencies_ms;
  int errors = 0;
};

void run_connection(const Options& options, const std::string& request, Clock::time_point start, int index,
                    Result& result) {
  TlsClient client(options.port, options.ca);
  if (!client.connected()) {
    ++result.errors;
    return;
  }
  // Connection i sends at start + (i + k * connections) / rate: together an even stream.
  const auto interval = std::chrono::duration<double>(options.connections / options.rate);
  const auto offset = std::chrono::duration<double>(index / options.rate);
  const auto end = start + std::chrono::seconds(options.duration_s);
  for (long k = 0;; ++k) {
    auto scheduled = start + std::chrono::duration_cast<Clock::duration>(offset + k * interval);
    if (scheduled >= end) break;
    std::this_thread::sleep_until(scheduled);
    auto response = client.send(request) ? client.read_response() : std::nullopt;
    if (!response || response->status != 200) {
      ++result.errors;
      return;  // the connection is no longer usable
    }
    result.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count());
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

int usage() {
  std::fprintf(stderr, "usage: releasegate_latency --port P --ca FILE --rate R [--connections C] [--duration S] "
                       "[--body FILE] [--path /validate]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") options.port = std::stoi(value);
    else if (flag == "--ca") options.ca = value;
    else if (flag == "--rate") options.rate = std::stod(value);
    else if (flag == "--connections") options.connections = std::stoi(value);
    else if (flag == "--duration") options.duration_s = std::stoi(value);
    else if (flag == "--body") options.body_file = value;
    else if (flag == "--path") options.path = value;
    else return usage();
  }
  if (argc % 2 == 0 || options.port <= 0 || options.ca.empty() || options.rate <= 0 || options.connections <= 0) {
    return usage();
  }
  std::ifstream in(options.body_file);
  std::ostringstream body;
  body << in.rdbuf();
  if (body.str().empty()) {
    std::fprintf(stderr, "releasegate_latency: cannot read %s\n", options.body_file.c_str());
    return 2;
  }
  const std::string request = TlsClient::post(options.path, body.str());

  std::vector<Result> results(static_cast<std::size_t>(options.connections));
  std::vector<std::thread> threads;
  // Connections (and their handshakes) start 200 ms before the first send.
  auto start = Clock::now() + std::chrono::milliseconds(200);
  for (int i = 0; i < options.connections; ++i) {
    threads.emplace_back(run_connection, std::cref(options), std::cref(request), start, i,
                         std::ref(results[static_cast<std::size_t>(i)]));
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> all;
  int errors = 0;
  for (const Result& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    errors += r.errors;
  }
  std::sort(all.begin(), all.end());
  std::printf("achieved_rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f requests=%zu errors=%d\n",
              static_cast<double>(all.size()) / elapsed, percentile(all, 0.50), percentile(all, 0.90),
              percentile(all, 0.99), percentile(all, 0.999), all.empty() ? 0.0 : all.back(), all.size(), errors);
  return errors == 0 ? 0 : 1;
}
