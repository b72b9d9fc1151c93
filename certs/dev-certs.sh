#!/usr/bin/env bash
# Makes a development CA and serving certificate for running releasegate
# locally (valid for 127.0.0.1, localhost and the in-cluster Service names),
# under OUT_DIR (default certs/dev, git-ignored), with certs/certs.sh.
#
# usage: certs/dev-certs.sh [OUT_DIR]
# Reuses existing files while the serving certificate is valid for 7 more days.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/dev"}

if [ -f "$out/tls.crt" ] && [ -f "$out/tls.key" ] && [ -f "$out/ca.crt" ] &&
  openssl x509 -in "$out/tls.crt" -noout -checkend 604800 >/dev/null; then
  exit 0
fi
# Development lifetimes: a 10-year CA and a 90-day leaf.
CA_DAYS=3650 LEAF_DAYS=90 "$here/certs.sh" init "$out"
