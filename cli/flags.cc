#include "cli/flags.h"

namespace releasegate::cli {

std::optional<std::size_t> parse_positive(std::string_view text) {
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t n = std::stoull(std::string(text));
  return n == 0 ? std::nullopt : std::optional<std::size_t>(n);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto unit_at = text.find_first_not_of("0123456789");
  if (unit_at == std::string_view::npos || unit_at == 0) return std::nullopt;
  auto amount = parse_positive(text.substr(0, unit_at));
  if (!amount) return std::nullopt;
  std::string_view unit = text.substr(unit_at);
  std::chrono::milliseconds::rep n = static_cast<std::chrono::milliseconds::rep>(*amount);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  return std::nullopt;
}

bool Flags::parse(const std::vector<std::string>& args, std::string* error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("-")) {
      *error = "unexpected argument \"" + arg + "\"";
      return false;
    }
    std::string name = arg.substr(arg.starts_with("--") ? 2 : 1);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches_.contains(name)) {
      if (value) {
        *error = "--" + name + " takes no value";
        return false;
      }
      values_[name].push_back("true");
      continue;
    }
    if (!value_flags_.contains(name)) {
      *error = "unknown flag --" + name;
      return false;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        *error = "--" + name + " needs a value";
        return false;
      }
      value = args[++i];
    }
    values_[name].push_back(*value);
  }
  return true;
}

std::optional<std::string> Flags::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Flags::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool Flags::has(const std::string& name) const { return values_.contains(name); }

}  // namespace releasegate::cli
