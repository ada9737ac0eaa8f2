#!/usr/bin/env bash
# Provides the BigQuery emulator (goccy/bigquery-emulator v0.8.1, pure Go), built from source
# through the Go module proxy, cached at $FRESH_STREAMS_CACHE/bin/bigquery-emulator.
#
# Idempotent: when the binary is there (and was built from the pinned version) it only prints its
# path. Prints the binary's path on stdout (progress goes to stderr), so callers can do
#   BIGQUERY_EMULATOR="$(bash scripts/ensure-bigquery-emulator.sh)"
#
# Why not `go install ...@v0.8.1`: go install reads the module's version list (@v/list) for
# deprecation notices, and the proxy available here answers 403 for it. A throwaway module that
# requires the emulator and builds its command works with the proxy's .info/.mod/.zip alone.
#
# Cold build measured on a 2-core machine: 10 min 39 s wall, 6.3 GB peak RSS (the go-googlesql
# WebAssembly-to-Go package dominates both); about 3.3 GB of module downloads in the Go cache.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

VERSION="${FRESH_STREAMS_BQEMU_VERSION:-v0.8.1}"
MODULE=github.com/goccy/bigquery-emulator
BIN_DIR="$FRESH_STREAMS_CACHE/bin"
BIN="$BIN_DIR/bigquery-emulator"
STAMP="$BIN.version"            # the module version the binary was built from
BUILD_DIR="$FRESH_STREAMS_CACHE/build-bqemu"
LOG_DIR="$FRESH_STREAMS_CACHE/logs"
LOG="$LOG_DIR/bqemu-build.log"
mkdir -p "$BIN_DIR" "$BUILD_DIR" "$LOG_DIR"

built() {
  [ -x "$BIN" ] || return 1
  # A binary without a stamp was built by an earlier copy of this recipe (same pinned version).
  [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" = "$VERSION" ]
}

if built; then
  log "BigQuery emulator $VERSION already built: $BIN"
  echo "$BIN"
  exit 0
fi

# One build at a time (two jest workers, or `npm test` beside `npm run demo`).
exec 9>"$BUILD_DIR/.lock"
log "waiting for the build lock $BUILD_DIR/.lock"
flock 9
if built; then
  log "BigQuery emulator $VERSION built by another process: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "Go is not on the PATH: it is needed to build the BigQuery emulator"
log "building the BigQuery emulator $MODULE@$VERSION (cold: ~11 min and ~6.5 GB RAM on 2 cores; log: $LOG)"

cat >"$BUILD_DIR/go.mod" <<EOF
module fresh-streams/bqemu-build

go 1.24

require $MODULE $VERSION
EOF
cat >"$BUILD_DIR/tools.go" <<EOF
//go:build tools

package tools

import _ "$MODULE/cmd/bigquery-emulator"
EOF
rm -f "$BUILD_DIR/go.sum"

start=$(date +%s)
timer=()
if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -v); fi
(
  cd "$BUILD_DIR"
  export GOFLAGS="${GOFLAGS:-} -mod=mod"
  echo "== go mod tidy" 
  go mod tidy
  echo "== go build"
  "${timer[@]}" go build -o "$BIN.tmp" "$MODULE/cmd/bigquery-emulator"
) >"$LOG" 2>&1 &
pid=$!
# Progress: a line a minute while the build runs.
while kill -0 "$pid" 2>/dev/null; do
  sleep 5
  elapsed=$(( $(date +%s) - start ))
  if [ $((elapsed % 60)) -lt 5 ]; then log "  still building ($((elapsed / 60)) min)"; fi
done
status=0
wait "$pid" || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 30 "$LOG" >&2
  die "BigQuery emulator build failed (exit $status); full log: $LOG"
fi
mv "$BIN.tmp" "$BIN"
echo "$VERSION" >"$STAMP"
elapsed=$(( $(date +%s) - start ))
peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$LOG" | tail -1)
log "BigQuery emulator built in ${elapsed}s${peak:+, peak RSS $((peak / 1024)) MB}: $BIN"
echo "$BIN"
