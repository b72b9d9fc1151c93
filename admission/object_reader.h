// Reads what the rules need of one Kubernetes object (request.object or
// request.oldObject) in one On-Demand pass: metadata marks, the images of
// its pod spec or pod templates, and the spec fields of Flux and Argo CD
// objects. Internal to admission/ (admission_review.h is the interface).
#pragma once

#include "admission/ondemand.h"
#include "core/request.h"

namespace releasegate::admission {

ondemand::error_code read_object(ondemand::object obj, ObjectView& view);

}  // namespace releasegate::admission
