#include "engine/evidence_requirement.h"

#include <algorithm>
#include <vector>

namespace releasegate::engine {
namespace {

// The records of `version` in `environment`, written in the rules and observed here.
std::vector<EvidenceRecord> records_of(const RuleSet& rules, const EvidenceVersion& version,
                                       const std::string& environment, const Observations& observations) {
  std::vector<EvidenceRecord> found =
      rules.evidence.records_of(version.of, version.key, environment, version.tag, version.digest);
  if (observations.observed) {
    auto observed = observations.observed->records_of(version.of, version.key, environment, version.tag, version.digest);
    found.insert(found.end(), std::make_move_iterator(observed.begin()), std::make_move_iterator(observed.end()));
  }
  return found;
}

// The record that proves the longest healthy period, or null. Only
// periods that began after the version last degraded there count: a
// failure seen now withdraws an older proof, whoever recorded it.
const EvidenceRecord* longest(const std::vector<EvidenceRecord>& records, UnixSeconds now) {
  UnixSeconds last_failure = 0;
  for (const EvidenceRecord& r : records) last_failure = std::max(last_failure, r.degraded_at);
  const EvidenceRecord* best = nullptr;
  for (const EvidenceRecord& r : records) {
    if (r.degraded_at != 0 || (last_failure != 0 && r.healthy_since <= last_failure)) continue;
    if (!best || r.healthy_for(now) > best->healthy_for(now)) best = &r;
  }
  return best;
}

// The record of the version's last failure there, or null.
const EvidenceRecord* last_failure(const std::vector<EvidenceRecord>& records) {
  const EvidenceRecord* failed = nullptr;
  for (const EvidenceRecord& r : records) {
    if (r.degraded_at != 0 && (!failed || r.degraded_at > failed->degraded_at)) failed = &r;
  }
  return failed;
}

// "12 of the 30 minutes", or "1h5m of the 1h30m" when the soak is not in
// whole minutes below two hours.
std::string progress_text(std::int64_t healthy, std::int64_t soak) {
  if (soak % 60 == 0 && soak < 2 * 3600) {
    return std::to_string(healthy / 60) + " of the " + std::to_string(soak / 60) + " minutes";
  }
  return duration_text(healthy) + " of the " + duration_text(soak);
}

// Why `environment` does not provide the evidence; empty when it does.
std::string shortfall(const std::vector<EvidenceRecord>& records, const std::string& environment,
                      std::int64_t soak, UnixSeconds now) {
  const EvidenceRecord* best = longest(records, now);
  if (best && best->healthy_for(now) >= soak) return {};
  if (!best) {
    if (const EvidenceRecord* failed = last_failure(records)) {
      return "degraded in " + environment + " at " + moment_text(failed->degraded_at, now) +
             (failed->object.empty() ? "" : " (" + failed->object + ")") + ", and must run healthy there again for " +
             duration_text(soak);
    }
    return "has no evidence from " + environment + ": it has not been seen running healthy there, in this "
           "cluster or in an Evidence record";
  }
  std::string progress = progress_text(best->healthy_for(now), soak);
  if (best->ongoing) {
    // Rounded up to the minute: it could pass from then on, not before.
    UnixSeconds earliest = (best->healthy_since + soak + 59) / 60 * 60;
    return "has been healthy in " + environment + " for " + progress + " required; earliest " +
           moment_text(earliest, now);
  }
  return "was healthy in " + environment + " for " + progress + " required (" + best->origin +
         "), and is not running there now; deploy it there again and let it run";
}

bool proven_here(const std::vector<EvidenceRecord>& records, UnixSeconds now) {
  const EvidenceRecord* best = longest(records, now);
  return best && (best->ongoing || best->healthy_for(now) > 0);
}

}  // namespace

std::string evidence_summary(const RuleSet& rules, const std::string& environment, const EvidenceVersion& version,
                             const Observations& observations) {
  std::vector<EvidenceRecord> records = records_of(rules, version, environment, observations);
  // Times, not durations: the text stays the same from one audit to the
  // next while nothing changes, so unchanged reports are not rewritten.
  if (const EvidenceRecord* best = longest(records, observations.now)) {
    if (best->ongoing) return "healthy since " + rfc3339(best->healthy_since) + ", " + best->origin;
    return "healthy from " + rfc3339(best->healthy_since) + " to " + rfc3339(best->observed_until) + ", " + best->origin;
  }
  if (const EvidenceRecord* failed = last_failure(records)) return "degraded at " + rfc3339(failed->degraded_at);
  return "none";
}

std::optional<std::string> missing_evidence(const RuleSet& rules, std::size_t env, const EvidenceVersion& version,
                                            const Observations& observations) {
  const Environment& environment = rules.environments[env];
  if (!environment.evidence_required) return std::nullopt;
  const Environment::EvidenceRequirement& requirement = *environment.evidence_required;
  if (proven_here(records_of(rules, version, environment.name, observations), observations.now)) return std::nullopt;
  std::vector<std::string> missing;
  for (std::size_t from : requirement.from) {
    const std::string& name = rules.environments[from].name;
    std::string why = shortfall(records_of(rules, version, name, observations), name, requirement.soak_seconds,
                                observations.now);
    if (why.empty() && requirement.any) return std::nullopt;
    if (!why.empty()) missing.push_back(std::move(why));
  }
  if (missing.empty()) return std::nullopt;
  std::string message = version.text + " ";
  for (std::size_t i = 0; i < missing.size(); ++i) {
    message += (i == 0 ? "" : requirement.any ? "; nor " : "; and it ") + missing[i];
  }
  return message + "; " + environment.name + " admits a version after it ran healthy for " +
         duration_text(requirement.soak_seconds) + " in " + environments_text(rules, requirement.from, requirement.any) +
         " (requires.evidenceFrom)";
}

namespace {

// The versions of `key` promoted to `env` in `next` and not in `base`.
std::vector<PromotedVersion> new_versions(const PromotionIndex& next, const PromotionIndex* base, std::string_view key,
                                          std::size_t env, std::optional<std::size_t> base_env) {
  std::vector<PromotedVersion> out;
  PromotedVersions before = base && base_env ? base->find(key, *base_env) : PromotedVersions();
  for (const PromotedVersion& v : next.find(key, env).in_written_order()) {
    bool known = v.digest.empty() ? before.find_tag(v.tag).has_value() : before.has_digest(v.digest);
    if (!known) out.push_back(v);
  }
  return out;
}

}  // namespace

std::vector<std::string> promotions_without_evidence(const RuleSet& next, const RuleSet* base, UnixSeconds now) {
  std::vector<std::string> messages;
  Observations records_only{nullptr, now};
  for (std::size_t env = 0; env < next.environments.size(); ++env) {
    const Environment& environment = next.environments[env];
    if (!environment.evidence_required || environment.promotion_open) continue;
    std::optional<std::size_t> base_env = base ? base->environment_named(environment.name) : std::nullopt;
    for (EvidenceOf of : {EvidenceOf::Image, EvidenceOf::Chart}) {
      const PromotionIndex& index = of == EvidenceOf::Image ? next.promotions : next.chart_promotions;
      const PromotionIndex* before = !base ? nullptr : of == EvidenceOf::Image ? &base->promotions : &base->chart_promotions;
      for (std::string_view key : index.keys()) {
        for (const PromotedVersion& v : new_versions(index, before, key, env, base_env)) {
          std::string text = of == EvidenceOf::Image ? "image " + std::string(key) + (v.tag.empty() ? "@" : ":") +
                                                           std::string(v.tag.empty() ? v.digest : v.tag)
                                                     : "chart " + std::string(key) + " " + std::string(v.tag);
          EvidenceVersion version{of, std::string(key), std::string(v.tag), std::string(v.digest),
                                  text + ", promoted to " + environment.name + ","};
          if (auto why = missing_evidence(next, env, version, records_only)) messages.push_back(std::move(*why));
        }
      }
    }
  }
  return messages;
}

}  // namespace releasegate::engine
