#include "core/chart_version.h"

#include <gtest/gtest.h>

namespace releasegate {
namespace {

TEST(ChartVersion, ExactSemverVersionsArePromotable) {
  for (const char* v : {"6.5.0", "v1.15.1", "1.0.0-rc.1", "2.3.4+build.7", "10.20.30-alpha-1+meta", "0.0.0"}) {
    EXPECT_TRUE(is_exact_chart_version(v)) << v;
  }
}

TEST(ChartVersion, RangesAndMalformedVersionsAreNot) {
  for (const char* v : {"", "*", "6.x", "6.5", ">=1.0.0", "^6.5.0", "~6.5.0", ">=1.0.0-alpha", "1.x.0", "01.2.3",
                        "1.2.3 - 1.4.0", "1.2.3 || 2.0.0", "1.2.3-", "1.2.3+", "1.2.3-a..b", "latest"}) {
    EXPECT_FALSE(is_exact_chart_version(v)) << v;
  }
}

}  // namespace
}  // namespace releasegate
