// Pathological but valid (or nearly valid) input, through the admission
// handler as the listener hands it over: for each case, the median time of
// a few runs and the peak RSS it adds. The target (bench/README.md): every
// case answered in under 50 ms and under 64 MB, or refused with a 4xx.
//
//   releasegate_pathological [RUNS]   (default 5)
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admission/admission_handler.h"
#include "policy/compiler.h"

namespace {

using namespace releasegate;
using nlohmann::json;

long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(field)) return std::atol(line.c_str() + std::string(field).size());
  }
  return 0;
}

// Resets the peak RSS to the current RSS (Linux: clear_refs 5).
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

json deployment(const std::string& ns) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata",
           {{"name", "podinfo"},
            {"namespace", ns},
            {"labels", {{"app", "podinfo"}}},
            {"annotations", json::object()}}},
          {"spec",
           {{"template",
             {{"metadata", {{"labels", {{"app", "podinfo"}}}}},
              {"spec", {{"containers", {{{"name", "podinfo"}, {"image", "ghcr.io/stefanprodan/podinfo:6.5.0"}}}}}}}}}}};
}

std::string review(const std::string& operation, const json& object, const json& old_object = nullptr) {
  json request{{"uid", "pathological"},
               {"kind", {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}}},
               {"resource", {{"group", "apps"}, {"version", "v1"}, {"resource", "deployments"}}},
               {"operation", operation},
               {"namespace", "prod"},
               {"name", "podinfo"},
               {"userInfo", {{"username", "jane@acme.com"}, {"groups", {"developers"}}}},
               {"object", object},
               {"oldObject", old_object}};
  return json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}}.dump();
}

struct Case {
  std::string name;
  std::string body;
};

// A rules ConfigMap whose YAML aliases would expand to 10^10 nodes.
Case billion_laughs() {
  json cm{{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", "p"}, {"namespace", "releasegate-system"}, {"labels", {{"releasegate.io/rules", "true"}}}}},
          {"data", {{"laughs.yaml", ""}}}};
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char name = 'b'; name <= 'j'; ++name, ++previous) {
    yaml += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) yaml += std::string(i ? ", *" : "*") + previous;
    yaml += "]\n";
  }
  cm["data"]["laughs.yaml"] = yaml;
  json request{{"uid", "pathological"},
               {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}}},
               {"operation", "CREATE"},
               {"namespace", "releasegate-system"},
               {"name", "p"},
               {"userInfo", {{"username", "jane@acme.com"}}},
               {"object", cm}};
  return {"rules ConfigMap with a billion laughs",
          json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}}.dump()};
}

std::vector<Case> cases() {
  std::vector<Case> all;
  {
    json d = deployment("prod");
    json containers = json::array();
    for (int i = 0; i < 50'000; ++i) containers.push_back({{"name", "c" + std::to_string(i)}, {"image", "docker.io/x/y:" + std::to_string(i)}});
    d["spec"]["template"]["spec"]["containers"] = containers;
    all.push_back({"50,000 containers, each unpromoted", review("CREATE", d)});
  }
  {
    json before = deployment("prod"), after = deployment("prod");
    for (int i = 0; i < 50'000; ++i) {
      before["metadata"]["labels"]["k" + std::to_string(i)] = "v";
      after["metadata"]["labels"]["k" + std::to_string(49'999 - i)] = "w";
    }
    all.push_back({"UPDATE of 50,000 labels, reordered and changed", review("UPDATE", after, before)});
  }
  {
    json d = deployment("prod");
    d["metadata"]["annotations"]["note"] = std::string(3'000'000, 'x');
    all.push_back({"a 3 MB annotation", review("CREATE", d)});
  }
  {
    std::string body = review("CREATE", deployment("prod"));
    std::string labels = "\"labels\":{";
    for (int i = 0; i < 100'000; ++i) labels += "\"app\":\"v" + std::to_string(i) + "\",";
    std::size_t at = body.find("\"labels\":{");
    body.replace(at, 10, labels);
    all.push_back({"100,000 duplicate label keys", body});
  }
  {
    std::string body = review("CREATE", deployment("prod"));
    std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    body.replace(body.find("\"spec\":"), 0, "\"deep\":" + deep + ",");
    all.push_back({"nesting 100,000 deep in a field not read", body});
  }
  {
    std::string body = review("CREATE", deployment("prod"));
    std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    body.replace(body.find("\"podinfo\"}}"), std::string("\"podinfo\"").size(), deep);
    all.push_back({"nesting 100,000 deep in a label value", body});
  }
  all.push_back(billion_laughs());
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  policy::LoadResult loaded = policy::load_rules({std::string(RELEASEGATE_SOURCE_DIR) + "/deploy/examples/rules"});
  if (!loaded.rules) {
    std::cerr << "releasegate_pathological: the example rules do not compile\n";
    return 2;
  }
  runtime::RuleStore store;
  store.publish(loaded);
  std::cout << "| case | request | answer | median ms | extra peak RSS MB |\n|---|---:|---|---:|---:|\n" << std::flush;
  const std::size_t count = cases().size();
  for (std::size_t k = 0; k < count; ++k) {
    // Each case in its own process, which builds its body, returns what
    // building freed to the system, and only then measures: no heap grown
    // by another case hides what this one needs.
    pid_t child = fork();
    if (child == 0) {
      const Case c = std::move(cases()[k]);
      malloc_trim(0);
      admission::AdmissionHandler handler(store, {.cache_size = 0, .rules_edits = {}});
      std::vector<double> ms;
      long extra_kb = 0;
      admission::HandledReview handled;
      for (int i = 0; i < runs; ++i) {
        reset_peak();
        long before = status_kb("VmRSS:");
        auto start = std::chrono::steady_clock::now();
        handled = handler.handle(admission::Endpoint::Validate, c.body);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        extra_kb = std::max(extra_kb, status_kb("VmHWM:") - before);
      }
      std::sort(ms.begin(), ms.end());
      std::string answer = std::to_string(handled.http_status);
      if (handled.http_status == 200) {
        answer += json::parse(handled.body)["response"]["allowed"].get<bool>() ? " allowed" : " denied";
      }
      std::printf("| %s | %zu KB | %s | %.1f | %.1f |\n", c.name.c_str(), c.body.size() / 1024, answer.c_str(),
                  ms[ms.size() / 2], extra_kb / 1024.0);
      std::fflush(stdout);
      std::_Exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::cout << "| case " << k << " | failed | | | |\n";
  }
  return 0;
}
