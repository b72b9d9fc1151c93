#include "webhook/flags.h"

namespace releasegate::webhook {

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

}  // namespace releasegate::webhook
