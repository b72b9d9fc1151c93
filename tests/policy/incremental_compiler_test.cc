// The incremental compiler against the full one: after each of many random
// edits to a rule set of several sources (versions added and removed,
// records moved between sources or duplicated, sources broken, removed and
// added, the policy's environments changed), both give the same errors, or
// the same rule set.
#include "policy/incremental_compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "tests/support/test_support.h"

namespace releasegate::policy {
namespace {

// A rule set as the test edits it: sources of records, rendered to YAML.
struct Model {
  struct Record {
    std::string repository;
    std::map<std::string, std::vector<std::string>> versions;  // environment -> versions
  };
  struct Source {
    std::string name;
    std::vector<Record> records;
    bool broken = false;
  };
  std::string policy = testing::kTestPolicy;
  std::vector<Source> sources;

  std::vector<RuleSource> render() const {
    std::vector<RuleSource> out{{"policy.yaml", policy}};
    for (const Source& source : sources) {
      std::string text = "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: " + source.name +
                         "\nspec:\n  images:\n";
      for (const Record& record : source.records) {
        text += "    - repository: " + record.repository + "\n      environments:\n";
        for (const auto& [env, versions] : record.versions) {
          text += "        " + env + ": [";
          for (std::size_t i = 0; i < versions.size(); ++i) text += (i ? ", \"" : "\"") + versions[i] + "\"";
          text += "]\n";
        }
      }
      if (source.broken) text += "  charts: [\n";
      out.push_back({source.name + ".yaml", text});
    }
    return out;
  }
};

// The rule set as text: every record's versions per environment.
std::string dump(const LoadResult& result) {
  std::string out;
  for (const auto& error : result.errors) out += "error " + error.to_string() + "\n";
  if (!result.rules) return out;
  std::vector<std::string_view> keys = result.rules->promotions.keys();
  std::sort(keys.begin(), keys.end());
  for (std::string_view key : keys) {
    out += std::string(key) + ":";
    for (std::size_t env = 0; env < result.rules->environments.size(); ++env) {
      out += " " + result.rules->environments[env].name + "=";
      for (const PromotedVersion& v : result.rules->promotions.find(key, env).in_written_order()) out += v.text() + ",";
    }
    out += "\n";
  }
  return out;
}

class RandomEdits {
 public:
  explicit RandomEdits(unsigned seed) : random_(seed) {}

  void edit(Model& model) {
    switch (pick(12)) {
      case 0: add_source(model); break;
      case 1:
        if (!model.sources.empty()) model.sources.erase(model.sources.begin() + pick(model.sources.size()));
        break;
      case 2: if (auto* s = any_source(model)) s->broken = !s->broken; break;
      case 3: if (auto* r = any_record(model)) r->versions["staging"].push_back(version()); break;
      case 4:  // promoted to prod: usually after staging, sometimes not (a chain error)
        if (auto* r = any_record(model)) {
          auto& staging = r->versions["staging"];
          r->versions["prod"].push_back(!staging.empty() && pick(4) ? staging[pick(staging.size())] : version());
        }
        break;
      case 5: if (auto* r = any_record(model)) r->versions.erase(pick(2) ? "prod" : "staging"); break;
      case 6:  // a repository recorded twice (an error), or moved to another source
        if (auto* r = any_record(model); r && !model.sources.empty()) {
          Model::Record copy = *r;
          if (pick(2)) r->repository = "ghcr.io/acme/moved-" + std::to_string(counter_++);
          model.sources[pick(model.sources.size())].records.push_back(copy);
        }
        break;
      case 7: if (auto* r = any_record(model)) r->versions[pick(2) ? "qa" : "dev"].push_back(version()); break;
      case 8: toggle_policy(model); break;
      case 9:
        for (Model::Source& source : model.sources) heal(model, source);
        break;
      default: if (auto* s = any_source(model)) heal(model, *s); break;
    }
  }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }
  std::string version() { return "1." + std::to_string(pick(6)) + "." + std::to_string(pick(3)); }

