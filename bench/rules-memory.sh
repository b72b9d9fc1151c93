#!/usr/bin/env bash
# Memory and reload time of `releasegate serve` with a large rule set:
# RECORDS generated records (bench/generate-rules.sh) in files of 500.
# Reports RSS once loaded and the load's peak, then the peak and the time
# of a reload after one file (500 records) changes, with the machine.
#
#   bench/rules-memory.sh [RECORDS] [BINARY]    (100000, build/bench/cli/releasegate)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
records=${1:-100000}
binary=${2:-$repo/build/bench/cli/releasegate}
tmp=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$repo/certs/dev-certs.sh" "$tmp/certs" 2>/dev/null
"$here/generate-rules.sh" "$records" "$tmp/rules"
kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$server/status"; }
generation() { curl -s http://127.0.0.1:9099/metrics | awk '/^releasegate_rules_generation / { print $2 }'; }

start=$(date +%s%N)
"$binary" serve --listen 127.0.0.1:8449 --metrics-listen 127.0.0.1:9099 --tls-cert "$tmp/certs/tls.crt" \
  --tls-key "$tmp/certs/tls.key" --rules "$tmp/rules" --log-level warn >"$tmp/server.log" 2>&1 &
server=$!
until curl -sf http://127.0.0.1:9099/readyz >/dev/null; do sleep 0.02; done
ready_ms=$((($(date +%s%N) - start) / 1000000))
sleep 1  # malloc_trim after the load
echo "records: $records in $(find "$tmp/rules" -name '*.yaml' | wc -l) files, $(du -sm "$tmp/rules" | cut -f1) MB"
echo "ready after ${ready_ms} ms; RSS $(($(kib VmRSS) / 1024)) MB, load peak $(($(kib VmHWM) / 1024)) MB"

echo 5 >"/proc/$server/clear_refs"  # resets the peak (VmHWM)
before=$(generation)
start=$(date +%s%N)
file=$tmp/rules/team-000000.yaml
echo "# edited" >>"$file"
until [[ $(generation) != "$before" ]]; do sleep 0.005; done
reload_ms=$((($(date +%s%N) - start) / 1000000))
sleep 1
echo "one file changed: new generation after ${reload_ms} ms (200 ms of it the watcher's debounce);" \
  "reload peak $(($(kib VmHWM) / 1024)) MB, RSS after $(($(kib VmRSS) / 1024)) MB"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
