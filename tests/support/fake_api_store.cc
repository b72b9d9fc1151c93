// The fake API server's stateful mode: objects by collection, one global
// resourceVersion, lists, watches, GET, server-side apply and DELETE in the
// wire format of ../shared/kube/recordings.
#include <openssl/evp.h>
#include <sys/socket.h>

#include <array>
#include <sstream>

#include "tests/support/fake_api_internal.h"

namespace releasegate::testing {
namespace {

using nlohmann::json;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

std::optional<std::uint64_t> number(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(text);
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (size < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(size));
  while (!out.empty() && out.back() == '\0') out.pop_back();  // the padding decodes as zeros
  return out;
}

const std::string& query(const FakeRequest& request, const std::string& name) {
  static const std::string kEmpty;
  auto found = request.query.find(name);
  return found == request.query.end() ? kEmpty : found->second;
}

std::string reply_json(int status, const json& body) { return fake_response(status, "application/json", body.dump()); }
std::string reply_status(int code, const std::string& reason, const std::string& message,
                         const json& details = json::object()) {
  return fake_response(code, "application/json", fake_status_body(code, reason, message, details));
}

}  // namespace

FakeSelector::FakeSelector(const std::string& text) {
  for (const std::string& requirement : split(text, ',')) {
    std::size_t at = requirement.find('=');
    if (at == std::string::npos || at == 0) {
      valid = false;
      continue;
    }
    bool negated = requirement[at - 1] == '!';
    std::string key = requirement.substr(0, negated ? at - 1 : at);
    std::size_t value_at = at + 1 + (!negated && at + 1 < requirement.size() && requirement[at + 1] == '=');
    std::string value = requirement.substr(value_at);
    if (key.empty() || value.find('=') != std::string::npos) valid = false;
    (negated ? not_equal : equal).push_back({key, value});
  }
}

bool FakeSelector::matches(const json& object) const {
  if (!object.is_object()) return false;
  json labels = json::object();
  if (auto metadata = object.find("metadata"); metadata != object.end() && metadata->is_object()) {
    labels = metadata->value("labels", json::object());
  }
  if (!labels.is_object()) return false;
  for (const auto& [key, value] : equal) {
    if (!labels.contains(key) || labels[key] != value) return false;
  }
  for (const auto& [key, value] : not_equal) {
    if (labels.contains(key) && labels[key] == value) return false;
  }
  return true;
}

bool fake_in_scope(const FakeTarget& target, const std::string& collection) {
  std::optional<FakeTarget> other = parse_fake_target(collection);
  return other && other->prefix == target.prefix && other->resource == target.resource &&
         (target.namespace_.empty() || other->namespace_ == target.namespace_);
}

std::optional<FakeTarget> parse_fake_target(const std::string& path) {
  std::vector<std::string> parts = split(path, '/');
  if (parts.empty() || !parts[0].empty()) return std::nullopt;
  parts.erase(parts.begin());
  std::size_t rest;
  FakeTarget target;
  if (parts.size() >= 2 && parts[0] == "api") {
    rest = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    rest = 3;
  } else {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < rest; ++i) target.prefix += "/" + parts[i];
  std::vector<std::string> tail(parts.begin() + static_cast<std::ptrdiff_t>(rest), parts.end());
  if (tail.size() >= 3 && tail.size() <= 4 && tail[0] == "namespaces") {
    target.namespace_ = tail[1];
    target.resource = tail[2];
    if (tail.size() == 4) target.name = tail[3];
  } else if (tail.size() == 1 || tail.size() == 2) {
    target.resource = tail[0];
    if (tail.size() == 2) target.name = tail[1];
  } else {
    return std::nullopt;
  }
  for (const std::string& part : {target.namespace_, target.resource, target.name}) {
    if (part.find_first_of("?&=") != std::string::npos) return std::nullopt;
  }
  if (target.resource.empty() || (tail[0] == "namespaces" && tail.size() >= 3 && target.namespace_.empty())) {
    return std::nullopt;
  }
  return target;
}

std::string FakeTarget::collection() const {
  return prefix + (namespace_.empty() ? "" : "/namespaces/" + namespace_) + "/" + resource;
}

std::string FakeTarget::api_version() const {
  return prefix.rfind("/api/", 0) == 0 ? prefix.substr(5) : prefix.substr(6);
}

bool FakeTarget::built_in() const {
  std::string group = prefix.rfind("/apis/", 0) == 0 ? split(prefix, '/')[2] : "";
  return group.empty() || group.find('.') == std::string::npos ||
         (group.size() > 7 && group.compare(group.size() - 7, 7, ".k8s.io") == 0);
}

std::string FakeTarget::kind() const {
  static const std::map<std::string, std::string> kKinds{
      {"configmaps", "ConfigMap"},     {"secrets", "Secret"},           {"namespaces", "Namespace"},
      {"pods", "Pod"},                 {"services", "Service"},         {"deployments", "Deployment"},
      {"statefulsets", "StatefulSet"}, {"daemonsets", "DaemonSet"},     {"helmreleases", "HelmRelease"},
      {"kustomizations", "Kustomization"}, {"policyreports", "PolicyReport"},
      {"clusterpolicyreports", "ClusterPolicyReport"}, {"applications", "Application"}};
  if (auto found = kKinds.find(resource); found != kKinds.end()) return found->second;
  std::string kind = resource;
  if (!kind.empty() && kind.back() == 's') kind.pop_back();
  if (!kind.empty()) kind[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(kind[0])));
  return kind;
}

