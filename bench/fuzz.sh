#!/usr/bin/env bash
# The long fuzzing run (bench/README.md records it): every target for
# 10 million executions or SECONDS (default 4 hours), whichever ends first.
#
#   bench/fuzz.sh [SECONDS] [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-14400}
shift || true
.ci/install-deps
cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRELEASEGATE_FUZZ=ON \
  -DRELEASEGATE_BUILD_TESTS=OFF -DRELEASEGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz -j "$(nproc)"
FUZZ_FLAGS="-runs=10000000 ${FUZZ_FLAGS:-}" tests/fuzz/run.sh build/fuzz "$seconds" "$@"
