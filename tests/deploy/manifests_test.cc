// The kustomize base and overlays, rendered with `kubectl kustomize` and
// checked as data: webhook registrations, the Deployment's security and
// probes against the server's flags, RBAC, certificates, rules ConfigMaps.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "core/evidence.h"
#include "core/kinds.h"
#include "tests/deploy/deploy_support.h"
#include "tests/support/test_support.h"

namespace releasegate::testing {
namespace {

namespace fs = std::filesystem;

using Strings = std::set<std::string>;

Strings strings(const yaml::Node& list) {
  Strings out;
  for (yaml::Node n : list.items()) out.insert(n.scalar());
  return out;
}

// The port of a "--flag=HOST:PORT" argument of the releasegate container.
int flag_port(const yaml::Node& container, const std::string& flag) {
  for (yaml::Node a : (container["args"]).items()) {
    std::string arg = a.scalar();
    if (arg.starts_with("--" + flag + "=")) return std::stoi(arg.substr(arg.rfind(':') + 1));
  }
  return -1;
}

std::string flag_value(const yaml::Node& container, const std::string& flag) {
  for (yaml::Node a : (container["args"]).items()) {
    std::string arg = a.scalar();
    if (arg.starts_with("--" + flag + "=")) return arg.substr(flag.size() + 3);
  }
  return {};
}

// metadata.labels[key] of an object, "" when absent.
std::string label(const yaml::Node& object, const std::string& key) {
  yaml::Node labels = object["metadata"]["labels"];
  return labels && labels[key] ? labels[key].scalar() : std::string();
}

int container_port(const yaml::Node& container, const std::string& name) {
  for (yaml::Node p : (container["ports"]).items()) {
    if (p["name"].scalar() == name) return as_int(p["containerPort"]);
  }
  return -1;
}

class Manifests : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto k = kubectl();
    if (!k) return;
    // The self-managed overlay needs certs/certs.sh output in its tls/
    // directory: render a copy of deploy/ so the checkout stays clean.
    work = std::make_unique<TempDir>("releasegate-manifests");
    fs::copy(source_dir() / "deploy", work->path / "deploy", fs::copy_options::recursive);
    fs::remove_all(work->path / "deploy/overlays/self-managed/tls");
    tls_dir = work->path / "deploy/overlays/self-managed/tls";
    CommandResult certs = run_command({(source_dir() / "certs/certs.sh").string(), "init", tls_dir.string()});
    ASSERT_EQ(certs.exit_code, 0) << certs.err;
    for (const char* dir : {"base", "examples", "monitoring", "overlays/cert-manager", "overlays/self-managed",
                            "overlays/rules-from-volumes"}) {
      std::string error;
      rendered[dir] = kustomize(*k, work->path / "deploy" / dir, &error, &warnings[dir]);
      errors[dir] = error;
    }
  }
  static void TearDownTestSuite() { work.reset(); }

  void SetUp() override {
    if (!kubectl()) GTEST_SKIP() << kNoKubectl;
  }

  static const std::vector<yaml::Node>& overlay(const std::string& name) { return rendered.at(name); }
  static std::vector<std::string> overlays() {
    return {"overlays/cert-manager", "overlays/self-managed", "overlays/rules-from-volumes"};
  }

  static yaml::Node deployment(const std::string& name) {
    return find_object(overlay(name), "Deployment", "releasegate");
  }
  static yaml::Node container(const std::string& name) {
    return deployment(name)["spec"]["template"]["spec"]["containers"][0];
  }

  static inline std::unique_ptr<TempDir> work;
  static inline fs::path tls_dir;
  static inline std::map<std::string, std::vector<yaml::Node>> rendered;
  static inline std::map<std::string, std::string> errors;
  static inline std::map<std::string, std::string> warnings;  // kubectl's stderr
};

TEST_F(Manifests, EveryBaseAndOverlayRendersWithoutAWarning) {
  for (const auto& [dir, objects] : rendered) {
    EXPECT_EQ(errors[dir], "") << dir;
    EXPECT_EQ(warnings[dir], "") << dir << ": deprecated kustomize syntax?";
    EXPECT_FALSE(objects.empty()) << dir;
  }
}

