#!/usr/bin/env bash
# Provides the real hashicorp/google Terraform provider in a filesystem mirror, plus a Terraform CLI
# config that installs it offline. Two ways, in this order:
#   1. fetched: `terraform init` downloads the pinned version (the one @cdktf/provider-google wraps,
#      6.50.0) from Terraform's public registry, with short timeouts so that an unreachable registry
#      fails in seconds: validation then uses what users deploy with.
#   2. built: only when that fails, the provider is built from source through the Go module proxy
#      (the pinned version when the proxy serves it, else the one it serves), and said so loudly.
#
# Idempotent: a second run only prints where things are. Everything lives under
# $FRESH_STREAMS_CACHE/provider (outside the repo). Prints, on stdout, one line of shell:
#   export TF_CLI_CONFIG_FILE=... FRESH_STREAMS_PROVIDER_VERSION=... FRESH_STREAMS_PROVIDER_HOW=fetched|built ...
# so callers can `eval "$(bash scripts/ensure-provider.sh)"`.
#
# A cached build from source is kept, but the fetch is tried again once a day (at once with
# FRESH_STREAMS_PROVIDER_REFETCH=1), so a machine that goes online gets the pinned version.
#
# Building from source: hashicorp/google's module path has no /v6, so only pseudo-versions can name
# 6.50.0; the proxy here answers 403 ("not available") for 6.50.0's commit (956f5109…) and for every
# 6.x/7.x pseudo-version tried. The build registers the provider it does build under its TRUE release
# number; validation then rewrites the stacks' `= 6.50.0` constraint to that version in scratch
# copies (scripts/validate.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

MODULE=github.com/hashicorp/terraform-provider-google
# The 6.50.0 tag's commit: what we want.
WANTED_COMMIT="${FRESH_STREAMS_PROVIDER_WANTED:-956f510990a78614a06730c34e93779171c5e8f7}"
WANTED_VERSION=6.50.0
# What the proxy serves as @latest (main, 2026-08-28): the fallback, pinned for reproducibility.
FALLBACK_MODULE_VERSION="${FRESH_STREAMS_PROVIDER_FALLBACK:-v1.20.1-0.20260828184646-f3721fb45fa3}"
# The fetch as a whole gives up after this many seconds; each registry request after
# TF_REGISTRY_CLIENT_TIMEOUT (10 s unless set).
FETCH_TIMEOUT="${FRESH_STREAMS_PROVIDER_FETCH_TIMEOUT:-300}"
REFETCH_AFTER=86400

ROOT="$FRESH_STREAMS_CACHE/provider"
MIRROR="$ROOT/mirror"
CLI_CONFIG="$ROOT/terraform.rc"
# What the mirror holds: PROVIDER_VERSION, MODULE_VERSION, HOW (fetched|built), WHY, FETCH_TRIED_AT.
STATE="$ROOT/provider.env"
mkdir -p "$ROOT"
command -v terraform >/dev/null || die "terraform is not on the PATH: it is needed to fetch and run the google provider"

emit() {
  # shellcheck disable=SC1090
  . "$STATE"
  printf 'export TF_CLI_CONFIG_FILE=%q FRESH_STREAMS_PROVIDER_VERSION=%q FRESH_STREAMS_PROVIDER_MODULE_VERSION=%q FRESH_STREAMS_PROVIDER_HOW=%q FRESH_STREAMS_PROVIDER_NOTE=%q\n' \
    "$CLI_CONFIG" "$PROVIDER_VERSION" "${MODULE_VERSION:-}" "${HOW:-built}" "$WHY"
}

# The provider's full source address (registry host/hashicorp/google) as terraform itself expands
# "hashicorp/google", without network: the mirror's folders start with it.
provider_address() {
  local dir="$ROOT/address"
  mkdir -p "$dir"
  printf 'terraform {\n  required_providers {\n    google = { source = "hashicorp/google" }\n  }\n}\n' >"$dir/main.tf"
  TF_CLI_CONFIG_FILE=/dev/null terraform -chdir="$dir" providers -no-color 2>/dev/null |
    sed -n 's|.*provider\[\([^]]*/hashicorp/google\)\].*|\1|p' | head -1
}

