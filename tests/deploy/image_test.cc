// deploy/Dockerfile cannot be built here (no registry access), so check what
// can go wrong without building it: the runtime stage installs a package
// for every shared library the real binary links, the packages exist, the
// build stage has the packages .ci/install-deps builds with, and the user
// is the Deployment's numeric non-root user.
#include <gtest/gtest.h>

#include <filesystem>

#include <regex>
#include <set>
#include <sstream>

#include "tests/deploy/deploy_support.h"
#include "tests/support/test_support.h"

namespace releasegate::testing {
namespace {

namespace fs = std::filesystem;

struct Stage {
  std::vector<std::string> instructions;  // continuation lines joined
  std::set<std::string> apt_packages;
};

// The Dockerfile's stages, with the packages of each `apt-get install`.
std::vector<Stage> stages() {
  std::istringstream in(read_file(source_dir() / "deploy/Dockerfile"));
  std::vector<Stage> out;
  std::string instruction;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) continue;
    if (line.ends_with("\\")) {
      instruction += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    instruction += line;
    if (instruction.starts_with("FROM ")) out.emplace_back();
    if (!out.empty() && !instruction.empty()) out.back().instructions.push_back(instruction);
    instruction.clear();
  }
  for (Stage& stage : out) {
    for (const std::string& i : stage.instructions) {
      std::size_t at = i.find("apt-get install");
      if (at == std::string::npos) continue;
      std::istringstream words(i.substr(at + 15));
      for (std::string w; words >> w && w != "&&";) {
        if (!w.starts_with("-")) stage.apt_packages.insert(w);
      }
    }
  }
  return out;
}

TEST(Image, RuntimeStageInstallsEveryLibraryTheBinaryLinks) {
  std::vector<Stage> all = stages();
  ASSERT_EQ(all.size(), 2u);
  const std::set<std::string>& runtime = all.back().apt_packages;
  ASSERT_FALSE(runtime.empty());
  CommandResult ldd = run_command({"ldd", RELEASEGATE_BINARY});
  ASSERT_EQ(ldd.exit_code, 0) << ldd.err;
  std::set<std::string> needed;
  std::istringstream lines(ldd.out);
  std::regex resolved(R"(\S+ => (/\S+) \(0x)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, resolved)) continue;
    std::string path = m[1];
    // Debian 12 merged /usr: dpkg knows some libraries under /lib, some under /usr/lib.
    CommandResult owner;
    for (const std::string& candidate : {path, fs::canonical(path).string(), "/usr" + path}) {
      owner = run_command({"dpkg", "-S", candidate});
      if (owner.exit_code == 0) break;
    }
    ASSERT_EQ(owner.exit_code, 0) << "no package owns " << path;
    std::string package = owner.out.substr(0, owner.out.find(':'));
    // The sanitizer runtimes of `./dev.sh test` builds are not in a release image.
    if (package.starts_with("libasan") || package.starts_with("libubsan")) continue;
    needed.insert(package);
  }
  EXPECT_TRUE(needed.count("libssl3") && needed.count("libc6")) << "ldd output not understood:\n" << ldd.out;
  for (const std::string& package : needed) {
    EXPECT_TRUE(runtime.count(package)) << "the runtime stage does not install " << package;
  }
  for (const std::string& package : runtime) {
    EXPECT_TRUE(needed.count(package)) << package << " is installed but the binary does not link it";
  }
}

TEST(Image, EveryPackageExistsInDebian) {
  // apt-cache only knows what `apt-get update` fetched.
  bool have_lists = false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/var/lib/apt/lists", ec)) {
    have_lists = have_lists || entry.path().filename().string().find("_Packages") != std::string::npos;
  }
  if (!have_lists) GTEST_SKIP() << "no apt package lists on this machine (apt-get update has not run)";
  for (const Stage& stage : stages()) {
    for (const std::string& package : stage.apt_packages) {
      CommandResult show = run_command({"apt-cache", "show", "--no-all-versions", package});
      EXPECT_EQ(show.exit_code, 0) << "apt-cache knows no package " << package;
    }
  }
}

TEST(Image, BuildStageHasThePackagesInstallDepsBuildsWith) {
  std::string deps = read_file(source_dir() / ".ci/install-deps");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(deps, m, std::regex(R"(packages=\(([^)]*)\))")));
  std::istringstream words(m[1].str());
  // Test, benchmark and download tools are not needed to build the binary.
  const std::set<std::string> not_for_the_image = {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "curl", "openssl"};
  const std::set<std::string> build = stages().front().apt_packages;
  int compared = 0;
  for (std::string p; words >> p;) {
    if (not_for_the_image.count(p)) continue;
    EXPECT_TRUE(build.count(p)) << "the build stage does not install " << p;
    ++compared;
  }
  EXPECT_GE(compared, 8);
}

// The build stage copies every source folder the top CMakeLists.txt
// builds (a folder left out fails the image's build, which CI cannot run),
// and the build context lets each through.
TEST(Image, BuildStageCopiesEverySourceFolderTheBuildNeeds) {
  std::string cmake = read_file(source_dir() / "CMakeLists.txt");
  std::smatch folders;
  ASSERT_TRUE(std::regex_search(cmake, folders, std::regex(R"(foreach\(folder ([a-z ]+)\))")));
  std::set<std::string> copied;
  std::vector<Stage> all = stages();
  for (const std::string& i : all.front().instructions) {
    std::smatch copy;
    if (std::regex_match(i, copy, std::regex(R"(COPY ([a-z]+) ([a-z]+))"))) copied.insert(copy[1]);
  }
  std::string ignore = read_file(source_dir() / "deploy/Dockerfile.dockerignore");
  std::istringstream names(folders[1].str());
  for (std::string folder; names >> folder;) {
    EXPECT_TRUE(copied.contains(folder)) << "deploy/Dockerfile does not COPY " << folder;
    EXPECT_NE(ignore.find("!" + folder + "/"), std::string::npos) << "the build context leaves out " << folder;
  }
}

TEST(Image, RunsAsTheDeploymentsNumericNonRootUserWithoutAShell) {
  std::vector<Stage> all = stages();
  ASSERT_FALSE(all.empty());
  std::string user, entrypoint;
  for (const std::string& i : all.back().instructions) {
    if (i.starts_with("USER ")) user = i.substr(5);
    if (i.starts_with("ENTRYPOINT ")) entrypoint = i.substr(11);
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_match(user, m, std::regex(R"(([0-9]+):([0-9]+))"))) << "USER must be numeric: " << user;
  EXPECT_NE(m[1].str(), "0");
  yaml::Node deployment = load_yaml_file((source_dir() / "deploy/base/deployment.yaml").string());
  yaml::Node security = deployment["spec"]["template"]["spec"]["securityContext"];
  EXPECT_EQ(security["runAsUser"].scalar(), m[1].str());
  EXPECT_EQ(security["runAsGroup"].scalar(), m[2].str());
  EXPECT_TRUE(entrypoint.starts_with("[\"")) << "exec form, so no shell runs: " << entrypoint;
}

}  // namespace
}  // namespace releasegate::testing
