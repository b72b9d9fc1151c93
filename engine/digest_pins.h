// Mutation: pinning promoted images to the digest their Promotion record
// gives, so that what runs is exactly what was promoted even if the tag is
// later moved in the registry.
#pragma once

#include <string>
#include <vector>

#include "core/request.h"
#include "core/rule_set.h"

namespace releasegate::engine {

struct ImagePin {
  std::string path;   // JSON pointer of the container's image field
  std::string image;  // the new reference: as written, plus @digest
};

// The pins for a Pod CREATE or UPDATE in a governed environment (and, when
// the policy opts in with mutation.workloadTemplates, for the pod templates
// of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs): every
// container image written with a tag but no digest whose tag is promoted to
// the environment with a digest. Images already carrying a digest are left
// alone, which makes the result idempotent under reinvocation.
std::vector<ImagePin> digest_pins(const RuleSet& rules, const AdmissionRequest& request);

}  // namespace releasegate::engine
