#include "runtime/rules_edit.h"

#include <algorithm>
#include <atomic>

#include "core/display_text.h"
#include "core/marks.h"
#include "engine/engine.h"
#include "engine/subject.h"
#include "policy/compiler.h"
#include "policy/fragment.h"
#include "runtime/config_map_rules.h"

namespace releasegate::runtime {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kErrorsShown = 20;

// The rules sources of a ConfigMap under review, named as the API watch
// names them (runtime/config_map_rules.h).
std::vector<policy::RuleSource> sources_of(const ObjectView& config_map, const std::string& ns,
                                           const std::string& own_namespace) {
  RulesConfigMap rules{ns, config_map.name, "", {}, {}};
  for (const auto& [key, text] : config_map.data) rules.data.emplace(key, text);
  return runtime::sources_of(rules, own_namespace);
}

Decision governed_with(const RuleSet* rules, std::string message) {
  Decision decision;
  decision.governance = Governance::Governed;
  Mode mode = rules ? rules->mode_of(Rule::RulesEdit) : Mode::Enforce;
  decision.violations.push_back({Rule::RulesEdit, mode, std::move(message)});
  return decision;
}

bool labelled(const std::optional<ObjectView>& object) {
  return object && object->labels.find(marks::kRules) == "true";
}

std::string where(const AdmissionRequest& request) { return "ConfigMap " + request.namespace_ + "/" + request.name; }

// What the edit puts into the rules, and what it replaces.
policy::RulesEdit edit_of(const RuleStore::Snapshot& current, const AdmissionRequest& request) {
  policy::RulesEdit edit;
  // Unlabelled or deleted: none of its documents stay in the rules.
  const std::string& own_namespace = current.from->options.own_namespace;
  if (labelled(request.object)) edit.sources = sources_of(*request.object, request.namespace_, own_namespace);
  // The edit replaces what this ConfigMap held before, and nothing else: a
  // document (or record) another ConfigMap declares is an error, never a
  // silent replacement.
  if (request.old_object) {
    for (const policy::RuleSource& source :
         sources_of(*request.old_object, request.namespace_, own_namespace)) {
      edit.replaced.merge(policy::document_keys(source));
    }
  }
  // And what is in force from it, whatever it holds now: a ConfigMap stored
  // broken is held at its last good content (runtime/config_map_rules.h),
  // and the edit that fixes it replaces that content.
  std::string owner = rules_source_owner(request.namespace_, request.name, own_namespace);
  for (const auto& fragment : current.from->fragments) {
    for (const policy::Fragment::Document& document : fragment->documents) {
      if (document.key && document.config_map == owner) edit.replaced.insert(*document.key);
    }
  }
  return edit;
}

std::string invalid_edit_message(const std::vector<policy::LoadError>& errors) {
  std::string message = "this rules edit would make the rule set invalid (" + std::to_string(errors.size()) +
                        (errors.size() == 1 ? " error" : " errors") + "); fix it and apply again:";
  for (std::size_t i = 0; i < errors.size() && i < kErrorsShown; ++i) {
    // Errors quote the ConfigMap's text: escaped and bounded, one line each.
    message += "\n  " + displayable(errors[i].to_string(), kMaxMessageLength);
  }
  if (errors.size() > kErrorsShown) {
    message += "\n  and " + std::to_string(errors.size() - kErrorsShown) + " more (run releasegate lint)";
  }
  return message;
}

}  // namespace

// Removing the label, or deleting the ConfigMap, takes its documents out of
// the rules: an edit like any other, so the policy cannot be dropped (nor a
// broken change slipped in with the label) around validation.
bool is_rules_config_map_edit(const AdmissionRequest& request) {
  const KindInfo* kind = find_kind(request.kind.group, request.kind.kind);
  bool config_map = kind && kind->kind_class == KindClass::RulesConfigMap;
  bool edit = request.operation == Operation::Create || request.operation == Operation::Update ||
              request.operation == Operation::Delete;
  return config_map && edit && (labelled(request.object) || labelled(request.old_object));
}

