// ARCHITECTURE.md's size limits, kept true by CI: outside tests and
// benchmarks, a source file has at most 500 lines and a function at most
// 60, counted from the first line of its signature to its closing brace
// (a constructor's initializer list counts). Functions are found by a
// brace scanner that knows comments, string, character and raw string
// literals, namespaces, classes and parentheses: enough for this code base,
// and tested below on the shapes it must tell apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace releasegate::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxFileLines = 500;
constexpr int kMaxFunctionLines = 60;

struct Function {
  std::string signature;  // its first line, trimmed
  int first_line = 0;
  int lines = 0;
};

// Comments and the contents of literals become spaces; line breaks stay.
std::string code_only(const std::string& text) {
  std::string out = text;
  std::size_t i = 0;
  auto blank = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to && k < out.size(); ++k) {
      if (out[k] != '\n') out[k] = ' ';
    }
  };
  bool line_start = true;
  while (i < text.size()) {
    if (line_start && text[i] == '#') {  // a preprocessor line, continued by backslashes
      std::size_t end = i;
      while (end < text.size() && (text[end] != '\n' || (end > i && text[end - 1] == '\\'))) ++end;
      blank(i, end);
      i = end;
      continue;
    }
    if (text[i] == '\n') {
      line_start = true;
    } else if (text[i] != ' ' && text[i] != '\t') {
      line_start = false;
    }
    if (text.compare(i, 2, "//") == 0) {
      std::size_t end = text.find('\n', i);
      end = end == std::string::npos ? text.size() : end;
      blank(i, end);
      i = end;
    } else if (text.compare(i, 2, "/*") == 0) {
      std::size_t end = text.find("*/", i + 2);
      end = end == std::string::npos ? text.size() : end + 2;
      blank(i, end);
      i = end;
    } else if (text[i] == 'R' && i + 1 < text.size() && text[i + 1] == '"' &&
               (i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_'))) {
      std::size_t open = text.find('(', i + 2);
      if (open == std::string::npos) break;
      std::string close = ")" + text.substr(i + 2, open - i - 2) + "\"";
      std::size_t end = text.find(close, open);
      end = end == std::string::npos ? text.size() : end + close.size();
      blank(i + 1, end);
      i = end;
    } else if (text[i] == '"' || text[i] == '\'') {
      char quote = text[i];
      std::size_t k = i + 1;
      while (k < text.size() && text[k] != quote && text[k] != '\n') k += text[k] == '\\' ? 2 : 1;
      blank(i + 1, k);
      i = k + 1;
    } else {
      ++i;
    }
  }
  return out;
}

std::string trimmed(const std::string& text) {
  std::size_t begin = text.find_first_not_of(" \t\n");
  if (begin == std::string::npos) return {};
  std::size_t end = text.find_last_not_of(" \t\n");
  return text.substr(begin, end - begin + 1);
}

// A declaration head before '{' that opens a function body: it has a
// parameter list, and no '=' before it (a variable initialised by a lambda
// or a braced list); operator= and operator== are names, not initialisers.
bool looks_like_function(const std::string& head) {
  static const std::regex operator_name(R"(operator\s*[^\s(]*)");
  std::string text = std::regex_replace(head, operator_name, "operator");
  std::size_t paren = text.find('(');
  return paren != std::string::npos && text.find('=') > paren;
}

