#!/usr/bin/env bash
# Writes RECORDS generated Promotion records into DIR, 500 per file (as
# team ConfigMaps would hold them), beside the example rules: the same
# records as bench/rules_bench.cc (each repository with two staging
# versions and a prod digest).
#
#   bench/generate-rules.sh RECORDS DIR
set -euo pipefail
records=${1:?usage: $0 RECORDS DIR} dir=${2:?usage: $0 RECORDS DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$dir"
cp "$repo/deploy/examples/rules/"*.yaml "$dir/"
awk -v records="$records" -v dir="$dir" 'BEGIN {
  for (i = 0; i < records; i++) {
    if (i % 500 == 0) {
      if (file) close(file)
      file = sprintf("%s/team-%06d.yaml", dir, i)
      printf "apiVersion: releasegate.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: team-%d\nspec:\n  images:\n", i > file
    }
    digest = sprintf("%064x", i)
    printf "    - repository: ghcr.io/acme/service-%d\n      environments:\n", i > file
    printf "        staging: [\"1.4.0\", \"1.4.1@sha256:%s\"]\n        prod: [\"1.4.1@sha256:%s\"]\n", digest, digest > file
  }
}'
