#!/usr/bin/env bash
# Runs every test tier. Each tier installs what it needs (cached outside the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
ensure_node_modules

log "type-checking"
npx tsc --noEmit -p tsconfig.json

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