  void add_source(Model& model) {
    Model::Source source{"team-" + std::to_string(counter_++), {}};
    for (std::size_t i = pick(6); i > 0; --i) {
      source.records.push_back({"ghcr.io/acme/app-" + std::to_string(counter_++), {{"staging", {version()}}}});
    }
    model.sources.insert(model.sources.begin() + pick(model.sources.size() + 1), std::move(source));
  }
  Model::Source* any_source(Model& model) {
    return model.sources.empty() ? nullptr : &model.sources[pick(model.sources.size())];
  }
  Model::Record* any_record(Model& model) {
    Model::Source* source = any_source(model);
    return !source || source->records.empty() ? nullptr : &source->records[pick(source->records.size())];
  }
  // Undoes the errors of one source: its syntax, unknown environments,
  // versions in prod that skipped staging, repositories recorded earlier.
  void heal(const Model& model, Model::Source& source) {
    source.broken = false;
    std::set<std::string> earlier;
    for (const Model::Source& other : model.sources) {
      if (&other == &source) break;
      for (const Model::Record& record : other.records) earlier.insert(record.repository);
    }
    std::erase_if(source.records, [&](const Model::Record& r) { return !earlier.insert(r.repository).second; });
    for (Model::Record& record : source.records) {
      record.versions.erase("qa");
      const auto& staging = record.versions["staging"];
      std::erase_if(record.versions["prod"], [&](const std::string& v) {
        return std::find(staging.begin(), staging.end(), v) == staging.end();
      });
    }
  }
  // Environments change: staging opened (no chain check) or renamed.
  void toggle_policy(Model& model) {
    const std::string closed = "    - name: staging\n      namespaces: [\"staging\"]\n";
    const std::string open = closed + "      promotion: open\n";
    const std::string renamed = "    - name: qa\n      namespaces: [\"staging\"]\n";
    std::string& p = model.policy;
    for (const std::string* from : {&open, &closed, &renamed}) {
      auto at = p.find(*from);
      if (at == std::string::npos) continue;
      const std::string& to = *from == open ? (pick(2) ? closed : renamed) : (*from == closed ? open : closed);
      p.replace(at, from->size(), to);
      return;
    }
  }

  std::mt19937 random_;
  int counter_ = 0;
};

TEST(IncrementalCompiler, MatchesAFullCompileAfterEveryRandomEdit) {
  for (unsigned seed : {1u, 2u, 3u}) {
    Model model;
    RandomEdits edits(seed);
    IncrementalCompiler compiler;
    std::size_t valid = 0, invalid = 0;
    for (int step = 0; step < 300; ++step) {
      edits.edit(model);
      std::vector<RuleSource> sources = model.render();
      std::string full = dump(compile_rules(sources));
      LoadResult incremental = compiler.compile(sources, {});
      ASSERT_EQ(dump(incremental), full) << "seed " << seed << ", step " << step;
      (incremental.rules ? valid : invalid)++;
    }
    // Both kinds of state were reached, so both were compared.
    EXPECT_GT(valid, 20u) << "seed " << seed;
    EXPECT_GT(invalid, 20u) << "seed " << seed;
  }
}

TEST(IncrementalCompiler, CompilesOnlyTheSourcesThatChanged) {
  std::vector<RuleSource> sources{{"policy.yaml", testing::kTestPolicy}, {"a.yaml", testing::kTestPromotion}};
  for (int i = 0; i < 3; ++i) {
    std::string text = testing::kTestPromotion;
    text.replace(text.find("name: podinfo"), 13, "name: team-" + std::to_string(i));
    text.replace(text.find("acme/podinfo"), 12, "acme/app-" + std::to_string(i));
    text.replace(text.find("chart: podinfo"), 14, "chart: app-" + std::to_string(i));
    sources.push_back({"team-" + std::to_string(i) + ".yaml", text});
  }
  IncrementalCompiler compiler;
  ASSERT_TRUE(compiler.compile(sources, {}).rules);
  EXPECT_EQ(compiler.last_compiled(), sources.size());
  EXPECT_TRUE(compiler.changed());
  ASSERT_TRUE(compiler.compile(sources, {}).rules);
  EXPECT_EQ(compiler.last_compiled(), 0u);
  EXPECT_FALSE(compiler.changed());
  sources[3].content += "\n";  // one source edited
  ASSERT_TRUE(compiler.compile(sources, {}).rules);
  EXPECT_EQ(compiler.last_compiled(), 1u);
  EXPECT_TRUE(compiler.changed());
  sources.pop_back();  // one removed: nothing to compile, but a change
  LoadResult fewer = compiler.compile(sources, {});
  ASSERT_TRUE(fewer.rules);
  EXPECT_EQ(compiler.last_compiled(), 0u);
  EXPECT_TRUE(compiler.changed());
  EXPECT_FALSE(fewer.rules->promotions.contains("ghcr.io/acme/app-2"));
  EXPECT_TRUE(fewer.rules->promotions.contains("ghcr.io/acme/app-1"));
}

}  // namespace
}  // namespace releasegate::policy
