#include "core/image_reference.h"

namespace releasegate {
namespace {

constexpr std::size_t kMaxNameLength = 255;  // distribution's NameTotalLengthMax
constexpr std::size_t kMaxTagLength = 128;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool valid_path_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (is_lower_alnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !is_lower_alnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

// domain-component := [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?, joined by '.',
// optionally followed by :port; or a bracketed IPv6 address.
bool valid_domain(std::string_view s) {
  if (s.empty()) return false;
  std::string_view host = s;
  if (auto colon = s.rfind(':'); colon != std::string_view::npos && s.front() != '[') {
    std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
    host = s.substr(0, colon);
  }
  if (host.empty()) return false;  // ":8/acme/app": a port without a host
  if (host.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() < 2 ||
                          rest.substr(1).find_first_not_of("0123456789") != std::string_view::npos)) {
      return false;
    }
    std::string_view ip = s.substr(1, close - 1);
    return !ip.empty() && ip.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  }
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    std::string_view component = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (component.empty() || !is_alnum(component.front()) || !is_alnum(component.back())) return false;
    for (char c : component) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool valid_tag(std::string_view s) {
  if (s.empty() || s.size() > kMaxTagLength || !is_word(s.front())) return false;
  for (char c : s) {
    if (!is_word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// digest := algorithm ":" encoded. sha256 and sha512 are checked for length
// and lowercase hex; other registered algorithms are rejected because no
// registry serves them.
std::string valid_digest_error(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return "digest must be algorithm:hex";
  std::string_view algorithm = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  std::size_t expected = algorithm == "sha256" ? 64 : algorithm == "sha512" ? 128 : 0;
  if (expected == 0) return "digest algorithm must be sha256 or sha512";
  if (hex.size() != expected) return "digest " + std::string(algorithm) + " must have " + std::to_string(expected) + " hex characters";
  for (char c : hex) {
    if (!is_hex(c)) return "digest must be lowercase hex";
  }
  return {};
}

ImageParseResult fail(std::string message) { return {std::nullopt, std::move(message)}; }

// Splits name into registry and path with Docker's rule: the first component
// is a registry only if it contains '.' or ':', is "localhost", or has an
// uppercase letter (which a path component never may).
ImageParseResult parse_name(std::string_view name) {
  if (name.empty()) return fail("empty image name");
  ImageReference ref;
  std::string_view path = name;
  auto slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = name.substr(0, slash);
    bool has_upper = first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos;
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || has_upper) {
      if (!valid_domain(first)) return fail("invalid registry host \"" + std::string(first) + "\"");
      ref.registry = std::string(first);
      path = name.substr(slash + 1);
    }
  }
  if (ref.registry.empty() || ref.registry == "index.docker.io") ref.registry = "docker.io";
  if (path.empty()) return fail("missing repository path");
  for (std::size_t start = 0;;) {
    auto next = path.find('/', start);
    std::string_view component = path.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
    if (!valid_path_component(component)) {
      if (component.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
        return fail("repository name must be lowercase");
      }
      return fail("invalid repository path component \"" + std::string(component) + "\"");
    }
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  ref.path = std::string(path);
  if (ref.registry == "docker.io" && ref.path.find('/') == std::string::npos) ref.path = "library/" + ref.path;
  // The limit applies to the normalized name, as in distribution's
  // ParseNormalizedNamed: "nginx" counts as "docker.io/library/nginx".
  if (ref.repository().size() > kMaxNameLength) return fail("image name longer than 255 characters (normalized)");
  return {std::move(ref), {}};
}

}  // namespace

std::string ImageReference::repository() const { return registry + "/" + path; }

std::string_view ImageReference::effective_tag() const {
  if (!tag.empty()) return tag;
  return digest.empty() ? std::string_view("latest") : std::string_view();
}

std::string ImageReference::normalized() const {
  std::string out = repository();
  std::string_view t = effective_tag();
  if (!t.empty()) out.append(":").append(t);
  if (!digest.empty()) out.append("@").append(digest);
  return out;
}

ImageParseResult parse_image_reference(std::string_view text) {
  if (text.empty()) return fail("empty image reference");
  std::string_view digest;
  if (auto at = text.find('@'); at != std::string_view::npos) {
    digest = text.substr(at + 1);
    text = text.substr(0, at);
    if (auto error = valid_digest_error(digest); !error.empty()) return fail(std::move(error));
  }
  // A ':' after the last '/' separates the tag; one before it belongs to
  // the registry's port ("localhost:5000/app").
  std::string_view tag;
  auto last_slash = text.rfind('/');
  auto colon = text.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    tag = text.substr(colon + 1);
    text = text.substr(0, colon);
    if (!valid_tag(tag)) return fail("invalid tag \"" + std::string(tag) + "\"");
  }
  ImageParseResult result = parse_name(text);
  if (!result.reference) return result;
  result.reference->tag = std::string(tag);
  result.reference->digest = std::string(digest);
  return result;
}

ImageParseResult parse_repository(std::string_view text) {
  if (text.find('@') != std::string_view::npos) return fail("a repository has no digest");
  auto last_slash = text.rfind('/');
  auto colon = text.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    return fail("a repository has no tag");
  }
  return parse_name(text);
}

}  // namespace releasegate
