#include "tests/deploy/deploy_support.h"

#include "tests/support/test_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <cstdlib>
#include <httplib.h>
#include <random>
#include <thread>

namespace releasegate::testing {

namespace fs = std::filesystem;

CommandResult run_command(const std::vector<std::string>& argv, const fs::path& cwd,
                          const std::vector<std::string>& env) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) return result;
  pid_t child = fork();
  if (child == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Read both pipes together so that neither fills up and blocks the child.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* into[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[8192];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        into[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::optional<std::string> kubectl() {
  // RELEASEGATE_KUBECTL picks another kubectl.
  const char* chosen = std::getenv("RELEASEGATE_KUBECTL");
  std::string command = chosen && *chosen ? chosen : "kubectl";
  CommandResult version = run_command({command, "version", "--client"});
  if (version.exit_code != 0) return std::nullopt;
  // The manifests use current kustomize syntax (resources, patches):
  // kustomize v4 or later, which kubectl 1.24 and newer name in their
  // version. Debian 12's kubectl 1.20 carries v2.0.3, which predates it.
  static const std::regex kustomize(R"(Kustomize Version: v(\d+))");
  std::smatch match;
  if (!std::regex_search(version.out, match, kustomize) || std::stoi(match[1]) < 4) return std::nullopt;
  return command;
}

std::vector<yaml::Node> kustomize(const std::string& kubectl, const fs::path& dir, std::string* error,
                                  std::string* warnings) {
  CommandResult r = run_command({kubectl, "kustomize", dir.string()});
  if (warnings) *warnings = r.err;
  if (r.exit_code != 0) {
    *error = "kubectl kustomize " + dir.string() + " exited " + std::to_string(r.exit_code) + ": " + r.err;
    return {};
  }
  std::string parse_error;
  std::vector<yaml::Node> objects;
  for (yaml::Node doc : parse_yaml(r.out, &parse_error)) {
    if (doc.is_map()) objects.push_back(doc);
  }
  if (!parse_error.empty()) *error = "kubectl kustomize output is not YAML: " + parse_error;
  return objects;
}

yaml::Node find_object(const std::vector<yaml::Node>& objects, const std::string& kind, const std::string& name) {
  for (yaml::Node o : objects) {
    if (o["kind"].scalar() == kind && o["metadata"]["name"].scalar() == name) return o;
  }
  return yaml::Node();
}

std::vector<yaml::Node> parse_yaml(const std::string& text, std::string* error) {
  static std::mutex mutex;
  static std::vector<std::shared_ptr<const yaml::Tree>> kept;
  yaml::Tree::Parsed parsed = yaml::Tree::parse(text);
  if (!parsed.errors.empty()) {
    const yaml::Tree::Error& e = parsed.errors.front();
    *error = std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.message;
    return {};
  }
  std::lock_guard lock(mutex);
  kept.push_back(parsed.tree);
  return parsed.documents;
}

yaml::Node load_yaml_file(const fs::path& path) {
  std::string error;
  std::vector<yaml::Node> documents = parse_yaml(read_file(path), &error);
  return documents.empty() ? yaml::Node() : documents.front();
}

int as_int(const yaml::Node& node, int fallback) {
  const std::string& text = node.scalar();
  if (text.empty() || node.quoted()) return fallback;
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  return *end == '\0' ? static_cast<int>(value) : fallback;
}

TempDir::TempDir(const std::string& prefix) {
  std::random_device random;
  path = fs::temp_directory_path() / (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  fs::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

ServeProcess::ServeProcess(const fs::path& cert, const fs::path& key, const fs::path& rules_dir,
                           const std::vector<std::string>& extra_flags)
    : port_(free_port()), metrics_port_(free_port()) {
  std::vector<std::string> args{RELEASEGATE_BINARY,
                                "serve",
                                "--listen=127.0.0.1:" + std::to_string(port_),
                                "--metrics-listen=127.0.0.1:" + std::to_string(metrics_port_),
                                "--tls-cert=" + cert.string(),
                                "--tls-key=" + key.string(),
                                "--shutdown-grace=1s"};
  if (!rules_dir.empty()) args.push_back("--rules=" + rules_dir.string());
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(RELEASEGATE_BINARY, argv.data());
    _exit(127);
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

bool ServeProcess::wait_ready() {
  httplib::Client probes("127.0.0.1", metrics_port_);
  probes.set_connection_timeout(1);
  return static_cast<bool>(eventually([&] {
    auto res = probes.Get("/readyz");
    return res && res->status == 200;
  }));
}

}  // namespace releasegate::testing
