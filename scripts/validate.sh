#!/usr/bin/env bash
# Validates every environment stack with Terraform and the real google provider, offline:
#   synth -> per stack: terraform init -backend=false, terraform validate, terraform plan -refresh=false -lock=false
#
#   npm run validate                               synthesize, then validate local, dev, prod
#   bash scripts/validate.sh --stacks-dir DIR      validate DIR/stacks/* (a `cdktf synth --output DIR`)
#   FRESH_STREAMS_SKIP_PLAN=1 npm run validate     init + validate only
#
# The provider comes from scripts/ensure-provider.sh (built from source, cached, installed through a
# filesystem mirror named by TF_CLI_CONFIG_FILE). Every stack is copied to a scratch folder outside the
# repo; there the backend block is dropped (no state, no network) and the google version constraint is
# set to the version actually built, so no .terraform folder or lock file ever lands in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

command -v terraform >/dev/null || die "terraform is not on the PATH: validation needs Terraform >= 1.5 (these machines ship 1.11.4 on the PATH); install it and run again"
eval "$(bash scripts/ensure-provider.sh)"
log "$(terraform version | head -1); CLI config $TF_CLI_CONFIG_FILE"
WANTED="$(node -p 'require("@cdktf/provider-google/package.json").cdktf.provider.version' 2>/dev/null || echo 6.50.0)"
if [ "$FRESH_STREAMS_PROVIDER_VERSION" != "$WANTED" ]; then
  cat >&2 <<EOF
================================================================================
 VALIDATING AGAINST hashicorp/google $FRESH_STREAMS_PROVIDER_VERSION, NOT $WANTED
 @cdktf/provider-google wraps hashicorp/google $WANTED, but: $FRESH_STREAMS_PROVIDER_NOTE
 (Go module version $FRESH_STREAMS_PROVIDER_MODULE_VERSION).
 The stacks' "= $WANTED" constraint is rewritten to "= $FRESH_STREAMS_PROVIDER_VERSION" in scratch
 copies only. Arguments removed or changed between the two versions may show up as errors here
 although $WANTED accepts them (and the reverse).
================================================================================
EOF
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fresh-streams-validate.XXXXXX")"
trap 'rm -rf "$work"' EXIT
outdir="$(synthesized_stacks "$work" "$@")"
[ -d "$outdir/stacks" ] || die "no synthesized stacks in $outdir"

export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
# A placeholder token: the provider needs some credential to configure; nothing is ever sent with it.
export GOOGLE_OAUTH_ACCESS_TOKEN="${GOOGLE_OAUTH_ACCESS_TOKEN:-placeholder-offline-token}"
# Provider plugins are shared across stacks instead of copied into each.
export TF_PLUGIN_CACHE_DIR="$FRESH_STREAMS_CACHE/provider/plugin-cache"
mkdir -p "$TF_PLUGIN_CACHE_DIR"

status=0
summary=()
for dir in "$outdir"/stacks/*/; do
  stack="$(basename "$dir")"
  scratch="$work/$stack"
  cp -r "$dir" "$scratch"
  npx tsx tools/validation/prepare-validation.ts "$scratch/cdk.tf.json" "$FRESH_STREAMS_PROVIDER_VERSION"
  log "[$stack] terraform init -backend=false"
  if ! terraform -chdir="$scratch" init -backend=false -input=false -no-color >"$scratch/init.log" 2>&1; then
    cat "$scratch/init.log" >&2
    summary+=("$stack: init FAILED"); status=1; continue
  fi
  log "[$stack] terraform validate"
  if ! terraform -chdir="$scratch" validate -no-color >&2; then
    summary+=("$stack: validate FAILED"); status=1; continue
  fi
  if [ -n "${FRESH_STREAMS_SKIP_PLAN:-}" ]; then
    summary+=("$stack: valid (plan skipped)"); continue
  fi
  log "[$stack] terraform plan -refresh=false -lock=false"
  start=$(date +%s)
  if terraform -chdir="$scratch" plan -refresh=false -lock=false -input=false -no-color >"$scratch/plan.log" 2>&1; then
    summary+=("$stack: valid; $(grep -E '^Plan:' "$scratch/plan.log" || echo 'plan ok') ($(($(date +%s) - start)) s)")
  else
    cat "$scratch/plan.log" >&2
    summary+=("$stack: valid, plan FAILED"); status=1
  fi
done

log "validated against hashicorp/google $FRESH_STREAMS_PROVIDER_VERSION (stacks pin $WANTED):"
for line in "${summary[@]}"; do log "  $line"; done
exit "$status"