// --- the store ---

std::string FakeServerImpl::put_locked(const std::string& collection, json object) {
  std::optional<FakeTarget> target = parse_fake_target(collection);
  if (!object.is_object()) object = json::object();
  json& metadata = object["metadata"];
  if (!metadata.is_object()) metadata = json::object();
  std::string name = metadata.value("name", "");
  if (target) {
    if (!object.contains("kind")) object["kind"] = target->kind();
    if (!object.contains("apiVersion")) object["apiVersion"] = target->api_version();
    if (!target->namespace_.empty()) metadata["namespace"] = target->namespace_;
  }
  auto& objects = store[collection];
  auto existing = objects.find(name);
  json before = existing == objects.end() ? json() : existing->second;
  metadata["uid"] = before.is_null() ? "00000000-0000-4000-8000-" + std::to_string(100000000000 + rv)
                                     : before["metadata"].value("uid", "");
  metadata["creationTimestamp"] = "2026-12-01T11:12:42Z";
  metadata["resourceVersion"] = std::to_string(++rv);
  objects[name] = object;
  history.push_back({rv, collection, std::move(before), std::move(object)});
  changed_locked();
  return std::to_string(rv);
}

void FakeServerImpl::changed_locked() {
  if (!cache_held) cache_rv = rv;
  changed.notify_all();
}

const Store& FakeServerImpl::store_at(std::uint64_t revision, Store& rebuilt) const {
  if (revision >= rv) return store;
  rebuilt.clear();
  for (const FakeChange& change : history) {
    if (change.rv > revision) break;
    std::string name = (change.after.is_null() ? change.before : change.after)["metadata"].value("name", "");
    if (change.after.is_null()) {
      rebuilt[change.collection].erase(name);
    } else {
      rebuilt[change.collection][name] = change.after;
    }
  }
  return rebuilt;
}

std::string FakeApiServer::put(const std::string& collection, json object) {
  std::lock_guard lock(impl_->mutex);
  return impl_->put_locked(collection, std::move(object));
}

bool FakeApiServer::remove(const std::string& collection, const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  auto objects = impl_->store.find(collection);
  if (objects == impl_->store.end() || !objects->second.count(name)) return false;
  json before = std::move(objects->second[name]);
  objects->second.erase(name);
  // A DELETED event carries the last state with the deletion's RV.
  before["metadata"]["resourceVersion"] = std::to_string(++impl_->rv);
  impl_->history.push_back({impl_->rv, collection, std::move(before), json()});
  impl_->changed_locked();
  return true;
}

std::optional<json> FakeApiServer::object(const std::string& collection, const std::string& name) const {
  std::lock_guard lock(impl_->mutex);
  auto objects = impl_->store.find(collection);
  if (objects == impl_->store.end()) return std::nullopt;
  auto found = objects->second.find(name);
  if (found == objects->second.end()) return std::nullopt;
  return found->second;
}

std::string FakeApiServer::resource_version() const {
  std::lock_guard lock(impl_->mutex);
  return std::to_string(impl_->rv);
}

void FakeApiServer::expire_watches() {
  std::lock_guard lock(impl_->mutex);
  // A compaction at a new revision (RVs have gaps): every RV seen so far is
  // too old to watch from or to read exactly; the next list's is not.
  impl_->compacted = ++impl_->rv;
  impl_->cache_start = impl_->compacted;
  ++impl_->expirations;
  impl_->changed_locked();
}

void FakeApiServer::restart() {
  std::lock_guard lock(impl_->mutex);
  for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
  ++impl_->restarts;
  // Starting, the apiserver writes (its Lease, its endpoints): the global
  // RV moves on. Its new watch cache is filled by a list at that revision.
  ++impl_->rv;
  impl_->cache_start = impl_->cache_rv = impl_->rv;
  impl_->cache_held = false;
  impl_->changed.notify_all();
}

