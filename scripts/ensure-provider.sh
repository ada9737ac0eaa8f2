#!/usr/bin/env bash
# Provides the real hashicorp/google Terraform provider, built from source through the Go module
# proxy, in a filesystem mirror, plus a Terraform CLI config that installs it offline.
#
# Idempotent: a second run only prints where things are. Everything lives under
# $FRESH_STREAMS_CACHE/provider (outside the repo). Prints, on stdout, one line of shell:
#   export TF_CLI_CONFIG_FILE=...; export FRESH_STREAMS_PROVIDER_VERSION=...; ...
# so callers can `eval "$(bash scripts/ensure-provider.sh)"`.
#
# Which provider version? @cdktf/provider-google 16.12.1 wraps hashicorp/google 6.50.0. Its module
# path has no /v6, so only pseudo-versions can name it; the proxy answers 403 ("not available") for
# 6.50.0's commit (956f5109…) and for every 6.x/7.x pseudo-version tried. The script still asks for
# it first (one request) and, when refused, builds the provider the proxy does serve (pinned below),
# registers it in the mirror under its TRUE release number, and says so loudly. Validation then
# rewrites the stacks' `= 6.50.0` constraint to that version in scratch copies (scripts/validate.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

MODULE=github.com/hashicorp/terraform-provider-google
# The 6.50.0 tag's commit: what we want.
WANTED_COMMIT="${FRESH_STREAMS_PROVIDER_WANTED:-956f510990a78614a06730c34e93779171c5e8f7}"
WANTED_VERSION=6.50.0
# What the proxy serves as @latest (main, 2026-08-28): the fallback, pinned for reproducibility.
FALLBACK_MODULE_VERSION="${FRESH_STREAMS_PROVIDER_FALLBACK:-v1.20.1-0.20260828184646-f3721fb45fa3}"

ROOT="$FRESH_STREAMS_CACHE/provider"
MIRROR="$ROOT/mirror"
CLI_CONFIG="$ROOT/terraform.rc"
STATE="$ROOT/provider.env" # records the built version: PROVIDER_VERSION, MODULE_VERSION, WHY
mkdir -p "$ROOT"

command -v go >/dev/null || die "Go is not on the PATH: it is needed to build the google provider"

emit() {
  # shellcheck disable=SC1090
  . "$STATE"
  printf 'export TF_CLI_CONFIG_FILE=%q FRESH_STREAMS_PROVIDER_VERSION=%q FRESH_STREAMS_PROVIDER_MODULE_VERSION=%q FRESH_STREAMS_PROVIDER_NOTE=%q\n' \
    "$CLI_CONFIG" "$PROVIDER_VERSION" "$MODULE_VERSION" "$WHY"
}

if [ -f "$STATE" ]; then
  # shellcheck disable=SC1090
  . "$STATE"
  if [ -x "$MIRROR/registry.terraform.io/hashicorp/google/$PROVIDER_VERSION/linux_amd64/terraform-provider-google_v$PROVIDER_VERSION" ] && [ -f "$CLI_CONFIG" ]; then
    log "google provider $PROVIDER_VERSION already built (module $MODULE_VERSION) in $MIRROR"
    emit
    exit 0
  fi
fi

# Serialise concurrent builds (two jest workers, a test run beside `npm run validate`).
exec 9>"$ROOT/.lock"
flock 9
if [ -f "$STATE" ]; then
  . "$STATE"
  if [ -x "$MIRROR/registry.terraform.io/hashicorp/google/$PROVIDER_VERSION/linux_amd64/terraform-provider-google_v$PROVIDER_VERSION" ] && [ -f "$CLI_CONFIG" ]; then
    emit
    exit 0
  fi
fi

BUILD="$ROOT/build"
rm -rf "$BUILD"
mkdir -p "$BUILD"
cd "$BUILD"
# A throwaway module: `go install pkg@version` fails on modules whose version list the proxy refuses
# (deprecation lookup), while a require line + tools.go + `go mod tidy` + `go build` works.
write_module() {
  cat >go.mod <<EOF
module fresh-streams/provider-build

go 1.24

require $MODULE $1
EOF
  cat >tools.go <<EOF
//go:build tools

package tools

import _ "$MODULE"
EOF
}

