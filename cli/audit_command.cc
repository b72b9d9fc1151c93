#include "cli/audit_command.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <ostream>

#include "audit/cluster_audit.h"
#include "audit/policy_report.h"
#include "cli/api_flags.h"
#include "cli/cluster_flags.h"
#include "policy/compiler.h"

namespace releasegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: releasegate audit [--kubeconfig FILE] [--context NAME]\n"
    "                         [--rules DIR ... | --rules-namespace NS ... (default: the rules ConfigMaps of the\n"
    "                          context's namespace)] [--inventory] [--publish] [--output text|json]\n"
    "                         [--cluster-name NAME] [--cluster-label KEY=VALUE ...] [--cluster-file FILE]\n";

using nlohmann::json;

// Rows of cells, the columns padded to their widest cell; the last
// column is not padded (a message may be long).
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << "\n";
  }
}

void print_text(std::ostream& out, const audit::AuditResult& result, bool inventory) {
  audit::Summary total;
  std::vector<std::vector<std::string>> rows{{"RESULT", "ENVIRONMENT", "OBJECT", "RULE", "MESSAGE"}};
  std::vector<std::string> notes;
  for (const auto& [ns, report] : result.namespaces) {
    total.pass += report.summary.pass, total.fail += report.summary.fail, total.warn += report.summary.warn;
    total.error += report.summary.error, total.skip += report.summary.skip;
    for (const audit::Result& r : report.results) {
      if (r.outcome == audit::Outcome::Pass) continue;
      rows.push_back({std::string(audit::to_string(r.outcome)), r.environment.empty() ? "-" : r.environment,
                      r.object.kind + " " + r.object.namespace_ + "/" + r.object.name, r.rule, r.message});
    }
    if (report.left_out) notes.push_back(ns + ": " + std::to_string(report.left_out) + " more results not kept");
  }
  for (const audit::Result& r : result.cluster_results) {
    rows.push_back({std::string(audit::to_string(r.outcome)), "-", r.object.api_version + " " + r.object.kind, r.rule,
                    r.message});
  }
  if (rows.size() > 1) print_table(out, rows);
  for (const std::string& note : notes) out << "(" << note << ")\n";
  out << result.objects << " objects judged: " << total.pass << " pass, " << total.fail << " fail, " << total.warn
      << " warn, " << total.error << " error" << (result.complete ? "" : " (incomplete: a kind could not be listed)")
      << "\n";
  if (!inventory) return;
  std::vector<std::vector<std::string>> running{{"ENVIRONMENT", "ARTIFACT", "VERSION", "DIGEST", "COUNT", "EVIDENCE"}};
  for (const audit::RunningVersion& v : result.inventory) {
    running.push_back({v.environment, (v.chart ? "chart " : "") + v.artifact, v.version.empty() ? "-" : v.version,
                       v.digest.empty() ? "-" : v.digest, std::to_string(v.count), v.evidence});
  }
  out << "\n";
  print_table(out, running);
}

bool failed(const audit::AuditResult& result) {
  if (!result.complete) return true;
  for (const auto& [ns, report] : result.namespaces) {
    if (report.summary.fail || report.summary.error) return true;
  }
  return false;
}

}  // namespace

int run_audit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Flags flags(with_api_flags(with_cluster_flags({"rules", "output"})), with_cluster_switches({"inventory", "publish"}));
  std::string error;
  auto usage = [&](const std::string& message) {
    err << "releasegate audit: " << message << "\n" << kUsage;
    return 2;
  };
  if (!flags.parse(args, &error)) return usage(error);
  std::string output = flags.get("output").value_or("text");
  if (output != "text" && output != "json") return usage("--output must be text or json");
  if (flags.has("rules") && flags.has("rules-namespace")) return usage("give --rules or --rules-namespace, not both");
  auto cluster = cluster_from_flags(flags, &error);
  if (!cluster) return usage(error);
  auto config = api_config_from_flags(flags, &error);
  if (!config) return usage(error);
  // A connection the API server drops must be an error, not the end of
  // the process.
  std::signal(SIGPIPE, SIG_IGN);
  kube::Client client(*config);
  policy::LoadOptions options;
  options.cluster = *cluster;
  options.own_namespace = own_namespace(flags, &*config);
  policy::LoadResult rules = rules_from_flags(flags, client, options, &error);
  if (!error.empty()) return err << "releasegate audit: " << error << "\n", 2;
  if (!rules.rules) {
    for (const policy::LoadError& e : rules.errors) err << e.to_string() << "\n";
    return err << "releasegate audit: the rules are invalid; nothing audited\n", 2;
  }
  audit::AuditResult result = audit::audit_cluster(client, *rules.rules);
  if (flags.has("publish")) {
    audit::PublishResult published = audit::publish_reports(client, result, {cluster->name});
    for (const std::string& e : published.errors) err << "releasegate audit: cannot publish " << e << "\n";
  }
  if (output == "json") {
    out << json{{"complete", result.complete},
                {"objects", result.objects},
                {"reports", audit::policy_reports(result, {cluster->name})}}
               .dump(2)
        << "\n";
  } else {
    print_text(out, result, flags.has("inventory"));
  }
  return failed(result) ? 1 : 0;
}

}  // namespace releasegate::cli
