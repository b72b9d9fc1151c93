#include "server/http_request.h"

#include <algorithm>

namespace releasegate::server {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HeadParse invalid(std::string message) {
  HeadParse result;
  result.status = HeadParse::Status::Invalid;
  result.error = std::move(message);
  return result;
}

}  // namespace

std::optional<std::string_view> RequestHead::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::optional<std::size_t> RequestHead::content_length(bool* error) const {
  *error = false;
  std::optional<std::size_t> length;
  for (const auto& [name, value] : headers) {
    if (name != "content-length") continue;
    // Two Content-Length headers are how request smuggling starts.
    if (length || value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos) {
      *error = true;
      return std::nullopt;
    }
    length = std::stoull(value);
  }
  return length;
}

bool RequestHead::wants_close() const {
  auto connection = header("connection");
  if (!connection) return http10;
  std::string value(*connection);
  std::transform(value.begin(), value.end(), value.begin(), ::tolower);
  if (value.find("close") != std::string::npos) return true;
  return http10 && value.find("keep-alive") == std::string::npos;
}

HeadParse parse_request_head(std::string_view buffer) {
  auto end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos) return {};
  HeadParse result;
  result.head_bytes = end + 4;
  std::string_view head = buffer.substr(0, end);

  auto line_end = head.find("\r\n");
  std::string_view request_line = head.substr(0, line_end);
  auto sp1 = request_line.find(' ');
  auto sp2 = request_line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return invalid("malformed request line");
  std::string_view method = request_line.substr(0, sp1);
  std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = request_line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char)) return invalid("malformed method");
  if (target.empty() || target.front() != '/' || target.find(' ') != std::string_view::npos) {
    return invalid("malformed request target");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return invalid("unsupported HTTP version");
  result.head.method = std::string(method);
  auto question = target.find('?');
  result.head.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) result.head.query = std::string(target.substr(question + 1));
  result.head.http10 = version == "HTTP/1.0";

  while (line_end != std::string_view::npos) {
    std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string_view line = head.substr(start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    if (line.front() == ' ' || line.front() == '\t') return invalid("folded header lines are not accepted");
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return invalid("malformed header line");
    std::string name(line.substr(0, colon));
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return invalid("malformed header name");
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    result.head.headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  }
  result.status = HeadParse::Status::Complete;
  return result;
}

std::string_view status_text(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string serialize_response(int status, std::string_view content_type, std::string_view body, bool close,
                               const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  std::string out;
  out.reserve(160 + body.size());
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(status_text(status)).append("\r\n");
  out.append("Content-Type: ").append(content_type).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  if (close) out.append("Connection: close\r\n");
  for (const auto& [name, value] : extra_headers) out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

}  // namespace releasegate::server
