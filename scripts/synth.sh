#!/usr/bin/env bash
# Synthesizes every environment (config/*.json) and prints where the Terraform went.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
ensure_node_modules
log "synthesizing all environments"
# The app itself, not `cdktf synth`: the CLI repeats the app's error output in its summary; this prints it once.
rm -rf cdktf.out
CDKTF_OUTDIR=cdktf.out npx tsx main.ts >&2
for stack in cdktf.out/stacks/*/; do
  echo "$(basename "$stack"): $(pwd)/${stack}cdk.tf.json"
done
