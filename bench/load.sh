#!/usr/bin/env bash
# Drive one admission webhook with wrk and print one machine-readable result line:
#   label=NAME connections=N requests=R duration_s=D rps=X p50_ms=Y p99_ms=Z cpu_us_per_req=C errors=E
# The server's CPU cost comes from /proc/PID/stat (utime+stime, all threads) read
# before and after the run, so it measures the server alone, not wrk.
# wrk's own human-readable output goes to stderr.
set -euo pipefail

usage() {
  echo "usage: $0 --url https://127.0.0.1:PORT/validate --pid PID --body FILE" \
       "[--connections 16] [--threads 2] [--duration 10s] [--label NAME]" >&2
  exit 2
}

url='' pid='' body='' connections=16 threads=2 duration=10s label=''
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) url=$2 ;;
    --pid) pid=$2 ;;
    --body) body=$2 ;;
    --connections) connections=$2 ;;
    --threads) threads=$2 ;;
    --duration) duration=$2 ;;
    --label) label=$2 ;;
    *) usage ;;
  esac
  shift 2 || usage
done
[[ -n $url && -n $pid && -n $body ]] || usage
[[ -r $body ]] || { echo "load.sh: cannot read body file $body" >&2; exit 2; }
label=${label:-$url}
# wrk refuses fewer connections than threads; a 1-connection run needs 1 thread.
if (( threads > connections )); then threads=$connections; fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# utime+stime in clock ticks. Fields are counted after the last ')' because the
# command name (field 2) may itself contain spaces or parentheses.
cpu_ticks() {
  local stat
  stat=$(<"/proc/$pid/stat") || { echo "load.sh: server pid $pid is gone" >&2; exit 1; }
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"   # fields 14,15 of the full line
}

before=$(cpu_ticks)
# --latency keeps per-request samples; post-review.lua's done() prints WRK_RESULT.
out=$(BODY_FILE=$body wrk --latency --connections "$connections" --threads "$threads" \
        --duration "$duration" --script "$here/post-review.lua" "$url")
after=$(cpu_ticks)
echo "$out" >&2

result=$(grep '^WRK_RESULT ' <<<"$out") || { echo "load.sh: no WRK_RESULT from wrk" >&2; exit 1; }
awk -v label="$label" -v conns="$connections" -v ticks=$((after - before)) \
    -v hz="$(getconf CLK_TCK)" -v line="$result" 'BEGIN {
  n = split(line, kv, /[ =]/)
  for (i = 2; i < n; i += 2) r[kv[i]] = kv[i + 1]
  req = r["requests"]; secs = r["duration_us"] / 1e6
  cpu = req > 0 ? ticks / hz * 1e6 / req : 0
  printf "label=%s connections=%d requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p99_ms=%.3f cpu_us_per_req=%.1f errors=%d\n",
    label, conns, req, secs, (secs > 0 ? req / secs : 0), r["p50_us"] / 1000, r["p99_us"] / 1000,
    cpu, r["status_errors"] + r["socket_errors"]
}'
