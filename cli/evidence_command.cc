#include "cli/evidence_command.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "cli/api_flags.h"
#include "cli/cluster_flags.h"
#include "evidence/evidence_document.h"
#include "evidence/observer.h"
#include "evidence/persisted_evidence.h"
#include "evidence/tracker.h"
#include "signing/key_file.h"

namespace releasegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: releasegate evidence export --cluster-name NAME --signing-key FILE [--kubeconfig FILE] [--context NAME]\n"
    "                                   [--rules DIR ... | --rules-namespace NS ...] [--environment ENV ...]\n"
    "                                   [--evidence-config-map NAME (default releasegate-evidence)] [--output FILE]\n"
    "       releasegate evidence keygen --output FILE [--type ecdsa-p256|ed25519 (default ecdsa-p256)]\n";

// What the observer persisted in its ConfigMap, when it can be read.
void restore(kube::Client& client, const std::string& ns, const std::string& name, const EvidenceTrust& trust,
             evidence::Tracker& tracker, std::ostream& err) {
  if (name.empty()) return;
  evidence::PersistedEvidence persisted = evidence::read_persisted(client, ns, name, trust);
  if (!persisted.error.empty()) {
    err << "releasegate evidence: " << persisted.error << (persisted.read ? "" : " (only what runs now is exported)")
        << "\n";
  }
  tracker.restore(persisted.records);
}

// Every object of the evidence kinds into the tracker; false with *error
// when a list fails.
bool observe_cluster(kube::Client& client, const RuleSet& rules, evidence::Tracker& tracker, UnixSeconds now,
                     std::string* error) {
  for (const evidence::EvidenceCollection& collection : evidence::evidence_collections()) {
    kube::ListOptions list;
    list.limit = 250;
    kube::ListResult listed = client.list(collection.path, list, [&](nlohmann::json&& object) {
      auto observed = evidence::observe(collection.kind, object);
      if (!observed) return;
      std::string id = collection.kind + " " + observed->namespace_ + "/" + observed->name;
      std::string environment = evidence::environment_of(rules, *observed);
      tracker.update(id, std::move(*observed), environment, now);
    });
    // A custom resource the API does not serve (no Flux): nothing of it runs.
    if (!listed.ok && listed.error.code == 404 && collection.may_be_unserved) continue;
    if (!listed.ok) {
      *error = "listing " + collection.path + ": " + listed.error.describe();
      return false;
    }
  }
  return true;
}

// The records of the environments asked for (all when none).
EvidenceSet selected(const EvidenceSet& all, const std::vector<std::string>& environments) {
  EvidenceSet out;
  for (const EvidenceRecord& r : all.records()) {
    if (environments.empty() || std::find(environments.begin(), environments.end(), r.environment) != environments.end()) {
      out.add(r);
    }
  }
  return out;
}

// A new signing key: the private key into `path` (owner-only), its public
// key on `out`, for the policy's evidence.trust.
int keygen(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto path = flags.get("output");
  std::string type = flags.get("type").value_or("ecdsa-p256");
  if (!path) return err << "releasegate evidence keygen: --output FILE is required (the private key)\n" << kUsage, 2;
  if (type != "ecdsa-p256" && type != "ed25519") {
    return err << "releasegate evidence keygen: --type is ecdsa-p256 or ed25519, not \"" << type << "\"\n", 2;
  }
  signing::SigningKey key =
      signing::SigningKey::generate(type == "ed25519" ? signing::KeyType::Ed25519 : signing::KeyType::EcdsaP256);
  std::filesystem::remove(*path);
  std::ofstream file(*path, std::ios::binary | std::ios::trunc);
  std::filesystem::permissions(*path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  if (!(file << key.pem())) return err << "releasegate evidence keygen: cannot write " << *path << "\n", 2;
  out << key.public_key().pem();
  err << "releasegate evidence keygen: key " << key.public_key().id() << " written to " << *path << "\n";
  return 0;
}

}  // namespace

int run_evidence(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Flags flags(with_api_flags(
                  with_cluster_flags({"rules", "environment", "evidence-config-map", "output", "signing-key", "type"})),
              with_cluster_switches());
  std::string error;
  auto usage = [&](const std::string& message) {
    err << "releasegate evidence: " << message << "\n" << kUsage;
    return 2;
  };
  if (args.empty() || (args.front() != "export" && args.front() != "keygen")) {
    return usage("the subcommand is export or keygen");
  }
  if (!flags.parse(std::vector<std::string>(args.begin() + 1, args.end()), &error)) return usage(error);
  if (args.front() == "keygen") return keygen(flags, out, err);
  auto key_path = flags.get("signing-key");
  if (!key_path) return usage("--signing-key is required: what it exports is signed by this cluster's key");
  signing::SigningKeyFile key_file(*key_path);
  std::shared_ptr<const signing::SigningKey> key = key_file.current(&error);
  if (!key) return usage(error);
  if (flags.has("rules") && flags.has("rules-namespace")) return usage("give --rules or --rules-namespace, not both");
  auto cluster = cluster_from_flags(flags, &error);
  if (!cluster) return usage(error);
  if (cluster->name.empty()) return usage("--cluster-name is required: each record names the cluster that proved it");
  auto config = api_config_from_flags(flags, &error);
  if (!config) return usage(error);
  std::signal(SIGPIPE, SIG_IGN);
  kube::Client client(*config);
  policy::LoadOptions options;
  options.cluster = *cluster;
  options.own_namespace = own_namespace(flags, &*config);
  policy::LoadResult rules = rules_from_flags(flags, client, options, &error);
  if (!error.empty()) return err << "releasegate evidence: " << error << "\n", 2;
  if (!rules.rules) {
    for (const policy::LoadError& e : rules.errors) err << e.to_string() << "\n";
    return err << "releasegate evidence: the rules are invalid; nothing exported\n", 2;
  }
  evidence::Tracker tracker({cluster->name});
  UnixSeconds now = wall_clock();
  restore(client, options.own_namespace, flags.get("evidence-config-map").value_or("releasegate-evidence"),
          evidence::own_trust(*key, cluster->name, *rules.rules), tracker, err);
  if (!observe_cluster(client, *rules.rules, tracker, now, &error)) {
    return err << "releasegate evidence: " << error << "; nothing exported\n", 1;
  }
  EvidenceSet evidence = selected(tracker.snapshot(now), flags.all("environment"));
  std::string text = evidence::render_evidence(evidence, now, *key);
  if (auto file = flags.get("output")) {
    std::ofstream file_out(*file, std::ios::binary | std::ios::trunc);
    if (!(file_out << text)) return err << "releasegate evidence: cannot write " << *file << "\n", 2;
  } else {
    out << text;
  }
  err << "releasegate evidence: " << evidence.size() << " records from cluster " << cluster->name << "\n";
  return 0;
}

}  // namespace releasegate::cli
