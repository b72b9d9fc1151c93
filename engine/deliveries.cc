#include "engine/deliveries.h"

#include <optional>

#include "core/marks.h"

namespace releasegate::engine {
namespace {

bool flux_marks_match(const Delivery& delivery, const ObjectView& object, std::string_view name_key,
                      std::string_view namespace_key) {
  auto name = object.labels.find(name_key);
  auto ns = object.labels.find(namespace_key);
  return name && ns && delivery.name->matches(*name) && delivery.namespace_->matches(*ns);
}

// Argo CD marks an object with its application either in the tracking-id
// annotation ("<app>:<group>/<kind>:<namespace>/<name>") or, with label
// tracking, in app.kubernetes.io/instance.
std::optional<std::string_view> argo_application(const ObjectView& object) {
  if (auto tracking = object.annotations.find(marks::kArgoTrackingId)) return tracking->substr(0, tracking->find(':'));
  return object.labels.find(marks::kArgoInstance);
}

}  // namespace

bool delivered_by(const Delivery& delivery, const ObjectView& object) {
  switch (delivery.kind) {
    case DeliveryKind::FluxKustomization:
      return flux_marks_match(delivery, object, marks::kKustomizeName, marks::kKustomizeNamespace);
    case DeliveryKind::FluxHelmRelease: return flux_marks_match(delivery, object, marks::kHelmName, marks::kHelmNamespace);
    case DeliveryKind::ArgoApplication: {
      auto app = argo_application(object);
      return app && delivery.name->matches(*app);
    }
  }
  return false;
}

bool is_delivery(const Delivery& delivery, DeliveryKind kind, std::string_view namespace_, std::string_view name) {
  if (delivery.kind != kind || !delivery.name->matches(name)) return false;
  // An Argo CD application is named by its name alone.
  return !delivery.namespace_ || delivery.namespace_->matches(namespace_);
}

}  // namespace releasegate::engine