Decision validate_rules_edit(const RuleStore::Snapshot& current, const AdmissionRequest& request) {
  if (!current.from) {
    return governed_with(current.rules.get(), "the rule set in force was loaded without its sources, so this rules "
                                              "edit cannot be validated; apply it again after the next reload");
  }
  // Out of band, a rules edit is refused before it is compiled.
  Decision provenance;
  provenance.governance = Governance::Governed;
  // The namespace controller and the garbage collector delete what they
  // must (a namespace being deleted, an owner gone): never blocked, or the
  // namespace would hang in Terminating. The server keeps the last good
  // rules in force if what is left is invalid.
  if (request.operation == Operation::Delete && current.rules &&
      engine::is_exempt_requester(*current.rules, request)) {
    return provenance;
  }
  if (current.rules) engine::check_rules_edit_provenance(*current.rules, request, provenance);
  bool refused = std::any_of(provenance.violations.begin(), provenance.violations.end(),
                             [](const Violation& v) { return v.mode == Mode::Enforce; });
  if (refused) return provenance;
  if (labelled(request.object) &&
      is_evidence_store({request.namespace_, request.name, "", {}, {}}, current.from->options)) {
    return governed_with(current.rules.get(), where(request) +
                                                  " is releasegate's evidence store, which releasegate itself writes; "
                                                  "it is never read as rules: keep rules in ConfigMaps of their own");
  }
  if (labelled(request.object) && !request.object->binary_data_keys.empty()) {
    return governed_with(current.rules.get(), where(request) + " holds binaryData (" +
                                                  displayable(request.object->binary_data_keys.front(), 256) +
                                                  "); rules ConfigMaps hold their rules as text in data, where "
                                                  "reviewers can read them");
  }
  policy::LoadResult result = policy::compile_edit(*current.rules, *current.from, edit_of(current, request));
  if (result.rules) return provenance;
  std::string message = invalid_edit_message(result.errors);
  Decision invalid = governed_with(current.rules.get(), std::move(message));
  invalid.violations.insert(invalid.violations.begin(), provenance.violations.begin(), provenance.violations.end());
  invalid.break_glass = provenance.break_glass;
  return invalid;
}

struct RulesEditValidator::Job {
  AdmissionRequest request;
  Done done;
  Clock::time_point deadline;
  std::atomic<bool> answered{false};

  // The first answer wins: the worker's, or the watchdog's at the deadline.
  void answer(Decision decision) {
    if (!answered.exchange(true)) done(std::move(decision));
  }
};

RulesEditValidator::RulesEditValidator(const RuleStore& store, Options options)
    : store_(store), options_(options), worker_([this] { work(); }), watchdog_([this] { watch(); }) {}

RulesEditValidator::~RulesEditValidator() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
  watchdog_.join();
  for (auto& job : unanswered_) job->answer(refusal("releasegate is shutting down; apply the edit again"));
}

Decision RulesEditValidator::refusal(const std::string& why) const {
  auto rules = store_.current();
  return governed_with(rules.get(), "this rules edit was not validated: " + why);
}

void RulesEditValidator::submit(AdmissionRequest request, Done done) {
  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  job->deadline = Clock::now() + options_.deadline;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && unanswered_.size() < options_.max_pending) {
      queue_.push_back(job);
      unanswered_.push_back(job);
      job = nullptr;
    }
  }
  if (job) {
    job->answer(refusal(std::to_string(options_.max_pending) +
                        " rules edits are already being validated; apply it again in a moment"));
    return;
  }
  changed_.notify_all();
}

void RulesEditValidator::work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
    }
    if (!job->answered) {
      std::shared_ptr<const RuleStore::Snapshot> current = store_.snapshot();
      job->answer(current ? validate_rules_edit(*current, job->request)
                          : refusal("no rule set is loaded yet; fix the rules that are mounted first"));
    }
    {
      std::lock_guard lock(mutex_);
      std::erase(unanswered_, job);
    }
    changed_.notify_all();
  }
}

// Answers, at its deadline, an edit the worker has not finished: the
// compile goes on, but its result is no longer awaited.
void RulesEditValidator::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    for (auto& job : unanswered_) {
      if (job->answered) continue;
      if (job->deadline <= now) {
        job->answer(refusal("validating it took longer than " + std::to_string(options_.deadline.count()) +
                            " ms; the rule set may be too large to validate at admission. Run releasegate lint in "
                            "CI and apply it again"));
      } else {
        next = std::min(next, job->deadline);
      }
    }
    if (next == Clock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, next);
    }
  }
}

}  // namespace releasegate::runtime