void FakeApiServer::hold_watch_cache(bool held) {
  std::lock_guard lock(impl_->mutex);
  impl_->cache_held = held;
  impl_->changed_locked();
}

void FakeApiServer::close_watches() {
  std::lock_guard lock(impl_->mutex);
  ++impl_->closings;
  impl_->changed.notify_all();
}

std::size_t FakeApiServer::open_watches() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open_watches;
}

// --- serving ---

namespace {

struct Page {
  std::vector<json> items;
  std::string next;  // continue token
};

// The matching objects after the token's key, in key order (as etcd lists them).
Page page_of(const Store& store, const FakeTarget& target,
             const FakeSelector& selector, const std::string& start, std::size_t limit, std::uint64_t rv) {
  Page page;
  std::map<std::string, const json*> sorted;
  for (const auto& [collection, objects] : store) {
    if (!fake_in_scope(target, collection)) continue;
    for (const auto& [name, object] : objects) {
      std::string ns = object.at("metadata").value("namespace", "");
      std::string key = ns.empty() ? name : ns + "/" + name;
      if (key > start && selector.matches(object)) sorted[key] = &object;
    }
  }
  std::string last;
  for (const auto& [key, object] : sorted) {
    if (limit > 0 && page.items.size() == limit) {
      page.next = base64(json{{"rv", rv}, {"start", last}}.dump());
      break;
    }
    json item = *object;
    if (target.built_in()) {
      item.erase("kind");
      item.erase("apiVersion");
    }
    page.items.push_back(std::move(item));
    last = key;
  }
  return page;
}

}  // namespace

