#!/usr/bin/env bash
# The developer entry point; both README commands go through here.
#
#   ./dev.sh run     build, make dev certificates, serve on https://127.0.0.1:8443
#   ./dev.sh test    build with ASan + UBSan and run every test, then again
#                    beside stress-ng CPU hogs (STRESS_RUNS times, 1), then
#                    each fuzz target for FUZZ_SECONDS (30) (what CI runs)
#   ./dev.sh bench   release build, micro-benchmarks and the wrk comparison
#
# Each installs what it needs with apt first (.ci/install-deps).
set -euo pipefail
cd "$(dirname "$0")"

jobs=$(nproc 2>/dev/null || echo 2)

configure_and_build() {  # build_dir cmake_args...
  local dir=$1
  shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

case "${1:-}" in
  run)
    .ci/install-deps
    configure_and_build build/release -DCMAKE_BUILD_TYPE=Release -DRELEASEGATE_BUILD_TESTS=OFF -DRELEASEGATE_BUILD_BENCH=OFF
    certs/dev-certs.sh certs/dev
    cat <<MSG

releasegate: https://127.0.0.1:8443 (/validate, /mutate), probes on http://127.0.0.1:9090 (/healthz, /readyz)
rules: deploy/examples/rules. In another terminal, send a sample AdmissionReview:

  curl --cacert certs/dev/ca.crt -H 'Content-Type: application/json' --data @deploy/examples/reviews/deployment-update-prod-kubectl-set-image.json https://127.0.0.1:8443/validate

(other samples: ls deploy/examples/reviews/). Ctrl-C stops the server.

MSG
    exec build/release/cli/releasegate serve --listen 127.0.0.1:8443 --metrics-listen 127.0.0.1:9090 \
      --tls-cert certs/dev/tls.crt --tls-key certs/dev/tls.key --rules deploy/examples/rules
    ;;
  test)
    .ci/install-deps
    configure_and_build build/asan -DCMAKE_BUILD_TYPE=Debug -DRELEASEGATE_SANITIZE=ON
    ctest --test-dir build/asan --output-on-failure -j "$jobs"
    # Again beside CPU hogs: a busy machine must not fail a test (STRESS_RUNS: how often).
    tests/stress.sh build/asan "${STRESS_RUNS:-1}"
    # Each libFuzzer target briefly (bench/fuzz.sh runs them long).
    configure_and_build build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRELEASEGATE_FUZZ=ON -DRELEASEGATE_BUILD_TESTS=OFF -DRELEASEGATE_BUILD_BENCH=OFF
    tests/fuzz/run.sh build/fuzz "${FUZZ_SECONDS:-30}"
    ;;
  bench)
    BENCH_DEPS=1 .ci/install-deps
    configure_and_build build/bench -DCMAKE_BUILD_TYPE=Release -DRELEASEGATE_BUILD_TESTS=OFF
    build/bench/bench/releasegate_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
    RELEASEGATE_CMD="build/bench/cli/releasegate serve --listen 127.0.0.1:8445 --tls-cert {cert} --tls-key {key} --rules deploy/examples/rules --metrics-listen 127.0.0.1:9095" \
      bench/compare.sh "${@:2}"
    ;;
  *)
    echo "usage: ./dev.sh run|test|bench" >&2
    exit 2
    ;;
esac
