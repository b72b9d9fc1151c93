// Instructions per call, for comparing two builds on a noisy machine:
// wall-clock medians on this 2-vCPU VM move by 20-30% between runs, while
// callgrind's instruction counts repeat exactly. bench/instructions.sh runs
// this program under callgrind with 1 and with N+1 iterations and divides
// the difference by N, so that set-up (loading rules, the first parse) and
// first-call costs drop out.
//
//   releasegate_instructions REVIEW.json ITERATIONS parse|decide|cache-hit|handle
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "admission/admission_handler.h"
#include "admission/admission_review.h"
#include "engine/decision_cache.h"
#include "engine/engine.h"
#include "policy/compiler.h"

int main(int argc, char** argv) {
  using namespace releasegate;
  if (argc != 4) {
    std::cerr << "usage: releasegate_instructions REVIEW.json ITERATIONS parse|decide|cache-hit|handle\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string body = text.str();
  const int iterations = std::atoi(argv[2]);
  const std::string what = argv[3];
  policy::LoadResult loaded = policy::load_rules({std::string(RELEASEGATE_SOURCE_DIR) + "/deploy/examples/rules"});
  auto review = admission::parse_admission_review(body).review;
  if (!loaded.rules || !review) {
    std::cerr << "releasegate_instructions: invalid rules or review\n";
    return 2;
  }
  runtime::RuleStore store;
  store.publish(loaded);
  admission::AdmissionHandler handler(store);
  engine::DecisionCache cache(100);
  std::size_t sink = 0;  // keeps the calls from being optimised away
  for (int i = 0; i < iterations; ++i) {
    if (what == "parse") sink += admission::parse_admission_review(body).review->request.changed_paths.size();
    if (what == "decide") sink += engine::evaluate(*loaded.rules, review->request).violations.size();
    if (what == "cache-hit") sink += cache.evaluate(loaded.rules, review->request).decision.violations.size();
    if (what == "handle") sink += handler.handle(admission::Endpoint::Validate, body).body.size();
  }
  return sink == 1 ? 1 : 0;
}
