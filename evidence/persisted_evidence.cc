#include "evidence/persisted_evidence.h"

#include <nlohmann/json.hpp>

#include "evidence/evidence_document.h"

namespace releasegate::evidence {

PersistedEvidence read_persisted(kube::Client& client, const std::string& namespace_, const std::string& name,
                                 const EvidenceTrust& trust) {
  PersistedEvidence persisted;
  std::string where = "ConfigMap " + namespace_ + "/" + name;
  kube::Response response = client.get(kube::resource_path("", "v1", "configmaps", namespace_, name));
  if (response.status == 404) {
    persisted.read = true;
    return persisted;
  }
  if (!response.ok()) {
    persisted.error = "reading " + where + ": " + kube::error_of(response).describe();
    return persisted;
  }
  persisted.read = true;
  auto object = nlohmann::json::parse(response.body, nullptr, false);
  if (object.is_object() && object.contains("data") && object["data"].is_object()) {
    persisted.text = object["data"].value(std::string(kEvidenceKey), "");
  }
  std::vector<policy::LoadError> errors;
  persisted.records = read_evidence(persisted.text, where, trust, errors);
  if (!errors.empty()) persisted.error = "reading persisted evidence: " + errors.front().to_string();
  return persisted;
}

std::string write_persisted(kube::Client& client, const std::string& namespace_, const std::string& name,
                            const std::string& text) {
  nlohmann::json object = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata",
       {{"name", name},
        {"namespace", namespace_},
        {"labels", {{"app.kubernetes.io/name", "releasegate"}, {"app.kubernetes.io/component", "evidence"}}}}},
      {"data", {{std::string(kEvidenceKey), text}}},
  };
  kube::Response response =
      client.apply(kube::resource_path("", "v1", "configmaps", namespace_, name), object, "releasegate");
  if (response.ok()) return {};
  std::string why = "writing ConfigMap " + namespace_ + "/" + name + ": " + kube::error_of(response).describe();
  // Refused as a create: releasegate may patch this one ConfigMap, never
  // create one (deploy/base/rbac.yaml), so it must have been shipped.
  if (response.status == 403 || response.status == 404) {
    why += " (it is created at install, deploy/base/evidence-configmap.yaml, and releasegate only patches it: "
           "is it there, and is the Role releasegate-evidence-writer bound?)";
  }
  return why;
}

}  // namespace releasegate::evidence
