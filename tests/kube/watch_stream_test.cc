// Splitting a watch body into events: newlines only, never chunk boundaries.
#include "kube/watch_stream.h"

#include <gtest/gtest.h>

namespace releasegate::kube {
namespace {

struct Collected {
  std::vector<std::string> types;
  WatchStream::OnEvent on_event() {
    return [this](WatchEvent&& event) {
      types.push_back(event.type == WatchEventType::Added ? "ADDED" : event.object.value("kind", "?"));
      return true;
    };
  }
};

const std::string kAdded = R"({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a"}}})";

TEST(WatchStream, EventsSplitOnNewlinesAcrossAnyBoundaries) {
  std::string body = kAdded + "\n" + kAdded + "\n" + kAdded + "\n";
  for (std::size_t piece = 1; piece <= body.size(); piece += 7) {
    WatchStream stream;
    Collected seen;
    for (std::size_t at = 0; at < body.size(); at += piece) {
      ASSERT_TRUE(stream.feed(std::string_view(body).substr(at, piece), seen.on_event()));
    }
    EXPECT_EQ(seen.types.size(), 3u) << piece;
    EXPECT_FALSE(stream.has_partial());
  }
}

TEST(WatchStream, APartialLastLineIsKept) {
  WatchStream stream;
  Collected seen;
  EXPECT_TRUE(stream.feed(kAdded + "\n" + kAdded.substr(0, 20), seen.on_event()));
  EXPECT_EQ(seen.types.size(), 1u);
  EXPECT_TRUE(stream.has_partial());
}

TEST(WatchStream, BlankLinesAndCarriageReturnsCarryNoEvent) {
  WatchStream stream;
  Collected seen;
  EXPECT_TRUE(stream.feed("\n\r\n" + kAdded + "\r\n", seen.on_event()));
  EXPECT_EQ(seen.types.size(), 1u);
}

TEST(WatchStream, MalformedEventsBreakTheStream) {
  for (const char* line : {"not json", "[]", R"({"object":{}})", R"({"type":"ADDED"})", R"({"type":"ADDED","object":1})",
                           R"({"type":"RENAMED","object":{}})", R"({"type":7,"object":{}})"}) {
    WatchStream stream;
    Collected seen;
    EXPECT_FALSE(stream.feed(std::string(line) + "\n" + kAdded + "\n", seen.on_event())) << line;
    EXPECT_TRUE(seen.types.empty()) << line;
    EXPECT_FALSE(stream.error().empty()) << line;
    EXPECT_FALSE(stream.feed(kAdded + "\n", seen.on_event())) << "a broken stream stays broken";
  }
}

TEST(WatchStream, CallbackCanStopTheStream) {
  WatchStream stream;
  int calls = 0;
  EXPECT_FALSE(stream.feed(kAdded + "\n" + kAdded + "\n", [&](WatchEvent&&) { return ++calls < 1; }));
  EXPECT_EQ(calls, 1);
}

TEST(WatchStream, EveryEventTypeParses) {
  for (const char* type : {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"}) {
    std::string error;
    EXPECT_TRUE(parse_watch_event(std::string(R"({"type":")") + type + R"(","object":{}})", &error)) << type;
  }
}

}  // namespace
}  // namespace releasegate::kube
