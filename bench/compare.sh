#!/usr/bin/env bash
# Benchmark releasegate against a minimal Go standard-library webhook under the
# same wrk load over loopback TLS, and print a Markdown table.
#
#   bench/compare.sh [--quick] [--connections 16] [--duration 10s] [--threads 2]
#
# Env:
#   BUILD_DIR        where the Go baseline is built and wrk logs go (default: build/bench)
#   RELEASEGATE_CMD  releasegate command line, run from the repo root; {cert} and {key}
#                    become this script's throwaway cert/key. Unset: only the Go row.
#   RELEASEGATE_URL  where that command serves (default https://127.0.0.1:8445/validate)
#   BODY             AdmissionReview to POST (default: the Deployment CREATE fixture)
#   BEFORE_CMD       optional: another build's releasegate command (same placeholders), serving
#                    https://127.0.0.1:8446/validate: a before/after comparison in the same run
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
connections=16 duration=10s threads=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) duration=3s; shift ;;
    --connections) connections=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: $0 [--quick] [--connections N] [--duration 10s] [--threads N]" >&2; exit 2 ;;
  esac
done
build_dir=${BUILD_DIR:-$repo/build/bench}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)   # absolute: the releasegate command runs from $repo
body=${BODY:-$here/fixtures/deployment-create-review.json}

# Build the baseline offline: it is standard library only, so no proxy is needed.
(cd "$here/go-baseline" && GO111MODULE=on GOPROXY=off GOFLAGS='' \
   GOCACHE="$build_dir/gocache" go build -o "$build_dir/go-baseline" .)

# Servers and temp files must go away however we exit; kill only what we started.
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Throwaway self-signed cert for 127.0.0.1 (wrk does not verify it anyway).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

# servers: "name url pid" per line.
servers=()
start() {  # start NAME URL COMMAND...   (logs to $tmp/NAME.log)
  local name=$1 url=$2; shift 2
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=("$!"); servers+=("$name $url $!")
}
start go-baseline https://127.0.0.1:8444/validate \
  "$build_dir/go-baseline" -listen 127.0.0.1:8444 -tls-cert "$tmp/cert.pem" -tls-key "$tmp/key.pem"
if [[ -n ${RELEASEGATE_CMD:-} ]]; then
  cmd=${RELEASEGATE_CMD//\{cert\}/$tmp/cert.pem}
  cmd=${cmd//\{key\}/$tmp/key.pem}
  # exec, so the PID we hold is the server itself: load.sh reads its CPU from /proc.
  start releasegate "${RELEASEGATE_URL:-https://127.0.0.1:8445/validate}" \
    bash -c "cd \"\$1\" && exec $cmd" _ "$repo"
fi
if [[ -n ${BEFORE_CMD:-} ]]; then
  cmd=${BEFORE_CMD//\{cert\}/$tmp/cert.pem}
  cmd=${cmd//\{key\}/$tmp/key.pem}
  start releasegate-before https://127.0.0.1:8446/validate bash -c "cd \"\$1\" && exec $cmd" _ "$repo"
fi

# Wait until each server accepts TCP (bash /dev/tcp: no extra tools), and fail
# early with its log if it died (bad flags, port already in use...).
for s in "${servers[@]}"; do
  read -r name url pid <<<"$s"
  hostport=${url#https://}; hostport=${hostport%%/*}
  for ((i = 0; ; i++)); do
    kill -0 "$pid" 2>/dev/null || { echo "$name exited:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
    (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null && break
    ((i < 150)) || { echo "$name: $url not accepting after 30s" >&2; exit 1; }
    sleep 0.2
  done
done

# Per server: 2 s warm-up (JIT-free, but page cache, allocator and Go GC pacing
# settle), then the configured load and a 1-connection latency run.
declare -A rps cpu
rows=()
for s in "${servers[@]}"; do
  read -r name url pid <<<"$s"
  "$here/load.sh" --url "$url" --pid "$pid" --body "$body" --connections "$connections" \
    --threads "$threads" --duration 2s --label warmup >/dev/null 2>&1
  for c in "$connections" 1; do
    line=$("$here/load.sh" --url "$url" --pid "$pid" --body "$body" --connections "$c" \
             --threads "$threads" --duration "$duration" --label "$name" 2>"$build_dir/wrk-$name-c$c.txt")
    echo "$line" | tee -a "$build_dir/results.txt" >&2
    declare -A r=()
    for kv in $line; do r[${kv%%=*}]=${kv#*=}; done
    rps[$name,$c]=${r[rps]}; cpu[$name,$c]=${r[cpu_us_per_req]}
    rows+=("| $name | $c | ${r[rps]} | ${r[p50_ms]} | ${r[p99_ms]} | ${r[cpu_us_per_req]} | ${r[errors]} |")
    (( r[errors] == 0 )) || echo "WARNING: $name had ${r[errors]} errors (see $build_dir/wrk-$name-c$c.txt)" >&2
  done
done

echo
echo "AdmissionReview: $(basename "$body") ($(wc -c <"$body") bytes), wrk $threads threads, $duration per run, TLS keep-alive"
echo
echo "| server | connections | req/s | p50 ms | p99 ms | server CPU µs/req | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
if [[ -n ${RELEASEGATE_CMD:-} ]]; then
  echo
  echo "| connections | releasegate req/s ÷ Go req/s | Go CPU/req ÷ releasegate CPU/req |"
  echo "|---:|---:|---:|"
  for name in releasegate ${BEFORE_CMD:+releasegate-before}; do
    echo "$name:"
    for c in "$connections" 1; do
      awk -v c="$c" -v r1="${rps[$name,$c]}" -v r0="${rps[go-baseline,$c]}" \
          -v c1="${cpu[$name,$c]}" -v c0="${cpu[go-baseline,$c]}" \
          'BEGIN { printf "| %s | %.2fx | %s |\n", c, r1 / r0, (c1 > 0 ? sprintf("%.2fx", c0 / c1) : "n/a") }'
    done
  done
fi
echo
# Both servers and wrk share this machine: numbers only compare within one run.
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'). wrk and servers share these CPUs."
