#!/usr/bin/env bash
# Latency at a fixed request rate (wrk cannot hold one): hey sends RATE
# requests per second over CONNECTIONS keep-alive TLS connections for
# DURATION and prints its percentiles; with --metrics URL the server's own
# admission_duration histogram is read before and after, giving the
# server-side share of the same requests.
#
#   bench/latency.sh --url https://127.0.0.1:8445/validate --rate 6000 [--connections 16]
#                    [--duration 20s] [--body FILE] [--metrics http://127.0.0.1:9095/metrics]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url='' rate='' connections=16 duration=20s metrics='' body=$here/fixtures/deployment-create-review.json
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) url=$2 ;; --rate) rate=$2 ;; --connections) connections=$2 ;;
    --duration) duration=$2 ;; --body) body=$2 ;; --metrics) metrics=$2 ;;
    *) echo "usage: see the header of $0" >&2; exit 2 ;;
  esac
  shift 2
done
[[ -n $url && -n $rate ]] || { echo "latency.sh: --url and --rate are required" >&2; exit 2; }

buckets() { curl -sf "$metrics" | sed -n 's/^releasegate_admission_duration_seconds_bucket{webhook="validate",le="\([^"]*\)"} \(.*\)$/\1 \2/p'; }
[[ -n $metrics ]] && before=$(buckets)

# hey's -q is per connection; it verifies no certificate (loopback only).
out=$(hey -z "$duration" -c "$connections" -q $(( (rate + connections - 1) / connections )) -m POST \
        -T application/json -D "$body" "$url")
awk '/Requests\/sec/ { printf "achieved_rps=%.0f ", $2 }
     /^  (50|90|99)% in/ { sub("%", "", $1); printf "p%s_ms=%.2f ", $1, $3 * 1000 }
     /^  \[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); printf "status_%s=%s ", $1, $2 }' <<<"$out"

if [[ -n $metrics ]]; then
  # Server-side p99: the first bucket holding 99% of this run's requests.
  paste <(echo "$before") <(buckets) | awk '{ le[NR] = $1; n[NR] = $4 - $2 } END {
    total = n[NR]; for (i = 1; i <= NR; i++) if (n[i] >= 0.99 * total) { printf "server_p99_le_s=%s", le[i]; break } }'
fi
echo
