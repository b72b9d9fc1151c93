// What the fuzz targets share: the example rules (deploy/examples/rules),
// compiled once, as the webhook would serve them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/rule_store.h"

namespace releasegate::fuzz {

// The store holding the example rules; aborts when they do not compile
// (a broken fixture, not a finding).
const runtime::RuleStore& example_store();

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace releasegate::fuzz

// Every target defines this; libFuzzer calls it, and so does replay_main.cc
// in ordinary builds.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
