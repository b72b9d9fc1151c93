// Helpers for the deploy/ and certs/ tests: running commands, rendering
// kustomizations with kubectl, and running `releasegate serve`.
#pragma once

#include "policy/yaml_tree.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace releasegate::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv (no shell) in `cwd`, with extra environment entries "K=V".
CommandResult run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {},
                          const std::vector<std::string>& env = {});

// kubectl on the PATH with kustomize v4 or later (kubectl 1.24 and newer),
// or nullopt (the tests that need it skip).
std::optional<std::string> kubectl();
inline constexpr const char* kNoKubectl =
    "no kubectl with kustomize v4 or later (kubectl >= 1.24; Debian 12's 1.20 is too old for the manifests' "
    "current kustomize syntax): test skipped";
#define REQUIRE_KUBECTL(var)                                          \
  auto var##_opt = ::releasegate::testing::kubectl();                 \
  if (!var##_opt) GTEST_SKIP() << ::releasegate::testing::kNoKubectl; \
  const std::string var = *var##_opt

// YAML read with the product's parser. The trees are kept for the whole
// test run, so the nodes stay valid wherever the tests keep them.
std::vector<yaml::Node> parse_yaml(const std::string& text, std::string* error);
yaml::Node load_yaml_file(const std::filesystem::path& path);  // the first document; missing when unreadable
// A scalar as an int; `fallback` when the node is missing or not a number.
int as_int(const yaml::Node& node, int fallback = -1);

// `kubectl kustomize dir`, parsed; an empty vector and *error on failure.
// What kubectl wrote to stderr (deprecation warnings) goes to *warnings.
std::vector<yaml::Node> kustomize(const std::string& kubectl, const std::filesystem::path& dir, std::string* error,
                                  std::string* warnings = nullptr);

// The object of `kind` named `name` in `objects`, or an undefined node.
yaml::Node find_object(const std::vector<yaml::Node>& objects, const std::string& kind, const std::string& name);

// A fresh directory under the system temp dir, removed by the destructor.
struct TempDir {
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

// `releasegate serve` on 127.0.0.1 with the given certificate and rules
// (no --rules when rules_dir is empty: the flags say where they are),
// killed (SIGTERM, then SIGKILL) by the destructor.
class ServeProcess {
 public:
  ServeProcess(const std::filesystem::path& cert, const std::filesystem::path& key,
               const std::filesystem::path& rules_dir, const std::vector<std::string>& extra_flags = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  // Polls /readyz until 200 (true) or the hang guard passes.
  bool wait_ready();
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }

 private:
  int port_ = 0;
  int metrics_port_ = 0;
  int pid_ = -1;
};

}  // namespace releasegate::testing