// The registrations come from the kinds table (core/kinds.h): a governed
// kind that is not registered, or a registered one that is not in the
// table, fails here.
TEST_F(Manifests, ValidatingWebhookRegistersEveryGovernedKind) {
  using Resource = std::pair<std::string, std::string>;  // group, resource
  std::map<Resource, Strings> governed;                  // -> operations
  for (const KindInfo& kind : kKinds) {
    if (!is_governed(kind.kind_class)) continue;
    governed[{std::string(kind.group), std::string(kind.resource)}] =
        kind.validates_delete ? Strings{"CREATE", "UPDATE", "DELETE"} : Strings{"CREATE", "UPDATE"};
    if (!kind.validated_subresource.empty()) {
      governed[{std::string(kind.group), std::string(kind.resource) + "/" + std::string(kind.validated_subresource)}] =
          Strings{"UPDATE"};
    }
  }
  for (const std::string& name : overlays()) {
    yaml::Node config = find_object(overlay(name), "ValidatingWebhookConfiguration", "releasegate");
    ASSERT_TRUE(config) << name;
    yaml::Node entry;
    for (yaml::Node w : (config["webhooks"]).items()) {
      if (w["name"].scalar() == "validate.releasegate.io") entry = w;
    }
    ASSERT_TRUE(entry) << name;
    EXPECT_EQ(entry["clientConfig"]["service"]["path"].scalar(), "/validate");
    std::map<Resource, Strings> registered;
    for (yaml::Node rule : (entry["rules"]).items()) {
      EXPECT_EQ(strings(rule["apiVersions"]), Strings{"*"});
      for (const std::string& group : strings(rule["apiGroups"])) {
        for (const std::string& resource : strings(rule["resources"])) {
          registered[{group, resource}] = strings(rule["operations"]);
        }
      }
    }
    EXPECT_EQ(registered, governed) << name;
  }
}

TEST_F(Manifests, RulesWebhookRegistersTheRulesConfigMapKind) {
  std::set<std::pair<std::string, std::string>> rules_kinds;
  for (const KindInfo& kind : kKinds) {
    if (kind.kind_class == KindClass::RulesConfigMap) rules_kinds.insert({std::string(kind.group), std::string(kind.resource)});
  }
  for (const std::string& name : overlays()) {
    yaml::Node config = find_object(overlay(name), "ValidatingWebhookConfiguration", "releasegate");
    std::set<std::pair<std::string, std::string>> registered;
    for (yaml::Node w : (config["webhooks"]).items()) {
      if (w["name"].scalar() != "rules.releasegate.io") continue;
      for (yaml::Node rule : (w["rules"]).items()) {
        for (const std::string& group : strings(rule["apiGroups"])) {
          for (const std::string& resource : strings(rule["resources"])) registered.insert({group, resource});
        }
      }
    }
    EXPECT_EQ(registered, rules_kinds) << name;
  }
}

TEST_F(Manifests, EveryWebhookEntryIsV1SideEffectFreeFailClosedAndQuick) {
  for (const std::string& name : overlays()) {
    int entries = 0;
    for (const char* kind : {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}) {
      yaml::Node config = find_object(overlay(name), kind, "releasegate");
      ASSERT_TRUE(config) << name << " " << kind;
      for (yaml::Node w : (config["webhooks"]).items()) {
        ++entries;
        std::string id = name + " " + w["name"].scalar();
        EXPECT_EQ(strings(w["admissionReviewVersions"]), Strings{"v1"}) << id;
        EXPECT_EQ(w["sideEffects"].scalar(), "None") << id;
        EXPECT_EQ(w["failurePolicy"].scalar(), "Fail") << id;
        EXPECT_EQ(w["matchPolicy"].scalar(), "Equivalent") << id;
        int timeout = as_int(w["timeoutSeconds"], 0);
        EXPECT_GE(timeout, 1) << id;
        EXPECT_LE(timeout, 10) << id;
        yaml::Node service = w["clientConfig"]["service"];
        EXPECT_EQ(service["name"].scalar(), "releasegate") << id;
        EXPECT_EQ(service["namespace"].scalar(), "releasegate-system") << id;
        yaml::Node svc = find_object(overlay(name), "Service", "releasegate");
        EXPECT_EQ(as_int(service["port"], 443), as_int(svc["spec"]["ports"][0]["port"])) << id;
      }
    }
    EXPECT_EQ(entries, 4) << name;
  }
}

