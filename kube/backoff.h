// Waiting between attempts: exponential backoff with full jitter (a delay
// drawn in [0, min(max, initial * 2^attempt))), so that many clients
// failing together do not retry together; and a token bucket, as
// client-go's QPS/Burst limiter, so a relist storm cannot flood the API.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

namespace releasegate::kube {

// attempt 0 is the first retry.
inline std::chrono::milliseconds full_jitter(int attempt, std::chrono::milliseconds initial,
                                             std::chrono::milliseconds max) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  double ceiling = static_cast<double>(initial.count());
  for (int i = 0; i < attempt && ceiling < static_cast<double>(max.count()); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<double>(max.count()));
  if (ceiling <= 0) return std::chrono::milliseconds(0);
  std::uniform_real_distribution<double> draw(0, ceiling);
  return std::chrono::milliseconds(static_cast<long long>(draw(random)));
}

// client-go's ExponentialBackoffManager as its reflector makes it
// (NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)): each wait
// doubles from `initial` up to `max`, plus a jitter of up to as much
// again; a wait asked for more than `reset` after the previous one starts
// over from `initial`.
class ExponentialBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  ExponentialBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                     std::chrono::seconds reset = std::chrono::minutes(2))
      : initial_(initial), max_(max), reset_(reset), step_(initial) {}

  std::chrono::milliseconds next() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    Clock::time_point now = Clock::now();
    if (now - last_ > reset_) step_ = initial_;
    last_ = now;
    std::chrono::milliseconds base = std::min(step_, max_);
    step_ = std::min(step_ * 2, max_);
    std::uniform_real_distribution<double> draw(0, 1);
    return base + std::chrono::milliseconds(static_cast<long long>(draw(random) * static_cast<double>(base.count())));
  }

 private:
  std::chrono::milliseconds initial_, max_;
  std::chrono::seconds reset_;
  std::chrono::milliseconds step_;
  Clock::time_point last_{};
};

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double qps, int burst)
      : qps_(qps), burst_(std::max(1, burst)), tokens_(static_cast<double>(burst_)), refilled_(Clock::now()) {}

  // Takes a token; returns how long to wait before using it (zero when one
  // was there). A non-positive qps means no limit.
  Clock::duration reserve() {
    if (qps_ <= 0) return Clock::duration::zero();
    std::lock_guard lock(mutex_);
    Clock::time_point now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
    refilled_ = now;
    tokens_ -= 1;
    if (tokens_ >= 0) return Clock::duration::zero();
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
  }

 private:
  double qps_;
  int burst_;
  std::mutex mutex_;
  double tokens_;
  Clock::time_point refilled_;
};

}  // namespace releasegate::kube
