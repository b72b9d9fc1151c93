#include "admission/admission_response.h"

#include <nlohmann/json.hpp>

#include "core/display_text.h"

namespace releasegate::admission {
namespace {

using nlohmann::json;

// Request strings reach responses (names, images, users): never let text
// that is not UTF-8 make serialisation throw.
std::string serialize(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json review_envelope(json response) {
  return json{{"apiVersion", kAdmissionApiVersion}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

}  // namespace

std::string denial_message(const AdmissionReview& review, const Decision& decision) {
  // The object's name and namespace come from the request: shown escaped.
  std::string message = "releasegate denied " + displayable(describe(review.request), kMaxMessageLength);
  if (!decision.environment.empty()) message += " in environment " + decision.environment;
  message += ":";
  for (const Violation& v : decision.violations) {
    if (v.mode != Mode::Enforce) continue;
    message += "\n[" + std::string(to_string(v.rule)) + "] " + v.message;
  }
  if (decision.violations_left_out) {
    message += "\nand " + std::to_string(decision.violations_left_out) +
               " more violations, not listed";
  }
  return message;
}

std::string render_validation(const AdmissionReview& review, const Decision& decision, Outcome outcome) {
  json response{{"uid", review.uid}, {"allowed", outcome != Outcome::Deny}};
  if (outcome == Outcome::Deny) {
    response["status"] = {{"code", 403}, {"reason", "Forbidden"}, {"message", denial_message(review, decision)}};
  }
  json warnings = json::array();
  if (decision.break_glass) {
    warnings.push_back(displayable("releasegate: break-glass change allowed (" + *decision.break_glass +
                                     "); it is recorded: bring Git in line before the next reconcile",
                                 kMaxWarningLength));
  }
  std::size_t warn_count = 0;
  for (const Violation& v : decision.violations) {
    if (v.mode != Mode::Warn) continue;
    if (++warn_count <= kMaxWarnings) {
      warnings.push_back(displayable("releasegate [" + std::string(to_string(v.rule)) + "] " + v.message,
                                   kMaxWarningLength));
    }
  }
  if (warn_count > kMaxWarnings) {
    warnings.back() = "releasegate: " + std::to_string(warn_count - kMaxWarnings + 1) + " more warnings";
  }
  if (!warnings.empty()) response["warnings"] = std::move(warnings);
  if (outcome != Outcome::NotGoverned) {
    std::string rules_hit;
    for (const Violation& v : decision.violations) {
      rules_hit += (rules_hit.empty() ? "" : ",") + std::string(to_string(v.rule)) + "=" +
                   std::string(to_string(v.mode));
    }
    if (decision.violations_left_out) rules_hit += ",+" + std::to_string(decision.violations_left_out) + " more";
    response["auditAnnotations"] = {{"decision", to_string(outcome)},
                                    {"violations", rules_hit.empty() ? "none" : rules_hit}};
    if (!decision.environment.empty()) response["auditAnnotations"]["environment"] = decision.environment;
    if (decision.break_glass) response["auditAnnotations"]["breakGlass"] = *decision.break_glass;
    if (decision.allowed_drift) response["auditAnnotations"]["allowedDrift"] = "true";
  }
  return serialize(review_envelope(std::move(response)));
}

std::string json_patch(const std::vector<engine::ImagePin>& pins) {
  json patch = json::array();
  for (const engine::ImagePin& pin : pins) {
    patch.push_back({{"op", "replace"}, {"path", pin.path}, {"value", pin.image}});
  }
  return serialize(patch);
}

std::string render_mutation(const AdmissionReview& review, const std::vector<engine::ImagePin>& pins) {
  json response{{"uid", review.uid}, {"allowed", true}};
  if (!pins.empty()) {
    response["patchType"] = "JSONPatch";
    response["patch"] = base64(json_patch(pins));
  }
  return serialize(review_envelope(std::move(response)));
}

std::string render_status(int code, std::string_view reason, std::string_view message) {
  return serialize(json{{"apiVersion", "v1"}, {"kind", "Status"},  {"status", "Failure"},
                        {"code", code},       {"reason", reason}, {"message", message}});
}

}  // namespace releasegate::admission
