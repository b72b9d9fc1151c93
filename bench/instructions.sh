#!/usr/bin/env bash
# Instructions per call (callgrind) of the parse, the decision, a cache hit
# and the whole handler, on the CREATE fixture and, where ../shared/corpus
# is beside the checkout, the corpus Deployment UPDATE. Exact and
# repeatable, unlike wall-clock time on a shared VM (see bench/README.md).
#
#   bench/instructions.sh [BINARY]   (default build/bench/bench/releasegate_instructions)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$repo/build/bench/bench/releasegate_instructions}
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

reviews=("$repo/bench/fixtures/deployment-create-review.json")
update="$repo/../shared/corpus/admission/kubewarden_admissionrequest_deployment_update_with_oldObject.json"
if [ -f "$update" ]; then
  # Moved into staging, so that it is governed (as in decision_bench.cc).
  python3 - "$update" "$tmp/update-review.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["namespace"] = "staging"
for side in ("object", "oldObject"):
    r[side]["metadata"]["namespace"] = "staging"
r["uid"] = "705ab4f5-6393-11e8-b7cc-42010a800002"
json.dump({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": r}, open(sys.argv[2], "w"))
PY
  reviews+=("$tmp/update-review.json")
fi

count() {  # review iterations what
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$binary" "$@" >/dev/null 2>&1
  callgrind_annotate "$tmp/out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

n=200
printf '%-28s %-10s %12s\n' review call instructions
for review in "${reviews[@]}"; do
  for what in parse decide cache-hit handle; do
    one=$(count "$review" 1 "$what")
    many=$(count "$review" $((n + 1)) "$what")
    printf '%-28s %-10s %12d\n' "$(basename "$review")" "$what" $(((many - one) / n))
  done
done
