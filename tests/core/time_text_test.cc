#include "core/time_text.h"

#include <gtest/gtest.h>

namespace releasegate {
namespace {

TEST(Rfc3339, ReadsKubernetesTimestamps) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2026-12-02T14:32:00Z"), 1796221920);
  EXPECT_EQ(parse_rfc3339("2026-12-02T14:32:00.123456Z"), 1796221920);
  EXPECT_EQ(parse_rfc3339("2026-12-02T16:32:00+02:00"), 1796221920);
  EXPECT_EQ(parse_rfc3339("2026-12-02T09:02:00-05:30"), 1796221920);
}

TEST(Rfc3339, RefusesWhatIsNotOne) {
  for (const char* text : {"", "2026-12-02", "2026-12-02T14:32:00", "2026-12-02 14:32:00Z", "2026-02-31T00:00:00Z",
                           "2026-13-01T00:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T14:32:00Zjunk",
                           "2026-12-02T14:32:00.Z", "x026-12-02T14:32:00Z", "1013-12-02T15:02:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
}

TEST(Rfc3339, WritesWhatItReads) {
  for (UnixSeconds t : {UnixSeconds{0}, UnixSeconds{1796221920}, UnixSeconds{4102444799}}) {
    EXPECT_EQ(parse_rfc3339(rfc3339(t)), t) << rfc3339(t);
  }
  EXPECT_EQ(rfc3339(1796221920), "2026-12-02T14:32:00Z");
}

TEST(Duration, ReadsGoStyleUnits) {
  constexpr std::int64_t kMax = 30 * 24 * 3600;
  EXPECT_EQ(parse_duration("30m", kMax), 1800);
  EXPECT_EQ(parse_duration("1h30m", kMax), 5400);
  EXPECT_EQ(parse_duration("90s", kMax), 90);
  EXPECT_EQ(parse_duration("2h0m5s", kMax), 7205);
  for (const char* text : {"", "30", "m", "30x", "1m1h", "0s", "-5m", "30m30m", "721h", "1d"}) {
    EXPECT_FALSE(parse_duration(text, kMax)) << text;
  }
}

TEST(Duration, WritesShortestForm) {
  EXPECT_EQ(duration_text(1800), "30m");
  EXPECT_EQ(duration_text(5400), "1h30m");
  EXPECT_EQ(duration_text(7205), "2h5s");
  EXPECT_EQ(duration_text(0), "0s");
}

TEST(Moment, ShowsTheDateOnlyWhenAnotherDay) {
  UnixSeconds now = 1796221920;  // 2026-12-02T14:32:00Z
  EXPECT_EQ(moment_text(now + 600, now), "14:42Z");
  EXPECT_EQ(moment_text(now + 86400, now), "2026-12-03 14:32Z");
}

}  // namespace
TEST(TimeText, Rfc3339WithAFractionOfTheSecond) {
  auto t = std::chrono::system_clock::from_time_t(1'796'000'000) + std::chrono::microseconds(1234);
  EXPECT_EQ(rfc3339_fraction(t, 3), "2026-11-30T00:53:20.001Z");
  EXPECT_EQ(rfc3339_fraction(t, 6), "2026-11-30T00:53:20.001234Z");
  EXPECT_EQ(rfc3339_fraction(std::chrono::system_clock::from_time_t(0), 3), "1970-01-01T00:00:00.000Z");
}

TEST(TimeText, DurationsAreDigitsAndUnitsWithoutSigns) {
  EXPECT_EQ(parse_duration("1h30m", 720 * 3600), 5400);
  for (const char* signed_text : {"1h-59m", "-1h", "+5m", "1h+0m", "30m-29m"}) {
    EXPECT_FALSE(parse_duration(signed_text, 720 * 3600).has_value()) << signed_text;
  }
}

}  // namespace releasegate
