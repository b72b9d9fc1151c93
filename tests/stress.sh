#!/usr/bin/env bash
# The whole test suite, RUNS times in a row, while stress-ng keeps CPU
# hogs (4 by default, on a 2-core machine) running beside it: tests wait
# on conditions, so a busy machine may slow them but must not fail them.
#
#   tests/stress.sh BUILD_DIR [RUNS] [HOGS]
#
# Fails at the first run that fails. stress-ng is stopped however it ends.
set -euo pipefail
build=$1
runs=${2:-1}
hogs=${3:-4}
command -v stress-ng >/dev/null || { echo "stress.sh: stress-ng is missing (.ci/install-deps installs it)" >&2; exit 2; }
stress-ng --cpu "$hogs" --timeout 3h --quiet &
hog=$!
trap 'kill "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true' EXIT
for run in $(seq 1 "$runs"); do
  echo "stress.sh: run $run of $runs beside stress-ng --cpu $hogs" >&2
  started=$(date +%s)
  ctest --test-dir "$build" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
  echo "stress.sh: run $run passed in $(( $(date +%s) - started )) s" >&2
done
