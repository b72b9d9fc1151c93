// The HTTP/1.1 subset the admission listener speaks: a request head parsed
// from received bytes, and responses serialised into one buffer (one TLS
// record on the wire for a typical AdmissionReview).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace releasegate::server {

struct RequestHead {
  std::string method;
  std::string path;   // without the query string
  std::string query;  // after '?', may be empty
  bool http10 = false;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  std::optional<std::string_view> header(std::string_view lower_name) const;
  // Content-Length as a number: nullopt when absent; error is set when it
  // is present but not a single decimal number.
  std::optional<std::size_t> content_length(bool* error) const;
  // Whether the client asked to close after this request.
  bool wants_close() const;
};

struct HeadParse {
  enum class Status { Incomplete, Complete, Invalid };
  Status status = Status::Incomplete;
  RequestHead head;
  std::size_t head_bytes = 0;  // bytes up to and including the blank line
  std::string error;           // for Invalid
};

// Parses the head at the start of `buffer`. Incomplete until the blank line
// has arrived; Invalid for malformed request lines and headers.
HeadParse parse_request_head(std::string_view buffer);

std::string_view status_text(int status);

// "HTTP/1.1 <status>", Content-Type, Content-Length, optional
// Connection: close and extra headers, then the body.
std::string serialize_response(int status, std::string_view content_type, std::string_view body, bool close,
                               const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

}  // namespace releasegate::server
