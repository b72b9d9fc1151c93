// deploy/README.md quotes what releasegate prints in the walkthrough. Each
// quoted block follows a marker naming how to reproduce it; this test
// reproduces it with the real binary and compares. When the engine's
// messages change, paste the actual output (printed on failure) into the doc.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/deploy/deploy_support.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_client.h"

namespace releasegate::testing {
namespace {

namespace fs = std::filesystem;

struct Marked {
  std::string kind;                           // output, diff, admission-message
  std::map<std::string, std::string> attributes;
  std::vector<std::string> blocks;            // the fenced blocks that follow, in order
  int line = 0;
};

std::vector<Marked> marked_blocks() {
  std::string doc = read_file(source_dir() / "deploy/README.md");
  std::vector<Marked> out;
  std::istringstream in(doc);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::regex marker(R"(<!-- verified-([a-z-]+)((?: [a-z]+=\S+)*) -->)");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, marker)) continue;
    Marked marked{m[1], {}, {}, static_cast<int>(i + 1)};
    std::istringstream attributes(m[2].str());
    for (std::string a; attributes >> a;) marked.attributes[a.substr(0, a.find('='))] = a.substr(a.find('=') + 1);
    // Consecutive fenced blocks directly after the marker.
    std::size_t j = i + 1;
    while (j < lines.size() && lines[j].starts_with("```")) {
      std::string block;
      for (++j; j < lines.size() && lines[j] != "```"; ++j) block += lines[j] + "\n";
      marked.blocks.push_back(block);
      ++j;
    }
    out.push_back(marked);
  }
  return out;
}

std::vector<std::string> words(const std::string& command) {
  std::istringstream in(std::regex_replace(command, std::regex("\\\\\n"), " "));
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::set<std::string> file_lines(const fs::path& path) {
  std::istringstream in(read_file(path));
  std::set<std::string> out;
  for (std::string l; std::getline(in, l);) out.insert(l);
  return out;
}

TEST(Walkthrough, QuotesEveryStep) {
  std::map<std::string, int> kinds;
  for (const Marked& m : marked_blocks()) ++kinds[m.kind];
  EXPECT_GE(kinds["output"], 6);
  EXPECT_EQ(kinds["diff"], 1);
  EXPECT_EQ(kinds["admission-message"], 1);
}

TEST(Walkthrough, QuotedCommandOutputsAreWhatReleasegatePrints) {
  for (const Marked& m : marked_blocks()) {
    if (m.kind != "output") continue;
    ASSERT_EQ(m.blocks.size(), 2u) << "deploy/README.md:" << m.line << ": a command block and an output block";
    std::vector<std::string> argv = words(m.blocks[0]);
    ASSERT_FALSE(argv.empty());
    ASSERT_EQ(argv[0], "releasegate") << "deploy/README.md:" << m.line;
    argv[0] = RELEASEGATE_BINARY;
    CommandResult r = run_command(argv, source_dir());
    // stdout then stderr: the order a terminal shows them for these commands.
    EXPECT_EQ(r.out + r.err, m.blocks[1]) << "deploy/README.md:" << m.line << ": " << m.blocks[0];
    EXPECT_EQ(std::to_string(r.exit_code), m.attributes.at("exit")) << "deploy/README.md:" << m.line;
  }
}

TEST(Walkthrough, QuotedPromotionDiffIsTheDifferenceBetweenTheFiles) {
  for (const Marked& m : marked_blocks()) {
    if (m.kind != "diff") continue;
    ASSERT_EQ(m.blocks.size(), 1u);
    std::set<std::string> before = file_lines(source_dir() / m.attributes.at("before"));
    std::set<std::string> after = file_lines(source_dir() / m.attributes.at("after"));
    std::istringstream in(m.blocks[0]);
    int changes = 0;
    for (std::string l; std::getline(in, l);) {
      std::string text = l.substr(1);
      if (l[0] == '-') {
        EXPECT_TRUE(before.count(text) && !after.count(text)) << "not removed by the PR: " << text;
      } else {
        ASSERT_EQ(l[0], '+') << l;
        EXPECT_TRUE(after.count(text) && !before.count(text)) << "not added by the PR: " << text;
      }
      ++changes;
    }
    EXPECT_GE(changes, 2);
    std::vector<std::string> only_before, only_after;
    for (const std::string& l : before) if (!after.count(l)) only_before.push_back(l);
    for (const std::string& l : after) if (!before.count(l)) only_after.push_back(l);
    EXPECT_EQ(only_before.size() + only_after.size(), static_cast<std::size_t>(changes))
        << "the files differ by more than the quoted diff";
  }
}

// What `kubectl set image` prints is the apiserver's wrapping of the
// server's status.message for the review the doc names.
TEST(Walkthrough, QuotedKubectlDenialIsTheServersMessage) {
  TempDir dir("releasegate-walkthrough");
  ASSERT_TRUE(make_dev_certs(dir.path / "certs"));
  ServeProcess server(dir.path / "certs/tls.crt", dir.path / "certs/tls.key", source_dir() / "deploy/examples/rules");
  ASSERT_TRUE(server.wait_ready());
  int checked = 0;
  for (const Marked& m : marked_blocks()) {
    if (m.kind != "admission-message") continue;
    ASSERT_EQ(m.blocks.size(), 1u);
    TlsClient client(server.port(), (dir.path / "certs/ca.crt").string());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(TlsClient::post("/validate", read_file(source_dir() / m.attributes.at("review")))));
    auto res = client.read_response();
    ASSERT_TRUE(res && res->status == 200);
    auto review = nlohmann::json::parse(res->body);
    ASSERT_FALSE(review["response"]["allowed"].get<bool>());
    std::string message = review["response"]["status"]["message"];
    const std::string& block = m.blocks[0];
    ASSERT_TRUE(block.starts_with("$ kubectl ")) << block;
    std::string printed = block.substr(block.find('\n') + 1);
    EXPECT_EQ(printed, "error: failed to patch image update to pod template: admission webhook \"" +
                           m.attributes.at("webhook") + "\" denied the request: " + message + "\n")
        << "deploy/README.md:" << m.line;
    ++checked;
  }
  EXPECT_EQ(checked, 1);
  // The webhook name quoted is the one registered.
  std::string webhook = read_file(source_dir() / "deploy/base/validatingwebhookconfiguration.yaml");
  EXPECT_NE(webhook.find("- name: validate.releasegate.io"), std::string::npos);
}

}  // namespace
}  // namespace releasegate::testing
