// releasegate: a Kubernetes admission webhook that enforces GitOps release
// policy. Subcommands: serve, check, lint, audit, evidence.
#include <iostream>
#include <string>
#include <vector>

#include "cli/audit_command.h"
#include "cli/evidence_command.h"
#include "cli/check_command.h"
#include "cli/lint_command.h"
#include "cli/serve_command.h"
#include "core/allocator.h"

namespace {

constexpr const char* kUsage =
    "usage: releasegate <command> [flags]\n"
    "commands:\n"
    "  serve   run the admission webhook (TLS) and its probe listener\n"
    "  check   evaluate manifests against a rules directory offline (for CI)\n"
    "  lint    validate rules directories (for CI on rules pull requests)\n"
    "  audit   judge what runs in a cluster now against the rules (table, JSON, policy reports)\n"
    "  evidence export   what the cluster proved ran healthy, as Evidence records for Git\n"
    "  version print the version\n"
    "run `releasegate <command> --help` for the command's flags\n";

}  // namespace

int main(int argc, char** argv) {
  releasegate::keep_large_blocks_mapped();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "serve") return releasegate::cli::run_serve(args);
  if (command == "check") return releasegate::cli::run_check(args, std::cout, std::cerr);
  if (command == "audit") return releasegate::cli::run_audit(args, std::cout, std::cerr);
  if (command == "evidence") return releasegate::cli::run_evidence(args, std::cout, std::cerr);
  if (command == "lint") return releasegate::cli::run_lint(args, std::cout, std::cerr);
  if (command == "version") {
    std::cout << "releasegate " << RELEASEGATE_VERSION << "\n";
    return 0;
  }
  std::cerr << "releasegate: unknown command \"" << command << "\"\n" << kUsage;
  return 2;
}
