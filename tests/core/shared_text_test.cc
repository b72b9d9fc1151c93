// Shared text and the pool that hands out one copy per distinct text.
#include "core/shared_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace releasegate {
namespace {

TEST(TextPool, OneCopyPerDistinctText) {
  TextPool pool;
  SharedText a = pool.intern("staging");
  SharedText b = pool.intern(std::string("stag") + "ing");
  EXPECT_EQ(&a.str(), &b.str()) << "the same text is held once";
  EXPECT_NE(&a.str(), &pool.intern("prod").str());
  EXPECT_EQ(pool.size(), 2u);
}

TEST(TextPool, TextsNoOneHoldsAreForgottenAsItGrows) {
  TextPool pool;
  SharedText kept = pool.intern("kept");
  for (int i = 0; i < 10'000; ++i) pool.intern("pr-" + std::to_string(i));  // namespaces that came and went
  EXPECT_LT(pool.size(), 200u) << "a pool of texts nobody holds would grow without end";
  EXPECT_EQ(&pool.intern("kept").str(), &kept.str()) << "a text still held is never forgotten";

  std::vector<SharedText> held;
  for (int i = 0; i < 1'000; ++i) held.push_back(pool.intern("ns-" + std::to_string(i)));
  EXPECT_GE(pool.size(), 1'000u);
  for (int i = 0; i < 1'000; ++i) EXPECT_EQ(&pool.intern("ns-" + std::to_string(i)).str(), &held[i].str());
}

}  // namespace
}  // namespace releasegate
