#include "core/pattern.h"

#include <gtest/gtest.h>

namespace releasegate {
namespace {

Pattern compiled(const std::string& text) {
  Pattern::Compiled c = Pattern::compile(text);
  EXPECT_TRUE(c.pattern) << text << ": " << c.error;
  return std::move(*c.pattern);
}

TEST(Pattern, ExactMatchesOnlyItself) {
  Pattern p = compiled("prod");
  EXPECT_TRUE(p.matches("prod"));
  EXPECT_FALSE(p.matches("prod-eu"));
  EXPECT_FALSE(p.matches("pro"));
}

TEST(Pattern, StarMatchesAnyRunIncludingSlashes) {
  Pattern p = compiled("ghcr.io/acme/*");
  EXPECT_TRUE(p.matches("ghcr.io/acme/podinfo"));
  EXPECT_TRUE(p.matches("ghcr.io/acme/team/api"));
  EXPECT_FALSE(p.matches("ghcr.io/acmecorp/api"));
  EXPECT_FALSE(p.matches("docker.io/ghcr.io/acme/x"));
}

TEST(Pattern, StarsInTheMiddleAndAtBothEnds) {
  Pattern p = compiled("*-prod-*");
  EXPECT_TRUE(p.matches("eu-prod-1"));
  EXPECT_FALSE(p.matches("eu-prod"));
  Pattern q = compiled("a*b*c");
  EXPECT_TRUE(q.matches("abc"));
  EXPECT_TRUE(q.matches("axxbyyc"));
  EXPECT_FALSE(q.matches("acb"));
  EXPECT_FALSE(q.matches("abcb"));
  EXPECT_TRUE(compiled("*").matches(""));
  // Prefix and suffix must not overlap.
  EXPECT_FALSE(compiled("ab*ba").matches("aba"));
}

TEST(Pattern, RegexIsAnchoredToTheWholeValue) {
  Pattern p = compiled("regex:prod-[a-z]{2}");
  EXPECT_TRUE(p.matches("prod-eu"));
  EXPECT_FALSE(p.matches("prod-eu-1"));
  EXPECT_FALSE(p.matches("xprod-eu"));
}

TEST(Pattern, InvalidAndOversizedRegexesAreErrors) {
  EXPECT_FALSE(Pattern::compile("regex:(unclosed").pattern);
  Pattern::Compiled huge = Pattern::compile("regex:(abcdefgh){400}");
  EXPECT_FALSE(huge.pattern);
  EXPECT_NE(huge.error.find("too complex"), std::string::npos) << huge.error;
  EXPECT_FALSE(Pattern::compile("").pattern);
}

TEST(PatternList, MatchesAnyAndDescribesInOrder) {
  PatternList list;
  list.add(compiled("dev"));
  list.add(compiled("dev-*"));
  EXPECT_TRUE(list.matches("dev-42"));
  EXPECT_FALSE(list.matches("staging"));
  EXPECT_EQ(list.describe(), "dev, dev-*");
}

TEST(Pattern, CoversWhatItSurelyMatchesAll) {
  EXPECT_TRUE(compiled("dev-*").covers(compiled("dev-test")));
  EXPECT_TRUE(compiled("dev-*").covers(compiled("dev-*-eu")));
  EXPECT_TRUE(compiled("*").covers(compiled("prod-*")));
  EXPECT_TRUE(compiled("*-eu").covers(compiled("prod-*-eu")));
  EXPECT_TRUE(compiled("dev").covers(compiled("dev")));
  EXPECT_FALSE(compiled("dev-test").covers(compiled("dev-*")));
  EXPECT_FALSE(compiled("dev-*").covers(compiled("dev")));  // "dev" has no "-"
  EXPECT_FALSE(compiled("dev-*").covers(compiled("*-dev")));
  EXPECT_FALSE(compiled("prod-*-eu").covers(compiled("prod-*")));
  // A regex is compared as written: it covers, or is covered by, only itself.
  EXPECT_TRUE(compiled("regex:dev-.*").covers(compiled("regex:dev-.*")));
  EXPECT_FALSE(compiled("regex:dev-.*").covers(compiled("dev-test")));
  EXPECT_FALSE(compiled("*").covers(compiled("regex:dev-.*")));
}

// Two patterns may overlap unless no value can match both: what the
// ambiguity check of environments that select clusters relies on.
TEST(Pattern, MayOverlapUnlessNoValueMatchesBoth) {
  EXPECT_TRUE(compiled("prod").may_overlap(compiled("prod")));
  EXPECT_FALSE(compiled("prod").may_overlap(compiled("staging")));
  EXPECT_TRUE(compiled("prod-*").may_overlap(compiled("prod-eu")));
  EXPECT_FALSE(compiled("prod-*").may_overlap(compiled("prod")));
  EXPECT_TRUE(compiled("prod*").may_overlap(compiled("prod-*")));
  EXPECT_FALSE(compiled("eu-*").may_overlap(compiled("us-*")));
  EXPECT_FALSE(compiled("*-eu").may_overlap(compiled("*-us")));
  EXPECT_TRUE(compiled("*-eu").may_overlap(compiled("prod-*")));  // prod-eu
  EXPECT_FALSE(compiled("pr-*").may_overlap(compiled("prod-*")));
  EXPECT_TRUE(compiled("regex:x").may_overlap(compiled("y")));  // a regex may match anything
  EXPECT_TRUE(compiled("*").may_overlap(compiled("anything")));
}

TEST(PatternList, OverlapNamesThePatternsThatMayMatchTheSameValue) {
  PatternList a, b;
  a.add(compiled("dev"));
  a.add(compiled("prod-*"));
  b.add(compiled("staging"));
  EXPECT_FALSE(a.overlap(b));
  b.add(compiled("prod-eu"));
  auto found = a.overlap(b);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->first->text(), "prod-*");
  EXPECT_EQ(found->second->text(), "prod-eu");
}

}  // namespace
}  // namespace releasegate
