// The typed view of an admission request that the rule engine evaluates.
// Built by admission/ from an AdmissionReview (`releasegate check` goes
// through the same parser); the engine never sees JSON or HTTP.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace releasegate {

enum class Operation { Create, Update, Delete, Connect };

// Where a pod spec names an image: its three container lists, and its
// image volumes (`volumes[].image.reference`: an OCI image mounted as a
// volume, which must be judged like a container's image).
enum class ContainerList { Containers, InitContainers, EphemeralContainers, ImageVolumes };

std::string_view to_string(Operation op);
std::string_view to_string(ContainerList list);  // the field name, e.g. "initContainers"

struct ContainerImage {
  ContainerList list = ContainerList::Containers;
  std::size_t index = 0;  // position in its list (for JSON patches)
  std::string container;  // container name (for an image volume: the volume's)
  std::string image;      // the reference exactly as written

  // `container "web" (initContainers)`, `volume "models"`: for messages.
  std::string where() const;
  // The image field's JSON pointer within the pod spec: `containers/0/image`,
  // `volumes/2/image/reference`.
  std::string field() const;
};

// Key/value pairs in document order; small enough that a scan beats a map.
class StringMap {
 public:
  void set(std::string key, std::string value) { entries_.emplace_back(std::move(key), std::move(value)); }
  // The value, or nullopt when the key is absent (an empty value is
  // present). A key set twice has its last value.
  std::optional<std::string_view> find(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// The label and annotation keys the engine reads (GitOps provenance marks
// and releasegate's own). The request parser copies only these: the rest
// (kubectl's last-applied-configuration can be as large as the object) are
// never copied, and a decision depends on nothing else in metadata.
bool is_metadata_key_read_by_rules(std::string_view key);

// A Flux HelmRelease's chart: spec.chart.spec (chart, version, sourceRef),
// or spec.chartRef when the chart comes from an OCIRepository or HelmChart.
struct HelmChart {
  std::string chart;
  std::string version;      // as written: may be empty or a range
  std::string source_kind;  // HelmRepository, GitRepository, Bucket / OCIRepository, HelmChart (chartRef)
  std::string source_name;
  std::string source_namespace;  // empty: the HelmRelease's namespace
  bool chart_ref = false;        // spec.chartRef rather than spec.chart
};

// A Flux reference to a source object: {kind, name, namespace}.
struct SourceReference {
  std::string kind;
  std::string name;
  std::string namespace_;  // empty: the referring object's namespace
};

// What a Flux source object (GitRepository, HelmRepository, OCIRepository,
// Bucket) fetches: spec.url (a Bucket's is "<endpoint>/<bucketName>") and
// spec.ref. Empty fields were not set.
struct SourceLocation {
  std::string url;
  std::string branch;
  std::string tag;
  std::string semver;
  std::string commit;
  std::string ref_name;  // GitRepository spec.ref.name ("refs/heads/main")
  std::string digest;    // OCIRepository spec.ref.digest
};

// One Argo CD Application source (spec.source, or each of spec.sources).
struct ApplicationSource {
  std::string repo_url;
  std::string target_revision;  // branch, tag, commit, or a chart version when chart is set
  std::string chart;            // set for a Helm repository source
};

// What the rules read of one object (request.object or request.oldObject).
// No real pod has hundreds of containers; judging 50,000 of them (a 2 MB
// request) would hold a listener for over 100 ms. An object with more images
// than this is refused (fail closed, rule image-reference) and never pinned.
inline constexpr std::size_t kMaxImagesChecked = 256;

struct ObjectView {
  std::string name;
  std::string namespace_;
  StringMap labels;       // filtered by is_metadata_key_read_by_rules
  StringMap annotations;  // likewise
  // metadata.finalizers, and whether metadata.deletionTimestamp is set (the
  // object is being deleted, and waits for its finalizers to be removed).
  std::vector<std::string> finalizers;
  bool being_deleted = false;
  std::vector<ContainerImage> images;  // every container list of the pod spec
  std::optional<HelmChart> helm_chart;  // HelmRelease, and a HelmChart object (chart, version, sourceRef)
  // Where the object takes effect when that is not its own namespace:
  // HelmRelease / Kustomization spec.targetNamespace, Application
  // spec.destination.namespace.
  std::string target_namespace;
  // It applies to another cluster: a Kustomization or HelmRelease with
  // spec.kubeConfig, an Application whose destination is not the cluster
  // Argo CD runs in.
  bool remote_target = false;
  std::optional<SourceLocation> source_location;  // Flux source kinds
  std::optional<SourceReference> source_ref;      // Kustomization spec.sourceRef
  std::string service_account_name;  // Kustomization / HelmRelease spec.serviceAccountName
  std::vector<ApplicationSource> application_sources;  // Argo CD Application
  // HelmRelease spec.values flattened to dotted paths ("image.tag") for
  // their string and number leaves (arrays are not descended), so that the
  // image paths the policy names can be looked up.
  StringMap helm_values;
  // Some of spec.values was beyond the bounds read (1,024 leaves, 8 levels):
  // a configured image path that is not found may be there, unread.
  bool helm_values_truncated = false;
  // Top-level `data` string entries (a ConfigMap's): read so that rules
  // ConfigMaps can be validated at admission.
  std::vector<std::pair<std::string, std::string>> data;
  // Top-level `binaryData` keys: refused in rules ConfigMaps, whose rules
  // must be text a reviewer can read in the pull request.
  std::vector<std::string> binary_data_keys;
};

struct GroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
};

struct AdmissionRequest {
  GroupVersionKind kind;
  Operation operation = Operation::Create;
  std::string namespace_;
  std::string name;
  std::string username;
  std::vector<std::string> groups;
  // userInfo.extra holds a Pod binding (authentication.kubernetes.io/
  // pod-name or pod-uid, Kubernetes 1.30+): the token of a service account
  // used from a Pod, never a controller impersonating it.
  bool bound_to_pod = false;
  bool dry_run = false;
  // request.subResource: "ephemeralcontainers" for `kubectl debug`; empty
  // for the object itself.
  std::string sub_resource;
  std::optional<ObjectView> object;      // absent for DELETE
  std::optional<ObjectView> old_object;  // present for UPDATE and DELETE
  // UPDATE only: the JSON pointers where object differs from oldObject
  // (fields the apiserver maintains left out), and whether that list is
  // complete (it is capped).
  std::vector<std::string> changed_paths;
  bool changed_paths_complete = false;
};

// "Deployment prod/podinfo", for messages.
std::string describe(const AdmissionRequest& request);

// An UPDATE is judged by what it changes: whether oldObject already had
// this image in the same place (same list, same container or volume name).
// Such an image is not judged again, nor pinned again, so that routine
// updates (the deployment controller scaling down an old ReplicaSet whose
// version was unpromoted since, a finalizer removed, a Pod orphaned, a
// label edited) never fail or restart containers. False for CREATE.
bool image_unchanged(const AdmissionRequest& request, const ContainerImage& image);

// Every field of a request a decision may depend on, listed once (uid and
// dryRun are not: they never change a decision). The decision cache's key
// (engine/decision_cache.cc) and its test are both derived from this list,
// so a field added to the structs above and not here is a test failure.
//
// `visit(field)` is called with a reference to each leaf (std::string,
// StringMap, bool, std::size_t or an enum), `visit.count(n)` with the size
// of each list and the presence (0 or 1) of each optional before its
// elements. Request is AdmissionRequest or const AdmissionRequest.
template <typename Request, typename Visitor>
void for_each_input(Request& request, Visitor& visit) {
  auto list = [&](auto& items, auto&& each) {
    visit.count(items.size());
    for (auto& item : items) each(item);
  };
  auto optional = [&](auto& maybe, auto&& each) {
    visit.count(maybe.has_value() ? 1 : 0);
    if (maybe) each(*maybe);
  };
  auto object = [&](auto& o) {
    visit(o.name), visit(o.namespace_), visit(o.labels), visit(o.annotations);
    list(o.finalizers, [&](auto& f) { visit(f); });
    visit(o.being_deleted);
    list(o.images, [&](auto& i) { visit(i.list), visit(i.index), visit(i.container), visit(i.image); });
    optional(o.helm_chart, [&](auto& c) {
      visit(c.chart), visit(c.version), visit(c.source_kind), visit(c.source_name), visit(c.source_namespace);
      visit(c.chart_ref);
    });
    visit(o.target_namespace), visit(o.remote_target);
    optional(o.source_location, [&](auto& l) {
      visit(l.url), visit(l.branch), visit(l.tag), visit(l.semver), visit(l.commit), visit(l.ref_name), visit(l.digest);
    });
    optional(o.source_ref, [&](auto& r) { visit(r.kind), visit(r.name), visit(r.namespace_); });
    visit(o.service_account_name);
    list(o.application_sources, [&](auto& a) { visit(a.repo_url), visit(a.target_revision), visit(a.chart); });
    visit(o.helm_values), visit(o.helm_values_truncated);
    list(o.data, [&](auto& entry) { visit(entry.first), visit(entry.second); });
    list(o.binary_data_keys, [&](auto& key) { visit(key); });
  };
  visit(request.kind.group), visit(request.kind.version), visit(request.kind.kind), visit(request.operation);
  visit(request.namespace_), visit(request.name), visit(request.username), visit(request.sub_resource);
  visit(request.bound_to_pod);
  list(request.groups, [&](auto& g) { visit(g); });
  optional(request.object, object);
  optional(request.old_object, object);
  list(request.changed_paths, [&](auto& p) { visit(p); });
  visit(request.changed_paths_complete);
}

}  // namespace releasegate
