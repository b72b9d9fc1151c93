#include "core/chart_version.h"

namespace releasegate {
namespace {

bool is_number(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s.front() == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Dot-separated identifiers of [0-9A-Za-z-].
bool is_identifiers(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  for (;;) {
    auto dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty()) return false;
    for (char c : part) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

bool is_exact_chart_version(std::string_view v) {
  if (!v.empty() && v.front() == 'v') v.remove_prefix(1);
  auto plus = v.find('+');
  if (plus != std::string_view::npos) {
    if (!is_identifiers(v.substr(plus + 1))) return false;
    v = v.substr(0, plus);
  }
  auto dash = v.find('-');
  if (dash != std::string_view::npos) {
    if (!is_identifiers(v.substr(dash + 1))) return false;
    v = v.substr(0, dash);
  }
  auto first = v.find('.');
  auto second = first == std::string_view::npos ? first : v.find('.', first + 1);
  if (second == std::string_view::npos) return false;
  return is_number(v.substr(0, first)) && is_number(v.substr(first + 1, second - first - 1)) &&
         is_number(v.substr(second + 1));
}

}  // namespace releasegate
