#include "kube/leader_election.h"

#include "core/time_text.h"

#include <algorithm>
#include <random>

namespace releasegate::kube {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// wait.Jitter(retryPeriod, 1.2): up to 1.2 times as long again.
std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  static thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_real_distribution<double> draw(0, 1.2);
  return base + std::chrono::milliseconds(static_cast<long long>(draw(random) * static_cast<double>(base.count())));
}

}  // namespace

std::string micro_time(std::chrono::system_clock::time_point time) { return rfc3339_fraction(time, 6); }

// What a Lease's spec says (client-go's LeaderElectionRecord).
struct LeaderElector::Record {
  std::string holder;
  long long duration_seconds = 0;
  std::string acquire_time, renew_time;
  std::uint64_t transitions = 0;

  static Record of(const json& lease) {
    Record r;
    const json& spec = lease.contains("spec") && lease["spec"].is_object() ? lease["spec"] : json::object();
    auto text = [&](const char* key) { return spec.contains(key) && spec[key].is_string() ? spec[key].get<std::string>() : ""; };
    r.holder = text("holderIdentity");
    r.acquire_time = text("acquireTime");
    r.renew_time = text("renewTime");
    if (spec.contains("leaseDurationSeconds") && spec["leaseDurationSeconds"].is_number_integer()) {
      r.duration_seconds = spec["leaseDurationSeconds"].get<long long>();
    }
    if (spec.contains("leaseTransitions") && spec["leaseTransitions"].is_number_unsigned()) {
      r.transitions = spec["leaseTransitions"].get<std::uint64_t>();
    }
    return r;
  }
  json spec() const {
    json spec = {{"holderIdentity", holder}, {"leaseDurationSeconds", duration_seconds},
                 {"leaseTransitions", transitions}};
    if (!acquire_time.empty()) spec["acquireTime"] = acquire_time;
    if (!renew_time.empty()) spec["renewTime"] = renew_time;
    return spec;
  }
  json new_lease(const LeaderElectionOptions& options) const {
    return {{"apiVersion", "coordination.k8s.io/v1"},
            {"kind", "Lease"},
            {"metadata", {{"name", options.name}, {"namespace", options.namespace_}}},
            {"spec", spec()}};
  }
};

namespace {

// One attempt per try, and none longer than half the renew deadline: a try
// that cannot finish in time has failed anyway, and stop() must not wait
// for a dead API's full request timeout.
ClientConfig elector_config(ClientConfig config, std::chrono::milliseconds renew_deadline) {
  config.request_timeout = std::min(config.request_timeout, renew_deadline / 2);
  return config;
}

}  // namespace

LeaderElector::LeaderElector(const ClientConfig& config, LeaderElectionOptions options)
    : client_(elector_config(config, options.renew_deadline),
              RetryPolicy{1, std::chrono::milliseconds(100), std::chrono::milliseconds(100)}),
      options_(std::move(options)),
      path_(resource_path("coordination.k8s.io", "v1", "leases", options_.namespace_, options_.name)) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

LeaderStatus LeaderElector::status() const {
  std::lock_guard lock(mutex_);
  LeaderStatus status = status_;
  status.leading = leading();
  return status;
}

bool LeaderElector::wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [this] { return stop_; });
}

void LeaderElector::failed(const std::string& error) {
  std::lock_guard lock(mutex_);
  status_.last_error = error;
}

void LeaderElector::set_leading(bool leading) {
  if (leading_.exchange(leading, std::memory_order_acq_rel) == leading) return;
  if (options_.on_change) options_.on_change(leading);
}

void LeaderElector::run() {
  while (true) {
    // acquire(): every retry period, jittered, until the Lease is ours.
    while (!try_acquire_or_renew()) {
      if (!wait(jittered(options_.retry_period))) return;
    }
    set_leading(true);
    // renew(): every retry period; stop leading once the renew deadline
    // passed without a renewal.
    Clock::time_point renewed = Clock::now();
    while (wait(options_.retry_period)) {
      if (try_acquire_or_renew()) {
        renewed = Clock::now();
      } else if (Clock::now() - renewed >= options_.renew_deadline) {
        break;
      }
    }
    if (stopping()) {
      release();
      set_leading(false);
      return;
    }
    set_leading(false);
  }
}

bool LeaderElector::stopping() const {
  std::lock_guard lock(mutex_);
  return stop_;
}

bool LeaderElector::try_acquire_or_renew() {
  auto now = std::chrono::system_clock::now();
  Response got = client_.get(path_);
  if (got.status == 404) {
    Record mine{options_.identity, options_.lease_duration.count() / 1000, micro_time(now), micro_time(now), 0};
    std::string collection = resource_path("coordination.k8s.io", "v1", "leases", options_.namespace_);
    Response created = client_.request("POST", collection, mine.new_lease(options_).dump(), "application/json");
    if (!created.ok()) {
      failed("creating Lease " + options_.namespace_ + "/" + options_.name + ": " + error_of(created).describe());
      return false;
    }
    observed_record_ = mine.spec().dump();
    observed_at_ = Clock::now();
  } else {
    if (!got.ok()) {
      failed("reading Lease " + options_.namespace_ + "/" + options_.name + ": " + error_of(got).describe());
      return false;
    }
    json lease = json::parse(got.body, nullptr, false);
    if (!lease.is_object()) {
      failed("reading Lease " + options_.namespace_ + "/" + options_.name + ": the answer is not a JSON object");
      return false;
    }
    Record old = Record::of(lease);
    {
      std::lock_guard lock(mutex_);
      status_.holder = old.holder;
      status_.transitions = old.transitions;
    }
    if (std::string seen = old.spec().dump(); seen != observed_record_) {
      observed_record_ = seen;
      observed_at_ = Clock::now();
    }
    bool held_by_other = !old.holder.empty() && old.holder != options_.identity;
    if (held_by_other && observed_at_ + std::chrono::seconds(old.duration_seconds) > Clock::now()) return false;
    Record mine = old;
    mine.holder = options_.identity;
    mine.duration_seconds = options_.lease_duration.count() / 1000;
    mine.renew_time = micro_time(now);
    if (old.holder != options_.identity) {
      mine.acquire_time = micro_time(now);
      ++mine.transitions;
    }
    // The Lease as read, with only its spec replaced (client-go's LeaseLock.Update):
    // labels and annotations an installer gave it stay.
    lease["spec"] = mine.spec();
    Response updated = client_.request("PUT", path_, lease.dump(), "application/json");
    if (!updated.ok()) {
      failed("updating Lease " + options_.namespace_ + "/" + options_.name + ": " + error_of(updated).describe());
      return false;
    }
    observed_record_ = mine.spec().dump();
    observed_at_ = Clock::now();
  }
  std::lock_guard lock(mutex_);
  status_.holder = options_.identity;
  status_.last_renew = now;
  status_.last_error.reset();
  return true;
}

// client-go's release(): the Lease kept, its holder emptied, its duration
// one second, so that a candidate takes it at its next try.
void LeaderElector::release() {
  if (!leading()) return;
  Response got = client_.get(path_);
  if (!got.ok()) return;
  json lease = json::parse(got.body, nullptr, false);
  if (!lease.is_object()) return;
  Record record = Record::of(lease);
  if (record.holder != options_.identity) return;
  auto now = micro_time(std::chrono::system_clock::now());
  record.holder.clear();
  record.duration_seconds = 1;
  record.acquire_time = record.renew_time = now;
  lease["spec"] = record.spec();
  client_.request("PUT", path_, lease.dump(), "application/json");
}

}  // namespace releasegate::kube
