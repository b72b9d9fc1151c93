#include "kube/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "policy/yaml_tree.h"

namespace releasegate::kube {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string trim(std::string text) {
  std::size_t end = text.find_last_not_of(" \t\r\n");
  text.erase(end == std::string::npos ? 0 : end + 1);
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : text.substr(begin);
}

// Standard base64, padding optional, whitespace ignored (kubeconfigs wrap
// long *-data values).
std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+') value = 62;
    else if (c == '/') value = 63;
    else if (c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

bool parse_port(std::string_view text, int* port) {
  if (text.empty() || text.size() > 5) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return false;
  *port = value;
  return true;
}

// "https://host[:port][/]" into host (bracketed when IPv6) and port.
bool parse_server(const std::string& server, ClientConfig* config, std::string* error) {
  constexpr std::string_view kScheme = "https://";
  if (server.rfind(kScheme, 0) != 0) {
    *error = "server " + server + " is not an https:// URL (only HTTPS is supported)";
    return false;
  }
  std::string_view rest = std::string_view(server).substr(kScheme.size());
  std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") {
      *error = "server " + server + " has a path; API paths under a prefix are not supported";
      return false;
    }
    rest = rest.substr(0, slash);
  }
  std::size_t colon = rest.rfind(':');
  std::size_t bracket = rest.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    if (!parse_port(rest.substr(colon + 1), &config->port)) {
      *error = "server " + server + " has an invalid port";
      return false;
    }
    rest = rest.substr(0, colon);
  } else {
    config->port = 443;
  }
  if (rest.empty() || (rest.front() == '[') != (rest.back() == ']')) {
    *error = "server " + server + " has an invalid host";
    return false;
  }
  config->host = std::string(rest);
  return true;
}

}  // namespace

std::string ClientConfig::describe() const {
  std::string text = "https://" + host + ":" + std::to_string(port);
  if (!origin.empty()) text += " (" + origin + ")";
  return text;
}

std::optional<ClientConfig> in_cluster_config(std::string* error, const std::string& directory) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    *error = "not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set";
    return std::nullopt;
  }
  ClientConfig config;
  config.host = host;
  if (config.host.find(':') != std::string::npos && config.host.front() != '[') config.host = "[" + config.host + "]";
  if (!parse_port(port, &config.port)) {
    *error = std::string("KUBERNETES_SERVICE_PORT is not a port: ") + port;
    return std::nullopt;
  }
  fs::path dir(directory);
  std::optional<std::string> token = slurp(dir / "token");
  std::optional<std::string> ca = slurp(dir / "ca.crt");
  std::optional<std::string> ns = slurp(dir / "namespace");
  for (const auto& [file, text] : {std::pair{"token", &token}, std::pair{"ca.crt", &ca}, std::pair{"namespace", &ns}}) {
    if (!*text) {
      *error = "cannot read " + (dir / file).string() + " (is a ServiceAccount token mounted?)";
      return std::nullopt;
    }
  }
  config.token = trim(*token);
  config.token_file = (dir / "token").string();
  config.ca_pem = *ca;
  config.default_namespace = trim(*ns);
  config.origin = "in-cluster";
  return config;
}