TEST_F(Manifests, GovernedEntriesNeverSeeKubeSystemOrReleasegateSystem) {
  for (const std::string& name : overlays()) {
    for (const char* kind : {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}) {
      for (yaml::Node w : (find_object(overlay(name), kind, "releasegate")["webhooks"]).items()) {
        if (w["name"].scalar() == "rules.releasegate.io") continue;
        yaml::Node expressions = w["namespaceSelector"]["matchExpressions"];
        ASSERT_EQ(expressions.size(), 1u) << w["name"].scalar();
        EXPECT_EQ(expressions[0]["key"].scalar(), "kubernetes.io/metadata.name");
        EXPECT_EQ(expressions[0]["operator"].scalar(), "NotIn");
        EXPECT_EQ(strings(expressions[0]["values"]), (Strings{"kube-system", "releasegate-system"}));
        EXPECT_FALSE(w["objectSelector"]) << w["name"].scalar();
      }
    }
  }
}

TEST_F(Manifests, RulesEntrySeesOnlyLabelledConfigMapsInItsNamespace) {
  for (const std::string& name : overlays()) {
    yaml::Node entry;
    for (yaml::Node w : (find_object(overlay(name), "ValidatingWebhookConfiguration", "releasegate")["webhooks"]).items()) {
      if (w["name"].scalar() == "rules.releasegate.io") entry = w;
    }
    ASSERT_TRUE(entry) << name;
    EXPECT_EQ(entry["clientConfig"]["service"]["path"].scalar(), "/validate");
    EXPECT_EQ(entry["objectSelector"]["matchLabels"]["releasegate.io/rules"].scalar(), "true");
    ASSERT_EQ(entry["rules"].size(), 1u);
    EXPECT_EQ(strings(entry["rules"][0]["apiGroups"]), Strings{""});
    EXPECT_EQ(strings(entry["rules"][0]["resources"]), Strings{"configmaps"});
    // DELETE and label removal are rules edits too (runtime/rules_edit.h).
    EXPECT_EQ(strings(entry["rules"][0]["operations"]), (Strings{"CREATE", "UPDATE", "DELETE"}));
    yaml::Node expression = entry["namespaceSelector"]["matchExpressions"][0];
    EXPECT_EQ(expression["operator"].scalar(), "In");
    EXPECT_EQ(strings(expression["values"]), Strings{"releasegate-system"});
  }
}

