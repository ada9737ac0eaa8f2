#!/usr/bin/env bash
# Runs every test tier. Each tier installs what it needs (cached outside the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
ensure_node_modules

log "type-checking"
npx tsc --noEmit -p tsconfig.json

# --- SQL tier (issue 5): the BigQuery emulator that test/elt/*.emulator.test.ts executes the ELT
# SQL on. Built once from source (~11 min, ~6.5 GB RAM cold), cached in $FRESH_STREAMS_CACHE/bin;
# built here rather than inside jest so its progress is visible. (ZetaSQL needs nothing: its
# server ships in node_modules/@fivetrandevelopers/zetasql.)
export BIGQUERY_EMULATOR_BIN="${BIGQUERY_EMULATOR_BIN:-$(bash scripts/ensure-bigquery-emulator.sh)}"

log "running jest"
results="$(mktemp)"
status=0
npx jest --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = require(process.argv[1]);
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" || true
rm -f "$results"
exit "$status"
