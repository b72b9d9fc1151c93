// The engine suites' fixture: a request built as the apiserver sends it
// (through the real AdmissionReview parser), decided against the test rules.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "admission/admission_review.h"
#include "admission/verdict.h"
#include "engine/engine.h"
#include "tests/support/test_support.h"

namespace releasegate {

using testing::ReviewSpec;
using admission::Outcome;

struct Evaluated {
  Decision decision;
  Outcome outcome;
  bool has(Rule rule) const {
    return std::any_of(decision.violations.begin(), decision.violations.end(),
                       [&](const Violation& v) { return v.rule == rule; });
  }
  std::string message(Rule rule) const {
    for (const auto& v : decision.violations) {
      if (v.rule == rule) return v.message;
    }
    return {};
  }
  // Every violation, "rule: message" a line, for failure messages.
  std::string messages() const {
    std::string out;
    for (const auto& v : decision.violations) out += std::string(to_string(v.rule)) + ": " + v.message + "\n";
    return out;
  }
};

// Goes through the real AdmissionReview parser, as the webhook does.
inline Evaluated evaluate(const ReviewSpec& spec, const RuleSet& rules) {
  admission::ReviewParseResult parsed = admission::parse_admission_review(testing::review(spec));
  EXPECT_TRUE(parsed.review) << parsed.error;
  Decision decision = engine::evaluate(rules, parsed.review->request);
  Outcome outcome = admission::decide(decision);
  return {std::move(decision), outcome};
}

class Engine : public ::testing::Test {
 protected:
  std::shared_ptr<const RuleSet> rules = testing::test_rules();
  Evaluated run(const ReviewSpec& spec) { return evaluate(spec, *rules); }
  static ReviewSpec flux_deployment(const std::string& ns, const std::string& image) {
    ReviewSpec spec;
    spec.namespace_ = ns;
    spec.object = testing::deployment(ns, image);
    return spec;
  }
};

// A HelmRelease applied by Flux for the Kustomization flux-system/apps.
inline nlohmann::json helm_release(const nlohmann::json& chart_spec, const std::string& ns = "flux-system",
                            const std::string& target = "") {
  nlohmann::json hr{{"apiVersion", "helm.toolkit.fluxcd.io/v2"},
                    {"kind", "HelmRelease"},
                    {"metadata",
                     {{"name", "podinfo"},
                      {"namespace", ns},
                      {"labels",
                       {{"kustomize.toolkit.fluxcd.io/name", "apps"},
                        {"kustomize.toolkit.fluxcd.io/namespace", "flux-system"}}}}},
                    {"spec", {{"interval", "10m"}, {"chart", {{"spec", chart_spec}}}}}};
  if (!target.empty()) hr["spec"]["targetNamespace"] = target;
  return hr;
}

// HelmReleases through the real parser.
class Charts : public Engine {
 protected:
  Evaluated release(const nlohmann::json& object, const std::string& ns) {
    ReviewSpec spec;
    spec.group = "helm.toolkit.fluxcd.io";
    spec.version = "v2";
    spec.kind = "HelmRelease";
    spec.namespace_ = ns;
    spec.object = object;
    return run(spec);
  }
  static nlohmann::json chart(const std::string& version) {
    nlohmann::json c{{"chart", "podinfo"}, {"sourceRef", {{"kind", "HelmRepository"}, {"name", "podinfo"}}}};
    if (!version.empty()) c["version"] = version;
    return c;
  }
};

}  // namespace releasegate
