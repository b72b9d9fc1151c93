// Helm chart versions are SemVer 2. A promoted version is an exact one; a
// range (`*`, `6.x`, `>=1.0.0`, `^6.5`) lets Flux pick any matching release,
// which no one promoted.
#pragma once

#include <string_view>

namespace releasegate {

// MAJOR.MINOR.PATCH with optional -prerelease and +build (a leading `v` is
// accepted, as Helm does).
bool is_exact_chart_version(std::string_view version);

}  // namespace releasegate
