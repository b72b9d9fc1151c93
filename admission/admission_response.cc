#include "admission/admission_response.h"

#include "core/display_text.h"
#include "core/json_writer.h"

namespace releasegate::admission {
namespace {

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

// auditAnnotations, keys sorted: what the apiserver's audit log records.
void write_audit_annotations(JsonWriter& out, const Decision& decision, Outcome outcome) {
  std::string rules_hit;
  for (const Violation& v : decision.violations) {
    rules_hit += (rules_hit.empty() ? "" : ",") + std::string(to_string(v.rule)) + "=" + std::string(to_string(v.mode));
  }
  if (decision.violations_left_out) rules_hit += ",+" + std::to_string(decision.violations_left_out) + " more";
  out.key("auditAnnotations").begin_object();
  if (decision.allowed_drift) out.field("allowedDrift", "true");
  if (decision.break_glass) out.field("breakGlass", *decision.break_glass);
  out.field("decision", to_string(outcome));
  if (!decision.environment.empty()) out.field("environment", decision.environment);
  out.field("violations", rules_hit.empty() ? std::string("none") : rules_hit).end_object();
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

// The writer's output equals the tree's dump (keys in the same, sorted,
// order), without building the tree: this runs for every request.
std::string render_validation(const AdmissionReview& review, const Decision& decision, Outcome outcome) {
  std::vector<std::string> warnings;
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
  JsonWriter out;
  out.begin_object().field("apiVersion", kAdmissionApiVersion).field("kind", "AdmissionReview").key("response");
  out.begin_object().field("allowed", outcome != Outcome::Deny);
  if (outcome != Outcome::NotGoverned) write_audit_annotations(out, decision, outcome);
  if (outcome == Outcome::Deny) {
    out.key("status").begin_object().field("code", 403).field("message", denial_message(review, decision));
    out.field("reason", "Forbidden").end_object();
  }
  out.field("uid", review.uid);
  if (!warnings.empty()) {
    out.key("warnings").begin_array();
    for (const std::string& w : warnings) out.string(w);
    out.end_array();
  }
  return out.end_object().end_object().take();
}

std::string json_patch(const std::vector<engine::ImagePin>& pins) {
  JsonWriter patch;
  patch.begin_array();
  for (const engine::ImagePin& pin : pins) {
    patch.begin_object().field("op", "replace").field("path", pin.path).field("value", pin.image).end_object();
  }
  return patch.end_array().take();
}

std::string render_mutation(const AdmissionReview& review, const std::vector<engine::ImagePin>& pins) {
  JsonWriter out;
  out.begin_object().field("apiVersion", kAdmissionApiVersion).field("kind", "AdmissionReview").key("response");
  out.begin_object().field("allowed", true);
  if (!pins.empty()) out.field("patch", base64(json_patch(pins))).field("patchType", "JSONPatch");
  return out.field("uid", review.uid).end_object().end_object().take();
}

std::string render_status(int code, std::string_view reason, std::string_view message) {
  JsonWriter out;
  out.begin_object().field("apiVersion", "v1").field("code", code).field("kind", "Status");
  return out.field("message", message).field("reason", reason).field("status", "Failure").end_object().take();
}

}  // namespace releasegate::admission
