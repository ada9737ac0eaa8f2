#!/usr/bin/env bash
# Provides the BigQuery emulator (goccy/bigquery-emulator v0.8.1) and prints its path on stdout
# (progress goes to stderr), so callers can do
#   BIGQUERY_EMULATOR_BIN="$(bash scripts/ensure-bigquery-emulator.sh)"
#
# Where it comes from, first found wins:
#   1. $BIGQUERY_EMULATOR_BIN, a binary the user names;
#   2. the one this script built before, cached at $FRESH_STREAMS_CACHE/bin/bigquery-emulator;
#   3. a `bigquery-emulator` on the PATH (e.g. a release binary the user installed);
#   4. a container runtime (docker or podman) that answers and holds the emulator's image locally
#      (a repository ending in goccy/bigquery-emulator, tagged with the version, or the image named by
#      $FRESH_STREAMS_BQEMU_IMAGE): a small wrapper that runs it, ports published on 127.0.0.1 only;
#   5. a build from source through the Go module proxy, memory-bounded (scripts/lib/go-build-plan.sh).
#
# Why not `go install ...@v0.8.1`: go install reads the module's version list (@v/list) for
# deprecation notices, and the proxy available here answers 403 for it. A throwaway module that
# requires the emulator and builds its command works with the proxy's .info/.mod/.zip alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
. scripts/lib/go-build-plan.sh

VERSION="${FRESH_STREAMS_BQEMU_VERSION:-v0.8.1}"
MODULE=github.com/goccy/bigquery-emulator
BIN_DIR="$FRESH_STREAMS_CACHE/bin"
BIN="$BIN_DIR/bigquery-emulator"
STAMP="$BIN.version" # the module version the binary was built from
BUILD_DIR="$FRESH_STREAMS_CACHE/build-bqemu"
LOG_DIR="$FRESH_STREAMS_CACHE/logs"
LOG="$LOG_DIR/bqemu-build.log"
mkdir -p "$BIN_DIR" "$BUILD_DIR" "$LOG_DIR"

if [ -n "${BIGQUERY_EMULATOR_BIN:-}" ]; then
  [ -x "$BIGQUERY_EMULATOR_BIN" ] || die "BIGQUERY_EMULATOR_BIN=$BIGQUERY_EMULATOR_BIN is not an executable file"
  log "BigQuery emulator: $BIGQUERY_EMULATOR_BIN (BIGQUERY_EMULATOR_BIN)"
  echo "$BIGQUERY_EMULATOR_BIN"
  exit 0
fi

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

on_path="$(command -v bigquery-emulator || true)"
if [ -n "$on_path" ]; then
  log "BigQuery emulator from the PATH: $on_path (this project tests $VERSION)"
  echo "$on_path"
  exit 0
fi

# A local image of the emulator at VERSION in a container runtime that answers, as "RUNTIME IMAGE".
container_image() {
  local runtime image
  for runtime in docker podman; do
    command -v "$runtime" >/dev/null || continue
    timeout 10 "$runtime" info >/dev/null 2>&1 || continue
    if [ -n "${FRESH_STREAMS_BQEMU_IMAGE:-}" ]; then
      echo "$runtime $FRESH_STREAMS_BQEMU_IMAGE"
      return 0
    fi
    image="$(timeout 10 "$runtime" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
      grep -E "(^|/)goccy/bigquery-emulator:v?${VERSION#v}$" | head -1 || true)"
    if [ -n "$image" ]; then
      echo "$runtime $image"
      return 0
    fi
  done
  return 1
}

if found="$(container_image)"; then
  runtime="${found%% *}" image="${found#* }"
  wrapper="$BIN_DIR/bigquery-emulator-container"
  # Runs the image with the emulator's own arguments; publishes its two ports on 127.0.0.1 only.
  cat >"$wrapper" <<EOF
#!/usr/bin/env bash
# Written by scripts/ensure-bigquery-emulator.sh: the BigQuery emulator from $runtime image $image.
# Inside the container it listens on every interface; outside, its ports are published on 127.0.0.1.
port=9050 grpc=9060 args=()
for arg in "\$@"; do
  case "\$arg" in
    --port=*) port="\${arg#*=}" ;;
    --grpc-port=*) grpc="\${arg#*=}" ;;
    --host=*) continue ;;
  esac
  args+=("\$arg")
done
exec $runtime run --rm -i --name "fresh-streams-bqemu-\$port" -p "127.0.0.1:\$port:\$port" -p "127.0.0.1:\$grpc:\$grpc" \\
  $image --host=0.0.0.0 "\${args[@]}"
EOF
  chmod +x "$wrapper"
  log "BigQuery emulator: $runtime image $image, through $wrapper"
  echo "$wrapper"
  exit 0
fi

# One build at a time (two jest workers, or `npm test` beside `npm run demo`).
take_lock "$BUILD_DIR/.lock" "the BigQuery emulator build"
if built; then
  log "BigQuery emulator $VERSION built by another process: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "Go is not on the PATH: it is needed to build the BigQuery emulator (or put a bigquery-emulator $VERSION binary on the PATH)"
read -r jobs gogc frugal memory_mb <<<"$(go_build_plan "$(available_memory_kb)")"
mapfile -t flags < <(go_build_flags "$jobs" "$frugal")
log "building the BigQuery emulator $MODULE@$VERSION from source (no prebuilt one found; log: $LOG)"
log "  $memory_mb MB of memory available: GOGC=$gogc go build $(printf "'%s' " "${flags[@]}")(scripts/lib/go-build-plan.sh)"

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
  echo "== GOGC=$gogc go build ${flags[*]}"
  GOGC="$gogc" "${timer[@]}" go build "${flags[@]}" -o "$BIN.tmp" "$MODULE/cmd/bigquery-emulator"
) >"$LOG" 2>&1 &
pid=$!
# Progress: a line a minute while the build runs.
while kill -0 "$pid" 2>/dev/null; do
  sleep 5
  elapsed=$(($(date +%s) - start))
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
elapsed=$(($(date +%s) - start))
peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$LOG" | tail -1)
log "BigQuery emulator built in ${elapsed}s${peak:+, largest process ${peak%???} MB}: $BIN"
echo "$BIN"
