// A kubeconfig file pointing at a FakeApiServer (its CA inline, its token),
// for tests that run commands the way an operator runs them locally.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/fake_api_server.h"

namespace releasegate::testing {

inline std::string base64(const std::string& in) {
  static constexpr const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kTable[n & 63] : '=';
  }
  return out;
}

// Writes it; its context's namespace is `namespace_`, its user's token `token`.
inline void write_kubeconfig(const FakeApiServer& api, const std::filesystem::path& path,
                             const std::string& namespace_ = "releasegate-system",
                             const std::string& token = FakeApiServer::kToken) {
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                         "clusters:\n- name: fake\n  cluster:\n    server: https://127.0.0.1:"
                      << api.port() << "\n    certificate-authority-data: " << base64(api.ca_pem())
                      << "\nusers:\n- name: releasegate\n  user:\n    token: " << token
                      << "\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: releasegate\n"
                         "    namespace: "
                      << namespace_ << "\n";
}

}  // namespace releasegate::testing
