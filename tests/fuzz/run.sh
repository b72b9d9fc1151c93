#!/usr/bin/env bash
# Runs the libFuzzer targets of a RELEASEGATE_FUZZ build, FUZZ_JOBS at a
# time (default: one per core).
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET ...]
#
# Each target gets SECONDS (extra libFuzzer flags in FUZZ_FLAGS, for example
# -runs=10000000), its dictionary, and its seeds: the regression inputs, its
# own seeds and the repository fixtures (BUILD_DIR/fuzz-targets.txt, written
# by tests/fuzz/CMakeLists.txt). New inputs go to BUILD_DIR/fuzz-corpus/,
# findings to BUILD_DIR/fuzz-artifacts/. Fails on any crash, leak, input
# slower than 1 s or process above 2 GB; prints executions and coverage.
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=$2
shift 2
only=" $* "
targets_file=$build/fuzz-targets.txt
[ -s "$targets_file" ] || { echo "run.sh: $targets_file missing: configure with -DRELEASEGATE_FUZZ=ON" >&2; exit 2; }

run_one() {  # name program dict seeds...
  local name=$1 program=$2 dict=$3
  shift 3
  local corpus=$build/fuzz-corpus/$name artifacts=$build/fuzz-artifacts/$name log=$build/fuzz-logs/$name.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
  if "$program" "$corpus" "$@" -dict="$dict" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
       -artifact_prefix="$artifacts/" -print_final_stats=1 ${FUZZ_FLAGS:-} >"$log" 2>&1; then
    local execs rate cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    echo "fuzz $name: ok, $execs executions ($rate/s), $cov"
  else
    echo "fuzz $name: FAILED (log: $log, input: $artifacts)" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|timeout|out-of-memory' "$log" | head -20 >&2
    return 1
  fi
}
export -f run_one
export build seconds

failed=0
while read -r name program dict seeds; do
  [ "$only" = "  " ] || [[ $only == *" $name "* ]] || continue
  echo "$name $program $dict $seeds"
done <"$targets_file" | xargs -P "${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}" -L 1 bash -c 'run_one "$@"' _ || failed=1
exit $failed