namespace {

std::string too_old(const std::string& message) { return reply_status(410, "Expired", message); }

// What kube-apiserver 1.28 answers a list with resourceVersion N that it
// has not reached: k8s.io/apiserver storage.NewTooLargeResourceVersionError.
std::string too_large(std::uint64_t wanted, std::uint64_t current) {
  std::string message = "Too large resource version: " + std::to_string(wanted) + ", current: " + std::to_string(current);
  json details = {{"causes", json::array({{{"reason", "ResourceVersionTooLarge"}, {"message", "Too large resource version"}}})},
                  {"retryAfterSeconds", 1}};
  return fake_response(504, "application/json", fake_status_body(504, "Timeout", "Timeout: " + message, details),
                       {"Retry-After: 1"});
}

std::string invalid_list_options(const std::string& field, const std::string& message) {
  return reply_status(422, "Invalid", "ListOptions.meta.k8s.io \"\" is invalid: " + field + ": " + message,
                      {{"kind", "ListOptions"}, {"group", "meta.k8s.io"},
                       {"causes", json::array({{{"reason", "FieldValueForbidden"}, {"message", message}, {"field", field}}})}});
}

// A list, answered as kube-apiserver 1.28 does with its watch cache on:
//   - resourceVersion "", a continue token, a limit with a resourceVersion
//     other than "0", or resourceVersionMatch=Exact: read from etcd
//     (cacher.go shouldDelegateList). There, "" is the newest revision;
//     Exact, and N with a limit and no match (the legacy case of etcd3
//     store.go GetList), read exactly at N (410 once compacted); NotOlderThan
//     reads the newest, and N must not be ahead of it;
//   - otherwise from the watch cache ("0": whatever it has; N: not older
//     than N, waiting up to 3 s for it, then 504 Too large resource
//     version), whole: the cache ignores limit.
std::string serve_list(FakeServerImpl& impl, std::unique_lock<std::mutex>& lock, const FakeTarget& target,
                       const FakeRequest& request) {
  FakeSelector selector(query(request, "labelSelector"));
  if (!selector.valid) return reply_status(400, "BadRequest", "unable to parse requirement: invalid label selector");
  const std::string& rv_text = query(request, "resourceVersion");
  const std::string& match = query(request, "resourceVersionMatch");
  const std::string& token = query(request, "continue");
  std::size_t limit = number(query(request, "limit")).value_or(0);
  // ValidateListOptions (apimachinery/pkg/apis/meta/internalversion/validation).
  if (!match.empty()) {
    if (rv_text.empty()) {
      return invalid_list_options("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided");
    }
    if (!token.empty()) return invalid_list_options("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided");
    if (match != "NotOlderThan" && match != "Exact") {
      return invalid_list_options("resourceVersionMatch", "Unsupported value: \"" + match + "\"");
    }
    if (match == "Exact" && rv_text == "0") {
      return invalid_list_options("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
    }
  }
  std::optional<std::uint64_t> wanted = rv_text.empty() ? std::optional<std::uint64_t>(0) : number(rv_text);
  if (!wanted) return reply_status(400, "BadRequest", "invalid resource version: " + rv_text);
  std::uint64_t at = impl.rv;
  std::string start;
  bool from_etcd = rv_text.empty() || !token.empty() || (limit > 0 && rv_text != "0") || match == "Exact";
  if (!token.empty()) {
    if (!rv_text.empty() && rv_text != "0") {
      return reply_status(400, "BadRequest", "specifying resource version is not allowed when using continue");
    }
    std::optional<std::string> decoded = unbase64(token);
    json parsed = decoded ? json::parse(*decoded, nullptr, false) : json();
    if (!parsed.is_object() || !parsed["rv"].is_number_unsigned() || !parsed["start"].is_string()) {
      return reply_status(400, "BadRequest", "invalid continue token: continue key is not valid");
    }
    at = parsed["rv"];
    start = parsed["start"];
    if (at < impl.compacted) return too_old("The provided continue parameter is too old to display a consistent list result.");
  } else if (from_etcd && !rv_text.empty()) {
    if (match == "NotOlderThan") {
      if (impl.rv < *wanted) return too_large(*wanted, impl.rv);
    } else {  // Exact, or the legacy limit case
      if (*wanted < impl.compacted) return too_old("The resourceVersion for the provided list is too old.");
      if (*wanted > impl.rv) return too_large(*wanted, impl.rv);
      at = *wanted;
    }
  } else if (!from_etcd) {
    impl.changed.wait_for(lock, std::chrono::seconds(3), [&] { return impl.stopping || impl.cache_rv >= *wanted; });
    if (impl.cache_rv < *wanted) return too_large(*wanted, impl.cache_rv);
    at = impl.cache_rv;
    limit = 0;
  }
  Store rebuilt;
  Page page = page_of(impl.store_at(at, rebuilt), target, selector, start, limit, at);
  json metadata = {{"resourceVersion", std::to_string(at)}};
  // Custom-resource lists say "continue":"" on the last page; built-in lists say nothing.
  if (!page.next.empty() || !target.built_in()) metadata["continue"] = page.next;
  json list = {{"kind", target.kind() + "List"}, {"apiVersion", target.api_version()}, {"metadata", metadata},
               {"items", std::move(page.items)}};
  return reply_json(200, list);
}

std::string not_found(const FakeTarget& target) {
  return reply_status(404, "NotFound", target.resource + " \"" + target.name + "\" not found",
                      {{"name", target.name}, {"kind", target.resource}});
}

// As the apiserver refuses a create the authorizer denies (an apply that
// would create checks `create` too).
std::string forbidden_create(const FakeTarget& target, const std::string& name) {
  std::string group;  // "" for /api/v1, apps for /apis/apps/v1
  if (target.prefix.starts_with("/apis/")) group = target.prefix.substr(6, target.prefix.rfind('/') - 6);
  return reply_status(403, "Forbidden",
                      target.resource + " \"" + name + "\" is forbidden: User \"system:serviceaccount:releasegate-"
                      "system:releasegate\" cannot create resource \"" + target.resource + "\" in API group \"" +
                          group + "\" in the namespace \"" + target.namespace_ + "\"",
                      {{"name", name}, {"kind", target.resource}});
}

std::string serve_apply(FakeServerImpl& impl, const FakeTarget& target, const FakeRequest& request) {
  auto type = request.headers.find("content-type");
  if (type == request.headers.end() || type->second != "application/apply-patch+yaml") {
    return reply_status(415, "UnsupportedMediaType", "the body of the request was in an unknown format");
  }
  if (query(request, "fieldManager").empty()) {
    return reply_status(422, "Invalid",
                        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for "
                        "apply patch");
  }
  json object = json::parse(request.body, nullptr, false);
  if (!object.is_object()) return reply_status(400, "BadRequest", "error decoding patch: not a JSON object");
  object["metadata"]["name"] = target.name;
  auto& objects = impl.store[target.collection()];
  auto existing = objects.find(target.name);
  if (existing != objects.end()) {
    // Nothing changed: the same object and RV, and no watcher woken (f03).
    json stored = existing->second;
    json wanted = object;
    for (json* side : {&stored, &wanted}) {
      for (const char* key : {"resourceVersion", "uid", "creationTimestamp", "namespace"}) (*side)["metadata"].erase(key);
      side->erase("kind");
      side->erase("apiVersion");
    }
    if (stored == wanted) return reply_json(200, existing->second);
  }
  if (existing == objects.end() && impl.creates_forbidden.contains(target.collection())) {
    return forbidden_create(target, target.name);
  }
  int status = existing == objects.end() ? 201 : 200;
  impl.put_locked(target.collection(), std::move(object));
  return reply_json(status, impl.store[target.collection()][target.name]);
}

// POST to a collection (d13, d14): 201 with the object, 409 AlreadyExists.
std::string serve_create(FakeServerImpl& impl, const FakeTarget& target, const FakeRequest& request) {
  json object = json::parse(request.body, nullptr, false);
  if (!object.is_object() || !object["metadata"].is_object() || !object["metadata"]["name"].is_string()) {
    return reply_status(400, "BadRequest", "the object to create has no metadata.name");
  }
  std::string name = object["metadata"]["name"];
  if (impl.creates_forbidden.contains(target.collection())) return forbidden_create(target, name);
  auto& objects = impl.store[target.collection()];
  if (objects.count(name)) {
    return reply_status(409, "AlreadyExists", target.resource + " \"" + name + "\" already exists",
                        {{"name", name}, {"kind", target.resource}});
  }
  object["metadata"].erase("resourceVersion");
  impl.put_locked(target.collection(), std::move(object));
  return reply_json(201, impl.store[target.collection()][name]);
}

// PUT of a whole object at the resourceVersion it was read at (d15, d16):
// 409 Conflict when it changed since, 404 when it is gone.
std::string serve_update(FakeServerImpl& impl, const FakeTarget& target, const FakeRequest& request) {
  json object = json::parse(request.body, nullptr, false);
  if (!object.is_object() || !object["metadata"].is_object()) {
    return reply_status(400, "BadRequest", "the object to update is not a JSON object");
  }
  auto& objects = impl.store[target.collection()];
  auto existing = objects.find(target.name);
  if (existing == objects.end()) return not_found(target);
  std::string wanted = object["metadata"].value("resourceVersion", "");
  if (wanted.empty()) {
    return reply_status(422, "Invalid", target.resource + " \"" + target.name +
                                            "\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be "
                                            "specified for an update");
  }
  if (wanted != existing->second["metadata"].value("resourceVersion", "")) {
    return reply_status(409, "Conflict",
                        "Operation cannot be fulfilled on " + target.resource + " \"" + target.name +
                            "\": the object has been modified; please apply your changes to the latest version and "
                            "try again",
                        {{"name", target.name}, {"kind", target.resource}});
  }
  object["metadata"]["name"] = target.name;
  impl.put_locked(target.collection(), std::move(object));
  return reply_json(200, impl.store[target.collection()][target.name]);
}

std::string serve_delete(FakeServerImpl& impl, const FakeTarget& target) {
  auto objects = impl.store.find(target.collection());
  if (objects == impl.store.end() || !objects->second.count(target.name)) return not_found(target);
  json before = std::move(objects->second[target.name]);
  objects->second.erase(target.name);
  json details = {{"name", target.name}, {"kind", target.resource}, {"uid", before["metadata"].value("uid", "")}};
  before["metadata"]["resourceVersion"] = std::to_string(++impl.rv);
  impl.history.push_back({impl.rv, target.collection(), std::move(before), json()});
  impl.changed_locked();
  json status = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"},
                 {"details", details}};
  return reply_json(200, status);
}

}  // namespace

