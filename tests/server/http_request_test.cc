#include "server/http_request.h"

#include <gtest/gtest.h>

namespace releasegate::server {
namespace {

TEST(RequestHead, ParsesRequestLineQueryAndLowerCasedHeaders) {
  HeadParse p = parse_request_head(
      "POST /validate?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length:  12 \r\n\r\nBODY");
  ASSERT_EQ(p.status, HeadParse::Status::Complete) << p.error;
  EXPECT_EQ(p.head.method, "POST");
  EXPECT_EQ(p.head.path, "/validate");
  EXPECT_EQ(p.head.query, "timeout=10s");
  EXPECT_EQ(p.head.header("content-type"), "application/json");
  bool error = false;
  EXPECT_EQ(p.head.content_length(&error), 12u);
  EXPECT_FALSE(error);
  EXPECT_EQ(p.head_bytes, std::string_view(
      "POST /validate?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length:  12 \r\n\r\n").size());
  EXPECT_FALSE(p.head.wants_close());
}

TEST(RequestHead, IncompleteUntilTheBlankLine) {
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nHost: x\r\n").status, HeadParse::Status::Incomplete);
}

TEST(RequestHead, ConnectionCloseAndHttp10) {
  EXPECT_TRUE(parse_request_head("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").head.wants_close());
  EXPECT_TRUE(parse_request_head("GET / HTTP/1.0\r\n\r\n").head.wants_close());
  EXPECT_FALSE(parse_request_head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.wants_close());
}

TEST(RequestHead, RejectsMalformedHeads) {
  for (const char* text : {"GET\r\n\r\n", "GET / HTTP/3\r\n\r\n", "G@T / HTTP/1.1\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
                           "GET / HTTP/1.1\r\nno colon\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
                           "GET / HTTP/1.1\r\nBad Name: v\r\n\r\n"}) {
    EXPECT_EQ(parse_request_head(text).status, HeadParse::Status::Invalid) << text;
  }
}

TEST(RequestHead, DuplicateOrMalformedContentLengthIsAnError) {
  bool error = false;
  parse_request_head("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n").head.content_length(&error);
  EXPECT_TRUE(error);
  parse_request_head("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n").head.content_length(&error);
  EXPECT_TRUE(error);
  EXPECT_FALSE(parse_request_head("GET / HTTP/1.1\r\n\r\n").head.content_length(&error));
  EXPECT_FALSE(error);
}

TEST(Response, SerialisedWithLengthAndOptionalClose) {
  std::string out = serialize_response(413, "application/json", "{}", true, {{"Allow", "POST"}});
  EXPECT_EQ(out, "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                 "Connection: close\r\nAllow: POST\r\n\r\n{}");
}

}  // namespace
}  // namespace releasegate::server