namespace {

// The entry of `list` (clusters, users, contexts) named `name`: its `field` map.
yaml::Node named(const yaml::Node& list, const std::string& name, const char* field) {
  yaml::Node found;
  for (yaml::Node item : list.items()) {
    if (item["name"].scalar() == name) found = item[field];  // the last wins, as kubectl
  }
  return found;
}

// A PEM from `<key>-data` (base64) or from the file `<key>` (relative to base).
bool read_pem(const yaml::Node& map, const std::string& key, const fs::path& base, std::string* pem,
              std::string* error) {
  if (yaml::Node data = map[key + "-data"]; data.is_scalar() && !data.scalar().empty()) {
    std::optional<std::string> decoded = base64_decode(data.scalar());
    if (!decoded) {
      *error = key + "-data is not base64";
      return false;
    }
    *pem = std::move(*decoded);
    return true;
  }
  if (yaml::Node file = map[key]; file.is_scalar() && !file.scalar().empty()) {
    fs::path path = fs::path(file.scalar()).is_absolute() ? fs::path(file.scalar()) : base / file.scalar();
    std::optional<std::string> text = slurp(path);
    if (!text) {
      *error = "cannot read " + key + " " + path.string();
      return false;
    }
    *pem = std::move(*text);
  }
  return true;
}

bool read_cluster(const yaml::Node& cluster, const fs::path& base, ClientConfig* config, std::string* error) {
  if (!parse_server(cluster["server"].scalar(), config, error)) return false;
  if (!read_pem(cluster, "certificate-authority", base, &config->ca_pem, error)) return false;
  const std::string& insecure = cluster["insecure-skip-tls-verify"].scalar();
  config->insecure_skip_tls_verify = insecure == "true" || insecure == "True" || insecure == "TRUE";
  return true;
}

bool read_user(const yaml::Node& user, const fs::path& base, ClientConfig* config, std::string* error) {
  if (user["exec"] || user["auth-provider"]) {
    *error = std::string("the user's ") + (user["exec"] ? "exec" : "auth-provider") +
             " credential plugin is not supported: use a token, tokenFile or client certificate";
    return false;
  }
  if (!read_pem(user, "client-certificate", base, &config->client_cert_pem, error)) return false;
  if (!read_pem(user, "client-key", base, &config->client_key_pem, error)) return false;
  if (config->client_cert_pem.empty() != config->client_key_pem.empty()) {
    *error = "the user has a client certificate without a key, or a key without a certificate";
    return false;
  }
  config->token = user["token"].scalar();
  if (const std::string& file = user["tokenFile"].scalar(); !file.empty()) {
    config->token_file = fs::path(file).is_absolute() ? file : (base / file).string();
    std::optional<std::string> token = slurp(config->token_file);
    if (!token) {
      *error = "cannot read tokenFile " + config->token_file;
      return false;
    }
    config->token = trim(*token);
  }
  return true;
}

}  // namespace

std::optional<ClientConfig> kubeconfig_config(const std::string& path, const std::string& context,
                                              std::string* error) {
  std::optional<std::string> text = slurp(path);
  if (!text) {
    *error = "cannot read kubeconfig " + path;
    return std::nullopt;
  }
  yaml::Tree::Parsed parsed = yaml::Tree::parse(*text);
  if (!parsed.errors.empty() || parsed.documents.empty() || !parsed.documents.front().is_map()) {
    *error = "kubeconfig " + path + " is not a YAML mapping" +
             (parsed.errors.empty() ? "" : ": " + parsed.errors.front().message);
    return std::nullopt;
  }
  yaml::Node root = parsed.documents.front();
  std::string name = context.empty() ? root["current-context"].scalar() : context;
  if (name.empty()) {
    *error = "kubeconfig " + path + " has no current-context: name a context";
    return std::nullopt;
  }
  yaml::Node ctx = named(root["contexts"], name, "context");
  if (!ctx.is_map()) {
    *error = "kubeconfig " + path + " has no context " + name;
    return std::nullopt;
  }
  ClientConfig config;
  fs::path base = fs::path(path).parent_path();
  yaml::Node cluster = named(root["clusters"], ctx["cluster"].scalar(), "cluster");
  yaml::Node user = named(root["users"], ctx["user"].scalar(), "user");
  std::string why;
  bool good = cluster.is_map() && read_cluster(cluster, base, &config, &why);
  if (!cluster.is_map()) why = "no cluster " + ctx["cluster"].scalar();
  if (good && user.is_map()) good = read_user(user, base, &config, &why);
  if (!good) {
    *error = "kubeconfig " + path + ", context " + name + ": " + why;
    return std::nullopt;
  }
  config.default_namespace = ctx["namespace"].scalar().empty() ? "default" : ctx["namespace"].scalar();
  config.origin = "kubeconfig " + path + ", context " + name;
  return config;
}

}  // namespace releasegate::kube
