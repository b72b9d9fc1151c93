// A rules ConfigMap edit at admission: the input is one key's YAML in a
// ConfigMap UPDATE, validated against the example rules in force.
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "admission/admission_review.h"
#include "runtime/rules_edit.h"
#include "tests/fuzz/fuzz_support.h"

using namespace releasegate;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json config_map{{"apiVersion", "v1"},
                  {"kind", "ConfigMap"},
                  {"metadata",
                   {{"name", "podinfo-promotion"},
                    {"namespace", "releasegate-system"},
                    // As Flux applies it, so that the edit is compiled.
                    {"labels",
                     {{"releasegate.io/rules", "true"},
                      {"kustomize.toolkit.fluxcd.io/name", "apps"},
                      {"kustomize.toolkit.fluxcd.io/namespace", "flux-system"}}}}},
                  {"data", {{"podinfo-promotion.yaml", std::string(fuzz::as_text(data, size))}}}};
  json review{{"apiVersion", "admission.k8s.io/v1"},
              {"kind", "AdmissionReview"},
              {"request",
               {{"uid", "fuzz"},
                {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}}},
                {"operation", "UPDATE"},
                {"namespace", "releasegate-system"},
                {"name", "podinfo-promotion"},
                {"userInfo", {{"username", "system:serviceaccount:flux-system:kustomize-controller"}}},
                {"object", config_map},
                {"oldObject", config_map}}}};
  // Bytes that are not UTF-8 are replaced, as the apiserver only sends UTF-8.
  admission::ReviewParseResult parsed =
      admission::parse_admission_review(review.dump(-1, ' ', false, json::error_handler_t::replace));
  if (!parsed.review) std::abort();  // the wrapper is always a valid review
  const AdmissionRequest& request = parsed.review->request;
  if (!runtime::is_rules_config_map_edit(request)) std::abort();
  Decision decision = runtime::validate_rules_edit(*fuzz::example_store().snapshot(), request);
  for (const Violation& violation : decision.violations) {
    if (violation.message.empty()) std::abort();  // a refusal says why
  }
  return 0;
}
