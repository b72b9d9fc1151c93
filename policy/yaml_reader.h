// Located YAML reading, internal to the rules compiler: every error says
// where (file, ConfigMap key, line and column), and every mapping is read by
// one declaration of its fields, from which both the unknown-key check and
// the reads come.
#pragma once

#include <concepts>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/pattern.h"
#include "core/promotion_table.h"
#include "policy/compiler.h"
#include "policy/yaml_tree.h"

namespace releasegate::policy {

// Where a YAML document's text sits in its file. Documents embedded in a
// ConfigMap's literal block (`key: |`) are shifted by the block's position
// so that errors point at the line a human edits.
struct Origin {
  std::string file;
  std::string context;
  int line_offset = 0;
  int column_offset = 0;
  std::string config_map = {};  // the ConfigMap the document is in, when known
};

// A step of reading a map: any callable taking `Args`, returning nothing or
// a bool (false: the map is invalid and is not read further).
template <class... Args>
class FieldStep {
 public:
  FieldStep() = default;
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, FieldStep> && std::invocable<F&, Args...>)
  FieldStep(F f) {  // NOLINT(google-explicit-constructor): written as lambdas in field lists
    if constexpr (std::is_void_v<std::invoke_result_t<F&, Args...>>) {
      step_ = [f = std::move(f)](Args... args) mutable {
        f(args...);
        return true;
      };
    } else {
      step_ = std::move(f);
    }
  }
  explicit operator bool() const { return static_cast<bool>(step_); }
  bool operator()(Args... args) const { return step_(args...); }

 private:
  std::function<bool(Args...)> step_;
};

// One field of a YAML map, declared once.
struct Field {
  // Fields are read in declaration order, except that `early` ones are read
  // before all others and `late` ones after (each in declaration order); the
  // known fields are listed in messages in declaration order.
  enum When { early, in_order, late };

  // The key; empty for a check of the map as read so far (called with the
  // map, at its place in the order, not a key of the map).
  std::string_view key = {};
  FieldStep<const yaml::Node&> read = {};  // called with the value when the key is present
  bool required = false;  // missing: "<what>: missing required field \"<key>\"" at the map
  FieldStep<> absent = {};  // called when the key is missing and not required
  When when = in_order;
};

// A check between the reads of a map's fields, e.g. of two fields together.
inline Field check(FieldStep<const yaml::Node&> step) { return Field{{}, std::move(step)}; }

// Collects errors for one document and reads its typed fields. Every read
// checks the YAML shape first: a rules typo must become an error with a
// location, never a wrong value.
class Reader {
 public:
  Reader(const Origin& origin, std::vector<LoadError>& errors, std::vector<LoadError>* warnings = nullptr)
      : origin_(origin), errors_(errors), warnings_(warnings) {}

  void error(const yaml::Mark& mark, std::string message);
  // Something valid but surely unintended (lint fails on it); dropped when
  // the reader has no warnings list.
  void warning(const yaml::Node& at, std::string message);
  void error(const yaml::Node& at, std::string message) { error(at.mark(), std::move(message)); }
  std::size_t error_count() const { return errors_.size(); }
  const Origin& origin() const { return origin_; }
  // A reader of another text held in this document (an Evidence's signed
  // statement), reporting into the same lists; `origin` must outlive it.
  Reader nested(const Origin& origin) const { return Reader(origin, errors_, warnings_); }

  // "file:line" of a node, for messages that point at another place.
  std::string location(const yaml::Node& node) const;
  // Where a node is, as errors report it, for errors found later (linking).
  WrittenAt written_at(const yaml::Node& node) const;

  // Reads a map by its declared fields; reports unknown keys (typos must
  // never be silently ignored) and missing required ones. Once the map is
  // invalid (a missing required field, or a read or check returning false),
  // the rest of the required fields are still checked but nothing else is
  // read. False when the map is invalid, or (with "<what> must be a map")
  // not a map.
  bool fields(const yaml::Node& node, std::string_view what, std::span<const Field> fields);
  bool fields(const yaml::Node& node, std::string_view what, std::initializer_list<Field> fields) {
    return this->fields(node, what, std::span<const Field>(fields.begin(), fields.size()));
  }

  std::optional<std::string> string(const yaml::Node& node, std::string_view what);
  // A string that must not be empty; `what` is e.g. "source.kind".
  std::optional<std::string> required_string(const yaml::Node& node, std::string_view what);
  std::optional<bool> boolean(const yaml::Node& node, std::string_view what);
  // A list of strings; returns each with its node for located errors.
  std::vector<std::pair<std::string, yaml::Node>> strings(const yaml::Node& node, std::string_view what);
  std::optional<Pattern> pattern(const std::string& text, const yaml::Node& at, std::string_view what);
  void patterns(const yaml::Node& node, std::string_view what, PatternList& into);

 private:
  void report_unknown_keys(const yaml::Node& node, std::string_view what, std::span<const Field> fields);

  LoadError at(const yaml::Mark& mark, std::string message) const;

  const Origin& origin_;
  std::vector<LoadError>& errors_;
  std::vector<LoadError>* warnings_;
};

}  // namespace releasegate::policy