// The status entry registers exactly the evidence kinds' status (from the
// kinds table) for UPDATE, and its matchConditions leave out exactly the
// controllers that write it: kube-controller-manager's identities
// (core/evidence.h) and the example policy's helm-controller.
TEST_F(Manifests, StatusEntrySeesTheEvidenceKindsStatusFromAnyoneButTheirControllers) {
  using Resource = std::pair<std::string, std::string>;
  std::set<Resource> evidence_status;
  for (const KindInfo& kind : kKinds) {
    if (is_evidence_kind(kind.kind)) evidence_status.insert({std::string(kind.group), std::string(kind.resource) + "/status"});
  }
  for (const std::string& name : overlays()) {
    yaml::Node entry;
    for (yaml::Node w : (find_object(overlay(name), "ValidatingWebhookConfiguration", "releasegate")["webhooks"]).items()) {
      if (w["name"].scalar() == "status.releasegate.io") entry = w;
    }
    ASSERT_TRUE(entry) << name;
    EXPECT_EQ(entry["clientConfig"]["service"]["path"].scalar(), "/validate");
    std::set<Resource> registered;
    for (yaml::Node rule : (entry["rules"]).items()) {
      EXPECT_EQ(strings(rule["operations"]), Strings{"UPDATE"});
      for (const std::string& group : strings(rule["apiGroups"])) {
        for (const std::string& resource : strings(rule["resources"])) registered.insert({group, resource});
      }
    }
    EXPECT_EQ(registered, evidence_status) << name;
    ASSERT_EQ(entry["matchConditions"].size(), 1u) << name;
    std::string expression = entry["matchConditions"][0]["expression"].scalar();
    std::set<std::string> excluded;
    for (std::size_t at = expression.find('\''); at != std::string::npos; at = expression.find('\'', at + 1)) {
      std::size_t end = expression.find('\'', at + 1);
      excluded.insert(expression.substr(at + 1, end - at - 1));
      at = end;
    }
    std::set<std::string> writers(std::begin(kWorkloadStatusWriters), std::end(kWorkloadStatusWriters));
    writers.insert("system:serviceaccount:flux-system:helm-controller");
    EXPECT_EQ(excluded, writers) << expression;
    EXPECT_TRUE(expression.starts_with("!(request.userInfo.username in [")) << expression;
  }
}

TEST_F(Manifests, MutatingWebhookPinsPodsOnly) {
  for (const std::string& name : overlays()) {
    yaml::Node config = find_object(overlay(name), "MutatingWebhookConfiguration", "releasegate");
    ASSERT_EQ(config["webhooks"].size(), 1u);
    yaml::Node w = config["webhooks"][0];
    EXPECT_EQ(w["clientConfig"]["service"]["path"].scalar(), "/mutate");
    EXPECT_EQ(w["reinvocationPolicy"].scalar(), "IfNeeded");
    ASSERT_EQ(w["rules"].size(), 1u);
    EXPECT_EQ(strings(w["rules"][0]["apiGroups"]), Strings{""});
    EXPECT_EQ(strings(w["rules"][0]["resources"]), Strings{"pods"});
    EXPECT_EQ(strings(w["rules"][0]["operations"]), (Strings{"CREATE", "UPDATE"}));
  }
}

TEST_F(Manifests, DeploymentIsReplicatedSpreadAndLockedDown) {
  for (const std::string& name : overlays()) {
    yaml::Node d = deployment(name);
    ASSERT_TRUE(d) << name;
    yaml::Node pod = d["spec"]["template"]["spec"];
    EXPECT_GE(as_int(d["spec"]["replicas"]), 2);
    EXPECT_TRUE(pod["topologySpreadConstraints"]);
    yaml::Node apart = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    EXPECT_EQ(apart["podAffinityTerm"]["topologyKey"].scalar(), "kubernetes.io/hostname") << name;
    EXPECT_EQ(pod["securityContext"]["runAsNonRoot"].scalar(), "true");
    EXPECT_GT(as_int(pod["securityContext"]["runAsUser"], 0), 0);
    EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"].scalar(), "RuntimeDefault");
    ASSERT_EQ(pod["containers"].size(), 1u);
    yaml::Node c = container(name);
    yaml::Node sc = c["securityContext"];
    EXPECT_EQ(sc["readOnlyRootFilesystem"].scalar(), "true");
    EXPECT_EQ(sc["allowPrivilegeEscalation"].scalar(), "false");
    EXPECT_EQ(strings(sc["capabilities"]["drop"]), Strings{"ALL"});
    EXPECT_TRUE(c["resources"]["requests"]["cpu"] && c["resources"]["requests"]["memory"]);
    EXPECT_TRUE(c["resources"]["limits"]["memory"]);
    EXPECT_EQ(c["args"][0].scalar(), "serve");
    bool pod_namespace = false, pod_name = false;
    for (yaml::Node e : (c["env"]).items()) {
      pod_namespace |= e["name"].scalar() == "POD_NAMESPACE" &&
                       e["valueFrom"]["fieldRef"]["fieldPath"].scalar() == "metadata.namespace";
      pod_name |= e["name"].scalar() == "POD_NAME" && e["valueFrom"]["fieldRef"]["fieldPath"].scalar() == "metadata.name";
    }
    EXPECT_TRUE(pod_namespace);
    EXPECT_TRUE(pod_name) << name << ": the leader election's identity";
  }
}