# The mirror's folder for version $1 on this platform.
mirror_dir() {
  local platform
  platform="$(terraform version -json 2>/dev/null | sed -n 's/.*"platform": *"\([^"]*\)".*/\1/p')"
  echo "$MIRROR/$(provider_address)/$1/$platform"
}

# 0 when the state names a provider present in the mirror; 2 when that is a build from source whose
# fetch is due again; 1 when there is none.
cached() {
  [ -f "$STATE" ] && [ -f "$CLI_CONFIG" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE"
  compgen -G "$(mirror_dir "$PROVIDER_VERSION")/terraform-provider-google*" >/dev/null || return 1
  if [ "${HOW:-built}" = built ] && [ "$PROVIDER_VERSION" != "$WANTED_VERSION" ]; then
    [ -n "${FRESH_STREAMS_PROVIDER_REFETCH:-}" ] && return 2
    [ $(($(date +%s) - ${FETCH_TRIED_AT:-0})) -lt "$REFETCH_AFTER" ] || return 2
  fi
  return 0
}

write_cli_config() {
  cat >"$CLI_CONFIG" <<EOF
# Written by fresh-streams scripts/ensure-provider.sh: installs hashicorp/google from a local
# mirror ($1), everything else as usual.
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["hashicorp/google"]
  }
  direct {
    exclude = ["hashicorp/google"]
  }
}
EOF
}

# record VERSION MODULE_VERSION HOW WHY
record() {
  printf 'PROVIDER_VERSION=%q\nMODULE_VERSION=%q\nHOW=%q\nWHY=%q\nFETCH_TRIED_AT=%q\n' "$1" "$2" "$3" "$4" "$(date +%s)" >"$STATE"
}

# `terraform init` of a configuration requiring hashicorp/google = WANTED_VERSION, through the user's
# own CLI configuration (not the mirror's); copies the provider it installs into the mirror.
# Sets FETCH_ERROR when it fails.
fetch() {
  local dir="$ROOT/fetch" status=0 found out
  rm -rf "$dir"
  mkdir -p "$dir"
  printf 'terraform {\n  required_providers {\n    google = {\n      source  = "hashicorp/google"\n      version = "= %s"\n    }\n  }\n}\n' \
    "$WANTED_VERSION" >"$dir/main.tf"
  log "fetching hashicorp/google $WANTED_VERSION with terraform init (gives up after ${FETCH_TIMEOUT} s)"
  (
    [ "${TF_CLI_CONFIG_FILE:-}" != "$CLI_CONFIG" ] || unset TF_CLI_CONFIG_FILE
    unset TF_PLUGIN_CACHE_DIR
    export TF_REGISTRY_CLIENT_TIMEOUT="${TF_REGISTRY_CLIENT_TIMEOUT:-10}" CHECKPOINT_DISABLE=1
    timeout "$FETCH_TIMEOUT" terraform -chdir="$dir" init -backend=false -input=false -no-color
  ) >"$dir/init.log" 2>&1 || status=$?
  found="$(compgen -G "$dir/.terraform/providers/*/hashicorp/google/$WANTED_VERSION/*/terraform-provider-google*" | head -1 || true)"
  if [ "$status" -ne 0 ] || [ -z "$found" ]; then
    if [ "$status" -eq 124 ]; then
      FETCH_ERROR="terraform init timed out after ${FETCH_TIMEOUT} s"
    else
      # terraform's reason, from its error block: "Could not retrieve … : lookup …: no such host"
      FETCH_ERROR="$(sed -n '/Error:/,$p' "$dir/init.log" | sed 1,2d | tr -s ' \n' ' ' | sed 's/^ *//; s/ To see which modules.*//' | cut -c1-400)"
    fi
    return 1
  fi
  out="$(mirror_dir "$WANTED_VERSION")"
  mkdir -p "$out"
  cp "$found" "$out/"
  write_cli_config "fetched by terraform init"
  record "$WANTED_VERSION" "" fetched "fetched by terraform init at the pinned version, the one @cdktf/provider-google wraps"
  log "google provider $WANTED_VERSION fetched into $out"
}

rc=0
cached || rc=$?
if [ "$rc" -eq 0 ]; then
  log "google provider $PROVIDER_VERSION already in $MIRROR (${HOW:-built}: $WHY)"
  emit
  exit 0
fi

# Serialise concurrent fetches and builds (two jest workers, a test run beside `npm run validate`).
take_lock "$ROOT/.lock" "the google provider"
rc=0
cached || rc=$?
[ "$rc" -ne 0 ] || { emit; exit 0; }
FETCH_ERROR=""
if fetch; then
  emit
  exit 0
fi
if [ "$rc" -eq 2 ]; then
  # shellcheck disable=SC1090
  . "$STATE"
  log "could not fetch hashicorp/google $WANTED_VERSION (${FETCH_ERROR:-see $ROOT/fetch/init.log}); keeping $PROVIDER_VERSION built from source"
  record "$PROVIDER_VERSION" "$MODULE_VERSION" built "$WHY"
  emit
  exit 0
fi
log "!!! could not fetch hashicorp/google $WANTED_VERSION: ${FETCH_ERROR:-see $ROOT/fetch/init.log}"
log "!!! building the google provider from source instead"
command -v go >/dev/null || die "Go is not on the PATH: it is needed to build the google provider when the registry cannot be reached"

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
  WHY="the registry could not be reached (${FETCH_ERROR:-no answer}); built from source at the $WANTED_VERSION tag's commit"
else
  log "!!! the module proxy refused $WANTED_VERSION: $(tr '\n' ' ' <"$BUILD/resolve.err" | cut -c1-200)"
  log "!!! falling back to the provider it does serve: $FALLBACK_MODULE_VERSION"
  MODULE_VERSION="$FALLBACK_MODULE_VERSION"
  WHY="the registry could not be reached (${FETCH_ERROR:-no answer}) and the module proxy refuses hashicorp/google $WANTED_VERSION (403 'not available'); built the provider it serves instead"
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

OUT="$(mirror_dir "$PROVIDER_VERSION")"
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

write_cli_config "a provider built from source"
record "$PROVIDER_VERSION" "$MODULE_VERSION" built "$WHY"
log "google provider $PROVIDER_VERSION in $MIRROR; CLI config $CLI_CONFIG"
emit
