// Evidence that a version ran healthy in an environment: for an image
// (repository, tag, digest) or a chart (chart key, version), the period it
// ran there without interruption. It comes from Evidence records in the
// rules (exported from the cluster that observed it and committed to Git)
// or from releasegate's own observer in this cluster (evidence/observer.h).
// An environment with `requires: {evidenceFrom, soak}` admits a version
// only with enough of it (engine/evidence_requirement.h).
//
// Environments are kept by name, not by a policy's index, so a set stays
// valid when the policy changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time_text.h"

namespace releasegate {

enum class EvidenceOf { Image, Chart };

// The kinds whose health the observer reads: the long-running workloads
// and Flux HelmReleases. (Jobs and CronJobs run to completion, and a
// controller's ReplicaSets and Pods are seen through their owner.) An
// environment's evidence requirement applies to every kind that runs a
// version (engine/checks/evidence.cc).
inline constexpr std::string_view kEvidenceKinds[] = {"Deployment", "StatefulSet", "DaemonSet", "HelmRelease"};
bool is_evidence_kind(std::string_view kind);

// Who writes the status that the health of the workload evidence kinds is
// read from: kube-controller-manager, as itself or (with
// --use-service-account-credentials, as kubeadm and managed clusters run
// it) as each controller's service account. A HelmRelease's status is
// written by the policy's helm-controller identities (gitops.identities).
// Anyone else's status write is refused where it could forge evidence
// (engine/checks/status_writes.cc); the validating webhook's status entry
// keeps these users' routine writes from reaching the webhook at all
// (deploy/base/validatingwebhookconfiguration.yaml, tested against this
// table).
inline constexpr std::string_view kWorkloadStatusWriters[] = {
    "system:kube-controller-manager",
    "system:serviceaccount:kube-system:deployment-controller",
    "system:serviceaccount:kube-system:statefulset-controller",
    "system:serviceaccount:kube-system:daemon-set-controller",
};
bool is_workload_status_writer(std::string_view username);

// Who makes the objects a workload owns, from the template its owner was
// admitted with: kube-controller-manager, as itself or as each
// controller's service account. Their writes run versions already judged
// at the owner (a Pod made again on a drain, a Deployment's new
// ReplicaSet, a CronJob's Job) and never wait for evidence
// (engine/checks/evidence.cc); anyone else's ReplicaSet, Pod or Job is
// held to evidence as a Deployment is.
struct OwnedObjectMaker {
  std::string_view kind;
  std::string_view username;
};
inline constexpr OwnedObjectMaker kOwnedObjectMakers[] = {
    {"ReplicaSet", "system:serviceaccount:kube-system:deployment-controller"},
    {"Pod", "system:serviceaccount:kube-system:replicaset-controller"},
    {"Pod", "system:serviceaccount:kube-system:statefulset-controller"},
    {"Pod", "system:serviceaccount:kube-system:daemon-set-controller"},
    {"Pod", "system:serviceaccount:kube-system:job-controller"},
    {"Job", "system:serviceaccount:kube-system:cronjob-controller"},
};
// Whether `username` makes objects of `kind` for their owners (one of the
// table's, or kube-controller-manager as itself).
bool makes_owned_objects(std::string_view kind, std::string_view username);

struct EvidenceRecord {
  EvidenceOf of = EvidenceOf::Image;
  std::string key;     // a normalised repository ("ghcr.io/acme/podinfo"), or RuleSet::chart_key
  std::string tag;     // an image tag or a chart version; may be empty for a digest-only image
  std::string digest;  // an image digest, when known
  std::string environment;
  std::string cluster;  // where it ran
  UnixSeconds healthy_since = 0;
  UnixSeconds observed_until = 0;  // last seen healthy
  // Observed in this cluster and healthy now: the period runs on with the clock.
  bool ongoing = false;
  // It stopped being healthy there (while still running that version) at
  // this time: the period before does not count, until it is healthy again.
  UnixSeconds degraded_at = 0;
  std::string object;  // what ran it, "Deployment staging/podinfo", when known
  std::string origin;  // for messages: "observed in this cluster", "Evidence staging-eu (evidence.yaml:3)"

  // How long it has been (or was) healthy without interruption at `now`.
  std::int64_t healthy_for(UnixSeconds now) const;
  // "ghcr.io/acme/podinfo:6.5.1@sha256:...", "chart <key> 6.5.1".
  std::string version_text() const;
};

// Whether a record of (record_tag, record_digest) is evidence for the
// version (tag, digest): the same digest when both name one, else the same
// tag.
bool matches_version(std::string_view record_tag, std::string_view record_digest, std::string_view tag,
                  std::string_view digest);

// Where a decision looks evidence up: the rules' records (EvidenceSet), or
// the observer's live state (evidence/observer.h), which holds no record
// until asked for one.
class EvidenceSource {
 public:
  virtual ~EvidenceSource() = default;
  // The records of one version in one environment (matches_version).
  virtual std::vector<EvidenceRecord> records_of(EvidenceOf of, std::string_view key, std::string_view environment,
                                                 std::string_view tag, std::string_view digest) const = 0;
};

// Evidence records by (kind, key): one per version and environment and
// cluster that proved itself: the rules' records, and copies of the
// observer's made for `evidence export` and persistence.
class EvidenceSet final : public EvidenceSource {
 public:
  EvidenceRecord& add(EvidenceRecord record);  // valid until a later add outgrows what was reserved
  void reserve(std::size_t records) { records_.reserve(records), previous_.reserve(records); }
  // The record of exactly this version (the same tag and digest, both
  // possibly empty) in this environment, to merge into; null when none.
  EvidenceRecord* same_version(EvidenceOf of, std::string_view key, std::string_view environment,
                               std::string_view tag, std::string_view digest);
  std::vector<EvidenceRecord> take_records() && { return std::move(records_); }
  // The records of one version in one environment: the same digest when
  // both name one, else the same tag.
  std::vector<const EvidenceRecord*> find(EvidenceOf of, std::string_view key, std::string_view environment,
                                          std::string_view tag, std::string_view digest) const;
  std::vector<EvidenceRecord> records_of(EvidenceOf of, std::string_view key, std::string_view environment,
                                         std::string_view tag, std::string_view digest) const override;
  const std::vector<EvidenceRecord>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }

 private:
  static std::uint64_t hash_of(EvidenceOf of, std::string_view key);
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::vector<EvidenceRecord> records_;
  // The index, about 44 bytes a record (a map of strings to vectors took
  // about 170): the newest record of each hash of (kind, key), and each
  // record's previous one of the same hash.
  std::unordered_map<std::uint64_t, std::uint32_t> newest_;
  std::vector<std::uint32_t> previous_;
};

}  // namespace releasegate
