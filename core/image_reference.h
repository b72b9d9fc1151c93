// Container image references, parsed and normalised the way container
// runtimes resolve them (the distribution/reference grammar with Docker's
// defaults).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace releasegate {

struct ImageReference {
  std::string registry;  // "docker.io", "ghcr.io", "localhost:5000"
  std::string path;      // "library/nginx", "acme/podinfo"
  std::string tag;       // empty when the reference has none
  std::string digest;    // "sha256:<64 hex>", empty when the reference has none

  // registry + "/" + path: the key Promotion records are indexed by.
  std::string repository() const;
  // The tag the runtime pulls: the explicit tag, or "latest" when the
  // reference has neither tag nor digest.
  std::string_view effective_tag() const;
  // Fully qualified form: repository[:tag][@digest], with ":latest" made
  // explicit when there is neither tag nor digest.
  std::string normalized() const;
};

struct ImageParseResult {
  std::optional<ImageReference> reference;
  std::string error;  // why the text is not a valid reference, when it is not
};

// Parses `nginx`, `docker.io/library/nginx:1.25`, `localhost:5000/app`,
// `host:5000/ns/app:1.0@sha256:...`, `repo@sha256:...`. Hand-written rather
// than a regex with captures: this runs for every container of every request.
ImageParseResult parse_image_reference(std::string_view text);

// Parses a bare repository (no tag, no digest), as written in rules, into its
// normalised `registry/path` form.
ImageParseResult parse_repository(std::string_view text);

}  // namespace releasegate