TEST_F(Manifests, ImageTagIsTheProjectVersion) {
  std::string cmake = read_file(source_dir() / "CMakeLists.txt");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(cmake, m, std::regex(R"(project\(releasegate VERSION ([0-9.]+))")));
  EXPECT_EQ(container("overlays/cert-manager")["image"].scalar(), "releasegate:" + m[1].str());
}

TEST_F(Manifests, ProbesAndPortsMatchTheServerFlags) {
  for (const std::string& name : overlays()) {
    yaml::Node c = container(name);
    int listen = flag_port(c, "listen"), metrics = flag_port(c, "metrics-listen");
    EXPECT_EQ(container_port(c, "https"), listen);
    EXPECT_EQ(container_port(c, "metrics"), metrics);
    EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].scalar(), "/readyz");
    EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].scalar(), "/healthz");
    for (const char* probe : {"readinessProbe", "livenessProbe"}) {
      EXPECT_EQ(c[probe]["httpGet"]["port"].scalar(), "metrics") << probe;
      EXPECT_FALSE(c[probe]["httpGet"]["scheme"]) << "the metrics listener is plain HTTP";
    }
    yaml::Node service = find_object(overlay(name), "Service", "releasegate");
    std::map<std::string, yaml::Node> ports;
    for (yaml::Node p : service["spec"]["ports"].items()) ports[p["name"].scalar()] = p;
    ASSERT_TRUE(ports.count("https") && ports.count("metrics"));
    EXPECT_EQ(as_int(ports["https"]["port"]), 443);
    EXPECT_EQ(container_port(c, ports["https"]["targetPort"].scalar()), listen);
    EXPECT_EQ(container_port(c, ports["metrics"]["targetPort"].scalar()), metrics);
    yaml::Node pod_labels = deployment(name)["spec"]["template"]["metadata"]["labels"];
    for (yaml::Node::Entry label : (service["spec"]["selector"]).entries()) {
      EXPECT_EQ(pod_labels[label.key.scalar()].scalar(), label.value.scalar());
    }
  }
}

TEST_F(Manifests, PreStopAndShutdownGraceFitInTheTerminationGracePeriod) {
  yaml::Node pod = deployment("overlays/cert-manager")["spec"]["template"]["spec"];
  yaml::Node c = container("overlays/cert-manager");
  int pre_stop = as_int(c["lifecycle"]["preStop"]["sleep"]["seconds"], 0);
  std::string grace = flag_value(c, "shutdown-grace");
  ASSERT_TRUE(grace.ends_with("s") && !grace.ends_with("ms")) << grace;
  int shutdown = std::stoi(grace);
  EXPECT_GE(pre_stop, 3) << "endpoints need a few seconds to drop the pod";
  EXPECT_GT(as_int(pod["terminationGracePeriodSeconds"]), pre_stop + shutdown);
}

// (group, resource) -> verbs; a rule limited to names counts as "resource/name".
using Grants = std::map<std::pair<std::string, std::string>, std::set<std::string>>;

void add_grants(const yaml::Node& role, Grants& into) {
  for (yaml::Node rule : (role["rules"]).items()) {
    Strings names = rule["resourceNames"] ? strings(rule["resourceNames"]) : Strings{""};
    for (const std::string& group : strings(rule["apiGroups"])) {
      for (const std::string& resource : strings(rule["resources"])) {
        for (const std::string& name : names) {
          for (const std::string& verb : strings(rule["verbs"])) {
            into[{group, name.empty() ? resource : resource + "/" + name}].insert(verb);
          }
        }
      }
    }
  }
}

