// Compiling a ReleasePolicy spec, internal to the rules compiler; with the
// environment helpers the Promotion compiler shares.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/rule_set.h"
#include "policy/compiler.h"
#include "policy/environment_compiler.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// Compiles a ReleasePolicy's spec into `rules`; errors go to the reader.
void compile_policy(Reader& reader, const yaml::Node& spec, RuleSet& rules);

// The kube-controller-manager controllers (service accounts in kube-system,
// with --use-service-account-credentials) that create or change governed
// objects in their routine work: rollouts, scaling, Pods of a ReplicaSet or
// Job, garbage collection, namespace deletion. They are exempt from
// provenance by default; nothing else in kube-system is.
inline constexpr std::array<std::string_view, 9> kExemptControllers = {
    "deployment-controller", "replicaset-controller", "statefulset-controller",
    "daemon-set-controller", "job-controller",        "cronjob-controller",
    "generic-garbage-collector", "namespace-controller", "ttl-after-finished-controller",
};

// Always exempt: the kube-system namespace; the controllers above and
// system:kube-controller-manager (clusters without per-controller
// credentials); the nodes; the webhook's own namespace and service account.
void add_default_exemptions(RuleSet& rules, const LoadOptions& options);

}  // namespace releasegate::policy
