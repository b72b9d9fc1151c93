// Which approved GitOps delivery an object came from (the marks its
// controller wrote on it), and which one it is (a Kustomization, HelmRelease
// or Application may itself be named in gitops.deliveries).
#pragma once

#include <string_view>

#include "core/kinds.h"
#include "core/request.h"
#include "core/rule_set.h"

namespace releasegate::engine {

// Whether `object` carries the marks `delivery`'s controller writes on what
// it applies: Flux's name and namespace labels, Argo CD's tracking-id
// annotation or instance label. Marks alone prove nothing (anyone can copy
// them); provenance pairs them with the identity that wrote them.
bool delivered_by(const Delivery& delivery, const ObjectView& object);

// Whether the object `namespace_/name` of delivery kind `kind` is `delivery`.
bool is_delivery(const Delivery& delivery, DeliveryKind kind, std::string_view namespace_, std::string_view name);

}  // namespace releasegate::engine