bool FakeServerImpl::serve_stateful(FakeConnection& connection, const FakeRequest& request) {
  std::optional<FakeTarget> target = parse_fake_target(request.path);
  if (!target) return connection.write(fake_response(404, "text/plain; charset=utf-8", "404 page not found\n"));
  if (request.method == "GET" && target->name.empty() && query(request, "watch") == "true") {
    return serve_watch(connection, *target, request);
  }
  std::string reply;
  {
    std::unique_lock lock(mutex);
    if (request.method == "GET" && target->name.empty()) {
      reply = serve_list(*this, lock, *target, request);
    } else if (request.method == "GET") {
      auto objects = store.find(target->collection());
      bool found = objects != store.end() && objects->second.count(target->name);
      reply = found ? reply_json(200, objects->second[target->name]) : not_found(*target);
    } else if (request.method == "POST" && target->name.empty()) {
      reply = serve_create(*this, *target, request);
    } else if (request.method == "PUT" && !target->name.empty()) {
      reply = serve_update(*this, *target, request);
    } else if (request.method == "PATCH" && !target->name.empty()) {
      reply = serve_apply(*this, *target, request);
    } else if (request.method == "DELETE" && !target->name.empty()) {
      reply = serve_delete(*this, *target);
    } else {
      reply = reply_status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
  }
  return connection.write(reply);
}

}  // namespace releasegate::testing
