#!/usr/bin/env bash
# npm run demo: the local environment end to end on the emulators (see demo/main.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
ensure_node_modules
bash scripts/ensure-bigquery-emulator.sh >&2
exec node node_modules/tsx/dist/cli.mjs demo/main.ts "$@"
