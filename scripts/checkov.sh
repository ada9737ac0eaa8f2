#!/usr/bin/env bash
# Scans every synthesized stack (cdktf.out/stacks/*/cdk.tf.json) with Checkov's terraform_json
# framework. Deliberate choices are skipped per check and resource in .checkov-baseline.json, each
# with a written reason (checked by test/validation/checkov.integration.test.ts); any other failed
# check fails the scan.
#
#   bash scripts/checkov.sh                   synthesize (into a temporary folder), then scan
#   bash scripts/checkov.sh --stacks-dir DIR  scan DIR/stacks/*/cdk.tf.json (a `cdktf synth --output DIR`)
#
# Checkov is installed from PyPI into a virtual environment under $FRESH_STREAMS_CACHE (pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

CHECKOV_VERSION=3.3.30
VENV="$FRESH_STREAMS_CACHE/checkov-$CHECKOV_VERSION"

ensure_checkov() {
  if [ -x "$VENV/bin/checkov" ]; then return; fi
  command -v python3 >/dev/null || die "python3 is not on the PATH: it is needed for Checkov"
  log "installing Checkov $CHECKOV_VERSION into $VENV (first run only: about a minute, more on a busy machine)"
  rm -rf "$VENV.tmp"
  python3 -m venv "$VENV.tmp"
  "$VENV.tmp/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" >&2
  mv "$VENV.tmp" "$VENV"
  # A venv records its own path in its scripts: rewrite after the move.
  grep -rl "$VENV.tmp" "$VENV/bin" | xargs sed -i "s#$VENV.tmp#$VENV#g"
}

ensure_checkov
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
outdir="$(synthesized_stacks "$work" "$@")"

stacks=("$outdir"/stacks/*/cdk.tf.json)
[ -f "${stacks[0]}" ] || die "no synthesized stack in $outdir/stacks"

report="$work"
status=0
for file in "${stacks[@]}"; do
  stack="$(basename "$(dirname "$file")")"
  log "checkov: stack $stack"
  # Checkov's own skip list is per check id only; per-resource skips are applied below from the
  # baseline, so every finding is reported and every skip is explained.
  "$VENV/bin/checkov" --quiet --compact --framework terraform_json --file "$file" \
    --output json --skip-download >"$report/$stack.json" 2>"$report/$stack.err" || true
  rc=0
  npx tsx tools/validation/checkov-report.ts "$stack" "$file" "$report/$stack.json" .checkov-baseline.json || rc=$?
  if [ "$rc" -ne 0 ]; then
    status=1
    [ "$rc" -eq 2 ] && tail -20 "$report/$stack.err" >&2
  fi
done
[ "$status" -eq 0 ] && log "checkov: no unexplained findings" || log "checkov: unexplained findings (see above)"
exit "$status"
