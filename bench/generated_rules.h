// Generated rule sets for the scale benchmarks: the example policy and
// `records` promoted repositories (each with two staging versions and one
// prod digest) spread over sources of 500 records, as ConfigMaps would be.
#pragma once

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "policy/compiler.h"

namespace releasegate::bench {

inline std::string read_source_file(const std::string& path) {
  std::ifstream in(std::string(RELEASEGATE_SOURCE_DIR) + "/" + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::vector<policy::RuleSource> generated_rules(std::size_t records) {
  std::vector<policy::RuleSource> sources{{"policy.yaml", read_source_file("deploy/examples/rules/release-policy.yaml")}};
  std::string content;
  for (std::size_t i = 0; i < records; ++i) {
    if (i % 500 == 0) {
      if (!content.empty()) sources.push_back({"promotions-" + std::to_string(i) + ".yaml", std::move(content)});
      content = "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: team-" + std::to_string(i) +
                "\nspec:\n  images:\n";
    }
    char digest[65];
    std::snprintf(digest, sizeof digest, "%064zx", i);
    content += "    - repository: ghcr.io/acme/service-" + std::to_string(i) +
               "\n      environments:\n        staging: [\"1.4.0\", \"1.4.1@sha256:" + digest +
               "\"]\n        prod: [\"1.4.1@sha256:" + std::string(digest) + "\"]\n";
  }
  sources.push_back({"promotions-last.yaml", std::move(content)});
  return sources;
}

}  // namespace releasegate::bench
