#!/usr/bin/env bash
# Soak: a 60 s wrk load on releasegate while its serving certificate rotates
# every 10 s (Secret-volume ..data swap between two certificates) and its
# rules reload every second; a second client opens a new TLS connection
# for each of its requests, so rotations are seen by new handshakes.
# Reports request errors, rotations and reloads, with the machine.
#
#   bench/soak.sh [--duration 60] [--steady] [--records N] [BINARY]    (default build/bench/cli/releasegate)
#
# --steady: the same load with no rotation and no reload, for comparison.
# --records N: N generated Promotion records besides the example rules
#   (bench/generate-rules.sh, files of 500); the file changed every second
#   is then one of those.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
duration=60 churn=1 records=0
while [[ ${1:-} == --* ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --steady) churn=0; shift ;;
    --records) records=$2; shift 2 ;;
    *) echo "usage: $0 [--duration SECONDS] [--steady] [--records N] [BINARY]" >&2; exit 2 ;;
  esac
done
binary=${1:-$repo/build/bench/cli/releasegate}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Two certificates, and one CA bundle trusting both.
"$repo/certs/dev-certs.sh" "$tmp/a" 2>/dev/null
"$repo/certs/dev-certs.sh" "$tmp/b" 2>/dev/null
cat "$tmp/a/ca.crt" "$tmp/b/ca.crt" >"$tmp/cas.crt"
version=0
mount_certs() {  # mount_certs DIR: kubelet's atomic swap of the Secret volume
  version=$((version + 1))
  mkdir -p "$tmp/secret/..v$version"
  cp "$1/tls.crt" "$1/tls.key" "$tmp/secret/..v$version/"
  ln -sfn "..v$version" "$tmp/secret/..data_tmp"
  mv -T "$tmp/secret/..data_tmp" "$tmp/secret/..data"
  ln -sfn ..data/tls.crt "$tmp/secret/tls.crt"
  ln -sfn ..data/tls.key "$tmp/secret/tls.key"
}
mkdir -p "$tmp/secret" "$tmp/rules"
mount_certs "$tmp/a"
cp "$repo/deploy/examples/rules/"*.yaml "$tmp/rules/"
changed=$tmp/rules/podinfo-promotion.yaml
if ((records > 0)); then
  "$here/generate-rules.sh" "$records" "$tmp/rules"
  changed=$tmp/rules/team-000000.yaml
fi

"$binary" serve --listen 127.0.0.1:8448 --metrics-listen 127.0.0.1:9098 --tls-cert "$tmp/secret/tls.crt" \
  --tls-key "$tmp/secret/tls.key" --rules "$tmp/rules" --log-level warn >"$tmp/server.log" 2>&1 &
pids+=("$!")
server=$!
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:9098/readyz >/dev/null && break; sleep 0.1; done

body=$here/fixtures/deployment-create-review.json
BODY_FILE=$body wrk -t1 -c8 -d"${duration}s" -s "$here/post-review.lua" --latency https://127.0.0.1:8448/validate \
  >"$tmp/wrk.out" 2>&1 &
pids+=("$!")
wrk_pid=$!

# New-connection client: one TLS handshake per request, CA bundle verified.
(
  ok=0 failed=0
  end=$((SECONDS + duration))
  while ((SECONDS < end)); do
    if curl -sf --cacert "$tmp/cas.crt" -H 'Content-Type: application/json' --data-binary @"$body" \
      https://127.0.0.1:8448/validate -o /dev/null; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    sleep 0.05
  done
  echo "$ok $failed" >"$tmp/curl.out"
) &
pids+=("$!")
curl_pid=$!

# Rotate every 10 s, reload rules every second (alternating a comment line,
# so the content really changes).
start=$SECONDS
while ((SECONDS - start < duration)); do
  for i in $(seq 1 10); do
    ((SECONDS - start < duration)) || break
    ((churn)) && echo "# touch $SECONDS $i" >>"$changed"
    sleep 1
  done
  if ((churn)); then
    if (((SECONDS - start) / 10 % 2 == 1)); then mount_certs "$tmp/b"; else mount_certs "$tmp/a"; fi
  fi
done
wait "$wrk_pid" "$curl_pid"

metrics=$(curl -s http://127.0.0.1:9098/metrics)
read -r curl_ok curl_failed <"$tmp/curl.out"
wrk_errors=$(grep -E "Non-2xx|Socket errors" "$tmp/wrk.out" || true)
echo "soak: ${duration}s, wrk 8 connections: $(grep 'Requests/sec' "$tmp/wrk.out") $(grep -E '^ +99%' "$tmp/wrk.out")"
echo "wrk errors: ${wrk_errors:-none}"
echo "new-connection requests: $curl_ok ok, $curl_failed failed"
echo "$metrics" | grep -E '^releasegate_(rules_reloads_total|rules_generation|tls_certificate_reloads_total)'
echo "rules: $records generated records; server RSS $(awk '$1 == "VmRSS:" { print int($2 / 1024) }' "/proc/$server/status") MB," \
  "peak $(awk '$1 == "VmHWM:" { print int($2 / 1024) }' "/proc/$server/status") MB"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
kill -0 "$server"  # still serving
