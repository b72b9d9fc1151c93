#include "audit/audit_loop.h"

namespace releasegate::audit {

AuditLoop::AuditLoop(const kube::ClientConfig& client, const runtime::RuleStore& store, AuditLoopOptions options)
    : client_(client), store_(store), options_(std::move(options)) {}

AuditLoop::~AuditLoop() { stop(); }

void AuditLoop::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void AuditLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  client_.stop();
  if (thread_.joinable()) thread_.join();
}

AuditStatus AuditLoop::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void AuditLoop::run() {
  using clock = std::chrono::steady_clock;
  // Rule sets are told apart by identity, not generation (a test's may all
  // be 0); weak, so that an old rule set is not kept alive for this.
  std::weak_ptr<const RuleSet> seen, audited;
  clock::time_point seen_at{}, last_audit{};
  bool was_leading = false;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    // The rules are polled, once a second: the audit need not start within
    // the second they changed.
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
    if (stop_) break;
    std::shared_ptr<const RuleSet> rules = store_.current();
    if (!rules) continue;
    auto now = clock::now();
    if (seen.lock() != rules) {
      seen = rules;
      seen_at = now;
    }
    // A replica that is not the leader audits nothing; a new leader audits
    // at once (the reports are its job now, and may be an interval old).
    bool leading = !options_.leading || options_.leading();
    bool took_over = leading && !was_leading && options_.leading;
    was_leading = leading;
    if (!leading) continue;
    bool changed = took_over || (audited.lock() != rules && now - seen_at >= options_.settle &&
                                 (status_.runs == 0 || now - last_audit >= options_.min_gap));
    bool due = status_.runs > 0 && now - last_audit >= options_.interval;
    if (!changed && !due) continue;
    lock.unlock();
    audit_once(*rules);
    lock.lock();
    audited = rules;
    last_audit = clock::now();
  }
}

void AuditLoop::audit_once(const RuleSet& rules) {
  // On the audit's own thread: nothing may escape it (bad_alloc in a huge
  // cluster, say); the failure is counted and the next audit tries again.
  try {
    audit_and_publish(rules);
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++status_.runs;
    ++status_.incomplete;
    status_.last_run = std::chrono::system_clock::now();
    status_.last_errors = {std::string("the audit failed: ") + e.what()};
  }
}

void AuditLoop::audit_and_publish(const RuleSet& rules) {
  auto started = std::chrono::steady_clock::now();
  ClusterAuditOptions options = options_.audit;
  std::shared_ptr<const EvidenceSource> observed = options_.observed_evidence ? options_.observed_evidence() : nullptr;
  options.audit.observed_evidence = observed.get();
  AuditResult result = audit_cluster(client_, rules, options);
  std::vector<std::string> errors;
  for (const Result& r : result.cluster_results) {
    if (r.outcome == Outcome::Error) errors.push_back(r.message);
  }
  std::size_t publish_errors = 0;
  if (options_.publish) {
    PublishResult published = publish_reports(client_, result, options_.reports);
    publish_errors = published.errors.size();
    errors.insert(errors.end(), published.errors.begin(), published.errors.end());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++status_.runs;
  if (!result.complete) ++status_.incomplete;
  status_.publish_errors += publish_errors;
  status_.last_run = std::chrono::system_clock::now();
  status_.last_duration = std::chrono::steady_clock::now() - started;
  status_.last_errors = std::move(errors);
  if (!result.complete) return;
  status_.last_complete = result.finished;
  status_.objects = result.objects;
  status_.counts = std::move(result.counts);
}

}  // namespace releasegate::audit
