// What an UPDATE changed: the JSON pointers where request.object differs
// from request.oldObject, for the allowed-drift rule. Fields the apiserver
// maintains itself (managedFields, resourceVersion, generation, status...)
// are not changes anyone made.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace releasegate::admission {

struct ObjectDiff {
  std::vector<std::string> paths;  // JSON pointers, RFC 6901 escaped
  bool truncated = false;          // more than the limit: treat as "changed a lot"
  bool failed = false;             // the review could not be read again
};

// Diffs request.oldObject against request.object in an AdmissionReview
// body. Leaves are reported; a key added or removed with an object value is
// reported by its leaves (so a new annotation map reports the annotation),
// an array whose length changed by the array's own pointer.
ObjectDiff diff_update(std::string_view review_body, std::size_t limit = 64);

}  // namespace releasegate::admission