// Every function body at namespace or class scope, with its length.
std::vector<Function> functions_of(const std::string& source) {
  enum class Scope { Namespace, Type, Function, Other };
  std::string code = code_only(source);
  std::vector<Scope> scopes;
  std::vector<int> paren_depths;  // the parenthesis depth each open brace was at
  std::vector<Function> open_functions;
  std::vector<Function> out;
  std::string statement;  // since the last ; { or } at this level
  int statement_line = 0, line = 1, parens = 0;
  auto in_function = [&] {
    for (Scope s : scopes) {
      if (s == Scope::Function) return true;
    }
    return false;
  };
  static const std::regex type_head(R"(^(template\s*<.*>\s*)?(class|struct|union|enum)\b[^(=]*$)");
  static const std::regex namespace_head(R"(^(inline\s+)?namespace\b[^(]*$|^extern\s*$)");
  for (char c : code) {
    if (c == '\n') ++line;
    if (c == '(') ++parens;
    if (c == ')') --parens;
    if (c == '{') {
      std::string head = trimmed(statement);
      Scope scope = Scope::Other;
      if (parens > 0 || in_function()) {
        scope = Scope::Other;
      } else if (std::regex_search(head, namespace_head)) {
        scope = Scope::Namespace;
      } else if (std::regex_search(head, type_head)) {
        scope = Scope::Type;
      } else if (looks_like_function(head)) {
        scope = Scope::Function;
        open_functions.push_back({head.substr(0, head.find('\n')), statement_line, 0});
      }
      scopes.push_back(scope);
      paren_depths.push_back(parens);
      if (parens == 0) statement.clear();
      continue;
    }
    if (c == '}') {
      if (scopes.empty()) continue;
      Scope scope = scopes.back();
      scopes.pop_back();
      paren_depths.pop_back();
      if (scope == Scope::Function) {
        Function f = open_functions.back();
        open_functions.pop_back();
        f.lines = line - f.first_line + 1;
        out.push_back(f);
      }
      if (parens == 0) statement.clear();
      continue;
    }
    if (c == ';' && parens == 0) {
      statement.clear();
      continue;
    }
    if (statement.empty() && (c == ' ' || c == '\n' || c == '\t')) continue;
    if (statement.empty()) statement_line = line;
    statement.push_back(c);
  }
  return out;
}

std::vector<fs::path> product_sources() {
  std::vector<fs::path> out;
  for (const char* folder : {"admission", "audit", "cli", "core", "engine", "evidence", "kube", "policy", "runtime",
                             "server", "signing"}) {
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(source_dir() / folder)) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".cc" || ext == ".h")) out.push_back(entry.path());
    }
  }
  return out;
}

TEST(SizeLimits, ScannerFindsFunctionsAndTheirLengths) {
  std::string source =
      "namespace a {\n"                                // 1
      "struct S {\n"                                   // 2
      "  int f() const { return 1; }\n"                // 3
      "};\n"                                           // 4
      "const char* k = \"{ not a brace\";  // {\n"     // 5
      "S::S(int x)\n"                                  // 6
      "    : x_(g({1, 2})) {\n"                        // 7
      "  auto l = [] { return R\"({)\"; };\n"          // 8
      "  if (x) {\n"                                   // 9
      "  }\n"                                          // 10
      "}\n"                                            // 11
      "int table[] = {1, 2};\n"                        // 12
      "#define BLOCK(x) { x; }\n"                      // 13
      "bool operator==(const S&, const S&) { return true; }\n"  // 14
      "}  // namespace a\n";                           // 15
  std::vector<Function> found = functions_of(source);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].signature, "int f() const");
  EXPECT_EQ(found[0].lines, 1);
  EXPECT_EQ(found[1].signature, "S::S(int x)");
  EXPECT_EQ(found[1].first_line, 6);
  EXPECT_EQ(found[1].lines, 6);
  EXPECT_EQ(found[2].first_line, 14);
}

TEST(SizeLimits, SourceFilesAndFunctionsStayWithinThem) {
  std::vector<fs::path> sources = product_sources();
  ASSERT_GT(sources.size(), 50u);
  for (const fs::path& path : sources) {
    std::string text = read_file(path);
    int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    std::string name = fs::relative(path, source_dir()).string();
    EXPECT_LE(lines, kMaxFileLines) << name << " has " << lines << " lines";
    for (const Function& f : functions_of(text)) {
      EXPECT_LE(f.lines, kMaxFunctionLines)
          << name << ":" << f.first_line << ": " << f.signature << " has " << f.lines << " lines";
    }
  }
}

}  // namespace
}  // namespace releasegate::testing
