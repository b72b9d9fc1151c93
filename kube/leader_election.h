// Leader election through a coordination.k8s.io/v1 Lease, with client-go's
// semantics (tools/leaderelection/leaderelection.go, release-1.28):
//
//   - a candidate tries every retry period (jittered up to 1.2x more) to
//     take the Lease: it may when nobody holds it, or when its holder has
//     not renewed it for the lease duration *as this candidate observed*
//     (the time it last saw the record change, on its own monotonic clock:
//     no trust in the holder's clock);
//   - the leader renews every retry period; when it has not managed to for
//     the renew deadline (shorter than the lease duration, so it stops
//     before anyone else may start), it stops leading and is a candidate
//     again;
//   - every write is an update at the resourceVersion read (409: someone
//     else wrote first, this try failed);
//   - stop() releases a Lease it holds (holderIdentity "", duration 1 s),
//     so that a rolling update hands over at once (ReleaseOnCancel).
//
// Leading is what releasegate does once for all replicas: the audit and its
// reports, and persisting evidence. Admission never waits for it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kube/client.h"

namespace releasegate::kube {

struct LeaderElectionOptions {
  std::string namespace_;
  std::string name = "releasegate";  // the Lease
  std::string identity;              // this replica: its Pod name
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  // Called on the elector's thread when this replica starts or stops leading.
  std::function<void(bool leading)> on_change;
};

struct LeaderStatus {
  bool leading = false;
  std::string holder;  // as last read ("" : nobody)
  std::uint64_t transitions = 0;  // the Lease's leaseTransitions, as last read
  std::optional<std::chrono::system_clock::time_point> last_renew;  // by this replica
  std::optional<std::string> last_error;  // of the last failed read or write; cleared by a good one
};

class LeaderElector {
 public:
  LeaderElector(const ClientConfig& config, LeaderElectionOptions options);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void start();
  // Stops; a Lease this replica holds is released first.
  void stop();

  bool leading() const { return leading_.load(std::memory_order_acquire); }
  LeaderStatus status() const;
  const LeaderElectionOptions& options() const { return options_; }

 private:
  struct Record;
  void run();
  bool try_acquire_or_renew();
  void release();
  void set_leading(bool leading);
  void failed(const std::string& error);
  bool wait(std::chrono::milliseconds delay);  // false once stopping
  bool stopping() const;

  Client client_;
  LeaderElectionOptions options_;
  std::string path_;  // the Lease's URL
  std::atomic<bool> leading_{false};
  // The elector thread's own: the record last read, and when it was seen to change.
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_at_{};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  LeaderStatus status_;
  std::thread thread_;
};

// A Lease's MicroTime: RFC 3339 in UTC with microseconds.
std::string micro_time(std::chrono::system_clock::time_point time);

}  // namespace releasegate::kube