// The roles bound to releasegate's ServiceAccount: by kind and name.
std::map<std::string, yaml::Node> bound_roles(const std::vector<yaml::Node>& objects) {
  std::map<std::string, yaml::Node> out;
  for (yaml::Node o : objects) {
    std::string kind = o["kind"].scalar();
    if (kind != "RoleBinding" && kind != "ClusterRoleBinding") continue;
    bool ours = false;
    for (yaml::Node subject : (o["subjects"]).items()) {
      ours = ours || (subject["kind"].scalar() == "ServiceAccount" && subject["name"].scalar() == "releasegate" &&
                      subject["namespace"].scalar() == "releasegate-system");
    }
    if (!ours) continue;
    yaml::Node role = find_object(objects, o["roleRef"]["kind"].scalar(), o["roleRef"]["name"].scalar());
    EXPECT_TRUE(role) << o["metadata"]["name"].scalar() << " binds a role that is not installed";
    if (role) out[kind + "/" + o["metadata"]["name"].scalar()] = role;
  }
  return out;
}

// RBAC grants what the API mode needs and nothing more: the rules
// ConfigMaps of its own namespace and its evidence ConfigMap; read-only
// access to exactly the governed kinds (core/kinds.h), cluster-wide, for the
// audit and the evidence observer; and the policy reports.
TEST_F(Manifests, RbacGrantsExactlyWhatTheRulesAndTheAuditNeed) {
  Grants audited;
  for (const KindInfo& kind : kKinds) {
    if (is_governed(kind.kind_class)) audited[{std::string(kind.group), std::string(kind.resource)}] = {"get", "list", "watch"};
  }
  const Grants reports = {{{"wgpolicyk8s.io", "policyreports"}, {"create", "delete", "get", "list", "patch"}},
                          {{"wgpolicyk8s.io", "clusterpolicyreports"}, {"create", "delete", "get", "list", "patch"}}};
  for (const std::string& name : overlays()) {
    Grants namespaced, cluster;
    for (const auto& [binding, role] : bound_roles(overlay(name))) {
      if (binding.starts_with("RoleBinding/")) {
        EXPECT_EQ(role["metadata"]["namespace"].scalar(), "releasegate-system");
        add_grants(role, namespaced);
      } else {
        add_grants(role, cluster);
      }
    }
    // The rules read; the shipped evidence ConfigMap and Lease read and
    // written, never created: no right to create a ConfigMap, which could
    // be a rules ConfigMap.
    EXPECT_EQ(namespaced, (Grants{{{"", "configmaps"}, {"get", "list", "watch"}},
                                  {{"", "configmaps/releasegate-evidence"}, {"get", "patch"}},
                                  {{"coordination.k8s.io", "leases/releasegate"}, {"get", "update"}}}))
        << name;
    yaml::Node lease = find_object(overlay(name), "Lease", "releasegate");
    EXPECT_EQ(lease["metadata"]["namespace"].scalar(), "releasegate-system") << name << ": the Lease is shipped";
    yaml::Node evidence = find_object(overlay(name), "ConfigMap", "releasegate-evidence");
    ASSERT_TRUE(evidence) << name << ": the evidence ConfigMap is shipped";
    EXPECT_EQ(evidence["metadata"]["namespace"].scalar(), "releasegate-system") << name;
    EXPECT_FALSE(evidence["data"]) << name << ": releasegate owns its data; a GitOps apply must not reset it";
    EXPECT_FALSE(evidence["metadata"]["labels"]["releasegate.io/rules"]) << name;
    Grants expected = audited;
    expected.insert(reports.begin(), reports.end());
    EXPECT_EQ(cluster, expected) << name << ": the audit reads the governed kinds and writes reports, nothing else";
    yaml::Node pod = deployment(name)["spec"]["template"]["spec"];
    EXPECT_EQ(pod["serviceAccountName"].scalar(), "releasegate");
    EXPECT_EQ(pod["automountServiceAccountToken"].scalar(), "true") << "the API client reads the pod's token";
  }
}

