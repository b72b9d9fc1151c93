// The README's samples: every AdmissionReview in deploy/examples/reviews/
// is sent through `releasegate serve` with the example rules, over TLS,
// and answered as the README's table says (denied, allowed, patched); the
// denial's message is the one the quickstart quotes.
#include <gtest/gtest.h>
#include <openssl/evp.h>

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

struct Sample {
  std::string webhook;  // /validate, /mutate
  std::string answer;   // denied, allowed, patched
};

// The README's table: | `file.json` | `/webhook` | answer: ... |
std::map<std::string, Sample> readme_samples() {
  std::map<std::string, Sample> out;
  std::istringstream in(read_file(source_dir() / "README.md"));
  std::regex row(R"(\| `([a-z0-9-]+\.json)` \| `(/[a-z]+)` \| ([a-z]+)\b.*\|)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row)) out[m[1]] = {m[2], m[3]};
  }
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  out.resize(size > 0 ? static_cast<std::size_t>(size) : 0);
  return out;
}

// The fenced block after "its `status.message` is what `kubectl` prints:".
std::string readme_denial() {
  std::string doc = read_file(source_dir() / "README.md");
  std::size_t at = doc.find("is what `kubectl` prints:");
  if (at == std::string::npos) return {};
  std::size_t open = doc.find("```\n", at);
  std::size_t close = doc.find("\n```", open + 4);
  if (open == std::string::npos || close == std::string::npos) return {};
  return doc.substr(open + 4, close + 1 - open - 4);  // with its last line break
}

class Samples : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir = std::make_unique<TempDir>("releasegate-samples");
    ASSERT_TRUE(make_dev_certs(dir->path));
    server = std::make_unique<ServeProcess>(dir->path / "tls.crt", dir->path / "tls.key",
                                            source_dir() / "deploy/examples/rules");
    ready = server->wait_ready();
  }
  static void TearDownTestSuite() {
    server.reset();
    dir.reset();
  }
  void SetUp() override { ASSERT_TRUE(ready) << "releasegate serve did not become ready"; }

  nlohmann::json send(const std::string& webhook, const fs::path& file) {
    TlsClient client(server->port(), (dir->path / "ca.crt").string());
    EXPECT_TRUE(client.connected()) << client.error();
    EXPECT_TRUE(client.send(TlsClient::post(webhook, read_file(file))));
    std::optional<RawResponse> response = client.read_response();
    if (!response || response->status != 200) {
      ADD_FAILURE() << file << ": no 200 answer";
      return nullptr;
    }
    return nlohmann::json::parse(response->body)["response"];
  }

  static inline std::unique_ptr<TempDir> dir;
  static inline std::unique_ptr<ServeProcess> server;
  static inline bool ready = false;
};

TEST_F(Samples, EverySampleIsAnsweredAsTheReadmeSays) {
  std::map<std::string, Sample> table = readme_samples();
  std::set<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(source_dir() / "deploy/examples/reviews")) {
    files.insert(entry.path().filename().string());
  }
  std::set<std::string> listed;
  for (const auto& [file, sample] : table) listed.insert(file);
  EXPECT_EQ(files, listed) << "every sample has a row in the README's table, and every row a sample";
  for (const auto& [file, sample] : table) {
    SCOPED_TRACE(file);
    nlohmann::json response = send(sample.webhook, source_dir() / "deploy/examples/reviews" / file);
    ASSERT_TRUE(response.is_object());
    bool allowed = response.value("allowed", false);
    bool patched = response.contains("patch");
    if (sample.answer == "denied") {
      EXPECT_FALSE(allowed);
      EXPECT_EQ(response["status"]["message"].get<std::string>() + "\n", readme_denial());
    } else if (sample.answer == "allowed") {
      EXPECT_TRUE(allowed) << response.dump();
      EXPECT_FALSE(patched);
    } else if (sample.answer == "patched") {
      EXPECT_TRUE(allowed) << response.dump();
      EXPECT_TRUE(patched) << response.dump();
      EXPECT_EQ(response.value("patchType", ""), "JSONPatch");
      std::string patch = unbase64(response.value("patch", ""));
      EXPECT_NE(patch.find("ghcr.io/acme/podinfo:6.5.0@sha256:8a77666ffcdcbfd3c483f4aab25fa312108b4ac4e8678da6176acf3837a13bf7"),
                std::string::npos)
          << patch;
    } else {
      ADD_FAILURE() << "unknown answer in the README: " << sample.answer;
    }
  }
  EXPECT_EQ(table.size(), 3u);
}

}  // namespace
}  // namespace releasegate::testing
