// Where the Kubernetes API is and how to authenticate to it: in a pod
// (the ServiceAccount's projected files and the `kubernetes` Service's
// environment variables, as client-go's InClusterConfig) or from a
// kubeconfig for local runs. Nothing here talks to the API.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace releasegate::kube {

struct ClientConfig {
  std::string host;  // an IP, a name, or a bracketed IPv6 address
  int port = 443;
  // The cluster CA bundle (PEM); empty: the system's trust store.
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;  // kubeconfig's insecure-skip-tls-verify: logged loudly
  // Client certificate authentication (PEM).
  std::string client_cert_pem;
  std::string client_key_pem;
  // Bearer token authentication: a fixed token, or a file re-read about
  // once a minute and after every 401 (bound tokens expire and kubelet
  // rewrites the file).
  std::string token;
  std::string token_file;
  // The namespace of the pod (or of the kubeconfig context): where
  // releasegate looks for its rules by default.
  std::string default_namespace;
  std::string user_agent = "releasegate/0.1";
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};  // a request other than a watch, attempt by attempt
  // Client-side rate limit (token bucket), as client-go's QPS and Burst.
  double qps = 20;
  int burst = 40;
  // Where this came from, for messages: "in-cluster", "kubeconfig ~/.kube/config, context kind-dev".
  std::string origin;

  // "https://10.0.0.1:443 (in-cluster)"
  std::string describe() const;
};

// The pod's own configuration: KUBERNETES_SERVICE_HOST/PORT and the files
// under `directory`. Nullopt with *error when not in a pod or a file is
// missing.
std::optional<ClientConfig> in_cluster_config(
    std::string* error, const std::string& directory = "/var/run/secrets/kubernetes.io/serviceaccount");

// A kubeconfig file: its `context` (empty: current-context), that
// context's cluster (server, certificate-authority[-data],
// insecure-skip-tls-verify) and user (client-certificate[-data],
// client-key[-data], token, tokenFile). Relative file names are relative to
// the kubeconfig's directory. Exec and auth-provider plugins are refused
// with a message saying so.
std::optional<ClientConfig> kubeconfig_config(const std::string& path, const std::string& context,
                                              std::string* error);

}  // namespace releasegate::kube