TEST_F(Manifests, DisruptionBudgetKeepsAReplicaOfTheDeployment) {
  for (const std::string& name : overlays()) {
    yaml::Node pdb = find_object(overlay(name), "PodDisruptionBudget", "releasegate");
    ASSERT_TRUE(pdb);
    EXPECT_GE(as_int(pdb["spec"]["minAvailable"], 0), 1);
    EXPECT_LT(as_int(pdb["spec"]["minAvailable"], 0), as_int(deployment(name)["spec"]["replicas"]));
    yaml::Node pod_labels = deployment(name)["spec"]["template"]["metadata"]["labels"];
    for (yaml::Node::Entry label : (pdb["spec"]["selector"]["matchLabels"]).entries()) {
      EXPECT_EQ(pod_labels[label.key.scalar()].scalar(), label.value.scalar());
    }
  }
}

// The rules ConfigMaps pass lint with the real binary (written out as
// kubelet would, with its `..data`). With rules from the API (the default)
// the Deployment names none of them, so adding a team's needs no change to
// it; with rules from volumes every one is mounted in its own directory
// under --rules, named after it.
TEST_F(Manifests, RulesConfigMapsPassLintAndAreReadAsTheDeploymentSays) {
  for (const std::string& name : overlays()) {
    Strings labelled, mounted;
    TempDir rules("releasegate-mounted-rules");
    for (yaml::Node o : overlay(name)) {
      if (o["kind"].scalar() != "ConfigMap") continue;
      if (label(o, "releasegate.io/rules") != "true") continue;
      EXPECT_EQ(o["metadata"]["namespace"].scalar(), "releasegate-system");
      const std::string& config_map = o["metadata"]["name"].scalar();
      labelled.insert(config_map);
      fs::path volume = rules.path / config_map;
      fs::create_directories(volume / "..data");
      for (yaml::Node::Entry entry : (o["data"]).entries()) std::ofstream(volume / entry.key.scalar()) << entry.value.scalar();
    }
    EXPECT_FALSE(labelled.empty());
    CommandResult lint = run_command({RELEASEGATE_BINARY, "lint", "--rules", rules.path.string()});
    EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;

    std::map<std::string, std::string> volume_config_map;  // volume name -> ConfigMap
    for (yaml::Node v : (deployment(name)["spec"]["template"]["spec"]["volumes"]).items()) {
      if (v["configMap"]) volume_config_map[v["name"].scalar()] = v["configMap"]["name"].scalar();
    }
    yaml::Node c = container(name);
    Strings args = strings(c["args"]);
    if (name != "overlays/rules-from-volumes") {
      EXPECT_TRUE(args.contains("--rules-from-api")) << name;
      EXPECT_EQ(flag_value(c, "rules"), "") << name;
      EXPECT_TRUE(volume_config_map.empty()) << name << ": no rules ConfigMap is named in the Deployment";
      continue;
    }
    EXPECT_FALSE(args.contains("--rules-from-api"));
    std::string rules_flag = flag_value(c, "rules");
    for (yaml::Node m : (c["volumeMounts"]).items()) {
      auto cm = volume_config_map.find(m["name"].scalar());
      if (cm == volume_config_map.end()) continue;
      EXPECT_EQ(m["mountPath"].scalar(), rules_flag + "/" + cm->second) << name;
      mounted.insert(cm->second);
    }
    EXPECT_EQ(labelled, mounted) << name;
  }
}

