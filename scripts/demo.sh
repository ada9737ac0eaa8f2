#!/usr/bin/env bash
# npm run demo: the local environment end to end on the emulators (see demo/main.ts).
# The arguments are checked first (demo/options-table.js, plain Node.js), so that --help and a
# mistake answer before any install or build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
command -v node >/dev/null || die "Node.js is not on the PATH: the demo needs Node.js 20 or later"
rc=0
node demo/options-table.js "$@" || rc=$?
case "$rc" in
  0) ;;
  3) exit 0 ;; # the usage was printed
  *) exit "$rc" ;;
esac
ensure_node_modules
BIGQUERY_EMULATOR_BIN="$(bash scripts/ensure-bigquery-emulator.sh)"
export BIGQUERY_EMULATOR_BIN
exec node node_modules/tsx/dist/cli.mjs demo/main.ts "$@"