log "resolving hashicorp/google $WANTED_VERSION (commit ${WANTED_COMMIT:0:12}) through the Go module proxy"
if MODULE_VERSION="$(go list -m -json "$MODULE@$WANTED_COMMIT" 2>"$BUILD/resolve.err" | sed -n 's/^[[:space:]]*"Version": "\(.*\)",*$/\1/p')" && [ -n "$MODULE_VERSION" ]; then
  WHY="built from the $WANTED_VERSION tag's commit, the version @cdktf/provider-google wraps"
else
  log "!!! the module proxy refused $WANTED_VERSION: $(tr '\n' ' ' <"$BUILD/resolve.err" | cut -c1-200)"
  log "!!! falling back to the provider it does serve: $FALLBACK_MODULE_VERSION"
  MODULE_VERSION="$FALLBACK_MODULE_VERSION"
  WHY="the module proxy refuses hashicorp/google $WANTED_VERSION (403 'not available'); built the provider it serves instead"
fi

write_module "$MODULE_VERSION"
log "downloading $MODULE@$MODULE_VERSION and its dependencies (go mod tidy)"
GOFLAGS=-mod=mod go mod tidy >&2

MODDIR="$(go list -m -f '{{.Dir}}' "$MODULE")"
# The true release number: the CHANGELOG's top heading is the release this commit belongs to
# ("## 7.3.0 (Unreleased)" on main between releases; "## 6.50.0 (September 19, 2025)" on a tag).
heading="$(grep -m1 -E '^## [0-9]+\.[0-9]+\.[0-9]+' "$MODDIR/CHANGELOG.md" || true)"
PROVIDER_VERSION="$(printf '%s' "$heading" | sed -E 's/^## ([0-9]+\.[0-9]+\.[0-9]+).*/\1/')"
[ -n "$PROVIDER_VERSION" ] || die "could not read the provider's release from $MODDIR/CHANGELOG.md"
if printf '%s' "$heading" | grep -qi unreleased; then
  # A commit on main after the previous release: a pre-release of the next one.
  PROVIDER_VERSION="$PROVIDER_VERSION-dev"
fi
log "the module is hashicorp/google $PROVIDER_VERSION (CHANGELOG: '$heading')"

OUT="$MIRROR/registry.terraform.io/hashicorp/google/$PROVIDER_VERSION/linux_amd64"
mkdir -p "$OUT"
log "building the provider (cold: many minutes on 2 cores; output in $BUILD/build.log)"
start=$(date +%s)
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$BUILD/build.time")
"${timer[@]}" go build -trimpath \
  -ldflags "-s -w -X $MODULE/version.ProviderVersion=$PROVIDER_VERSION" \
  -o "$OUT/terraform-provider-google_v$PROVIDER_VERSION" "$MODULE" >"$BUILD/build.log" 2>&1 &
build_pid=$!
# A heartbeat, so that a CI log shows the build is alive.
while kill -0 "$build_pid" 2>/dev/null; do
  sleep 5
  elapsed=$(($(date +%s) - start))
  if [ $((elapsed % 60)) -lt 5 ] && kill -0 "$build_pid" 2>/dev/null; then log "still building the google provider ($((elapsed / 60)) min)"; fi
done
wait "$build_pid" || { tail -30 "$BUILD/build.log" >&2; rm -f "$OUT/terraform-provider-google_v$PROVIDER_VERSION"; die "building the google provider failed (log: $BUILD/build.log)"; }
log "built in $(($(date +%s) - start)) s"
[ -f "$BUILD/build.time" ] && grep -E 'Elapsed|Maximum resident' "$BUILD/build.time" | sed 's/^[[:space:]]*/  /' >&2

cat >"$CLI_CONFIG" <<EOF
# Written by fresh-streams scripts/ensure-provider.sh: installs hashicorp/google from a local mirror
# (a provider built from source), everything else as usual.
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/google"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/google"]
  }
}
EOF
printf 'PROVIDER_VERSION=%q\nMODULE_VERSION=%q\nWHY=%q\n' "$PROVIDER_VERSION" "$MODULE_VERSION" "$WHY" >"$STATE"
log "google provider $PROVIDER_VERSION in $MIRROR; CLI config $CLI_CONFIG"
emit