TEST_F(Manifests, CertManagerIssuesTheMountedSecretAndInjectsItsCa) {
  const auto& objects = overlay("overlays/cert-manager");
  yaml::Node serving = find_object(objects, "Certificate", "releasegate-serving");
  yaml::Node ca = find_object(objects, "Certificate", "releasegate-ca");
  ASSERT_TRUE(serving && ca);
  for (const char* kind : {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}) {
    yaml::Node config = find_object(objects, kind, "releasegate");
    EXPECT_EQ(config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].scalar(),
              "releasegate-system/releasegate-serving")
        << kind;
  }
  EXPECT_EQ(serving["metadata"]["namespace"].scalar(), "releasegate-system");
  std::string secret;
  for (yaml::Node v : (deployment("overlays/cert-manager")["spec"]["template"]["spec"]["volumes"]).items()) {
    if (v["name"].scalar() == "tls") secret = v["secret"]["secretName"].scalar();
  }
  EXPECT_EQ(serving["spec"]["secretName"].scalar(), secret);
  EXPECT_TRUE(strings(serving["spec"]["dnsNames"]).count("releasegate.releasegate-system.svc"));
  EXPECT_EQ(serving["spec"]["privateKey"]["algorithm"].scalar(), "ECDSA");
  EXPECT_EQ(as_int(serving["spec"]["privateKey"]["size"]), 256);
  EXPECT_EQ(ca["spec"]["isCA"].scalar(), "true");
  auto hours = [](const yaml::Node& duration) { return std::stoi(duration.scalar()); };
  EXPECT_GE(hours(ca["spec"]["duration"]), 10 * hours(serving["spec"]["duration"]))
      << "the CA must outlive its serving certificates by far";
  EXPECT_LT(hours(serving["spec"]["renewBefore"]), hours(serving["spec"]["duration"]));
}

TEST_F(Manifests, SelfManagedCarriesTheSecretAndTheCaBundleFromCertsSh) {
  const auto& objects = overlay("overlays/self-managed");
  yaml::Node secret = find_object(objects, "Secret", "releasegate-tls");
  ASSERT_TRUE(secret) << "a fixed name, so that renewals update the mounted Secret in place";
  EXPECT_EQ(secret["type"].scalar(), "kubernetes.io/tls");
  EXPECT_TRUE(secret["data"]["tls.crt"] && secret["data"]["tls.key"]);
  CommandResult bundle = run_command({"base64", "-w0", (tls_dir / "ca-bundle.crt").string()});
  ASSERT_EQ(bundle.exit_code, 0);
  int entries = 0;
  for (const char* kind : {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}) {
    for (yaml::Node w : (find_object(objects, kind, "releasegate")["webhooks"]).items()) {
      ++entries;
      EXPECT_EQ(w["clientConfig"]["caBundle"].scalar(), bundle.out) << w["name"].scalar();
    }
  }
  EXPECT_EQ(entries, 4);
}

TEST_F(Manifests, InstallStepOneSelectorLeavesOutExactlyTheWebhookConfigurations) {
  // deploy/README.md: kubectl apply -l 'app.kubernetes.io/component!=webhook-configuration'
  for (const std::string& name : overlays()) {
    Strings left_out;
    for (yaml::Node o : overlay(name)) {
      if (label(o, "app.kubernetes.io/component") == "webhook-configuration") {
        left_out.insert(o["kind"].scalar());
      }
    }
    EXPECT_EQ(left_out, (Strings{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"})) << name;
  }
  std::string readme = read_file(source_dir() / "deploy/README.md");
  EXPECT_NE(readme.find("-l 'app.kubernetes.io/component!=webhook-configuration'"), std::string::npos);
}

TEST_F(Manifests, MonitoringRendersTheRulesMonitorAndDashboard) {
  const auto& objects = rendered.at("monitoring");
  yaml::Node monitor = find_object(objects, "ServiceMonitor", "releasegate");
  ASSERT_TRUE(monitor);
  EXPECT_EQ(monitor["spec"]["endpoints"][0]["port"].scalar(), "metrics");
  EXPECT_TRUE(find_object(objects, "PrometheusRule", "releasegate"));
  yaml::Node dashboard = find_object(objects, "ConfigMap", "releasegate-dashboard");
  ASSERT_TRUE(dashboard);
  EXPECT_EQ(label(dashboard, "grafana_dashboard"), "1");
  auto json = nlohmann::json::parse(dashboard["data"]["releasegate-dashboard.json"].scalar(), nullptr, false);
  EXPECT_FALSE(json.is_discarded());
  EXPECT_FALSE(json["panels"].empty());
}

}  // namespace
}  // namespace releasegate::testing
