#!/usr/bin/env bash
# Validates every environment stack with Terraform and the real google provider, offline, in both
# forms cdktf writes: JSON (`cdktf synth`) and HCL (`cdktf synth --hcl`, the way out to plain Terraform):
#   synth -> per stack and form: terraform init -backend=false, terraform validate, terraform plan -refresh=false -lock=false
#   -> per stack: the HCL plan must equal the JSON plan (same resources, same planned values)
#
#   npm run validate                                   synthesize both forms, then validate every environment (local, dev, prod, direct)
#   bash scripts/validate.sh --stacks-dir DIR [...]    validate DIR/stacks/* (`cdktf synth [--hcl] --output DIR`);
#                                                      repeat the option to give a JSON and an HCL synthesis
#   FRESH_STREAMS_VALIDATE_FORMATS=json npm run validate   one form only ("json", "hcl" or "json hcl")
#   FRESH_STREAMS_SKIP_PLAN=1 npm run validate         init + validate only (no plan, no comparison)
#
# The provider comes from scripts/ensure-provider.sh (fetched at the pinned version by terraform init,
# or built from source when the registry cannot be reached; cached, installed through a filesystem
# mirror named by TF_CLI_CONFIG_FILE); the log says which and why, at the start and in the summary.
# Every stack is copied to a scratch folder outside the repo; there the backend block is dropped (no
# state, no network) and the google version constraint is set to the version in the mirror
# (tools/validation/prepare-validation.ts), so no .terraform folder or lock file ever lands in the repo.
# The summary gives each step's time, per stack and per form.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

command -v terraform >/dev/null || die "terraform is not on the PATH: validation needs Terraform >= 1.5 (these machines ship 1.11.4 on the PATH); install it and run again"
eval "$(bash scripts/ensure-provider.sh)"
log "$(terraform version | head -1); CLI config $TF_CLI_CONFIG_FILE"
WANTED="$(node -p 'require("@cdktf/provider-google/package.json").cdktf.provider.version' 2>/dev/null || echo 6.50.0)"
PROVIDER_USED="hashicorp/google $FRESH_STREAMS_PROVIDER_VERSION, $FRESH_STREAMS_PROVIDER_HOW"
[ "$FRESH_STREAMS_PROVIDER_HOW" = built ] && PROVIDER_USED="$PROVIDER_USED from source${FRESH_STREAMS_PROVIDER_MODULE_VERSION:+ (Go module $FRESH_STREAMS_PROVIDER_MODULE_VERSION)}"
log "provider: $PROVIDER_USED: $FRESH_STREAMS_PROVIDER_NOTE"
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

now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

stack_dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stacks-dir)
      [ -n "${2:-}" ] || die "--stacks-dir needs a folder"
      stack_dirs+=("$2")
      shift 2
      ;;
    *) die "unknown argument: $1 (see the header of scripts/validate.sh)" ;;
  esac
done

summary=()
declare -A synth_ms=()
if [ "${#stack_dirs[@]}" -eq 0 ]; then
  ensure_node_modules
  for format in ${FRESH_STREAMS_VALIDATE_FORMATS:-json hcl}; do
    case "$format" in
      json) flags=() ;;
      hcl) flags=(--hcl) ;;
      *) die "FRESH_STREAMS_VALIDATE_FORMATS: unknown form \"$format\" (json, hcl)" ;;
    esac
    log "synthesizing all environments ($format) into $work/synth-$format"
    start=$(now_ms)
    npx cdktf synth "${flags[@]}" --output "$work/synth-$format" >&2
    synth_ms[$format]=$(($(now_ms) - start))
    stack_dirs+=("$work/synth-$format")
  done
fi

export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
# A placeholder token: the provider needs some credential to configure; nothing is ever sent with it.
export GOOGLE_OAUTH_ACCESS_TOKEN="${GOOGLE_OAUTH_ACCESS_TOKEN:-placeholder-offline-token}"
# Provider plugins are shared across stacks instead of copied into each.
export TF_PLUGIN_CACHE_DIR="$FRESH_STREAMS_CACHE/provider/plugin-cache"
mkdir -p "$TF_PLUGIN_CACHE_DIR"

status=0
declare -A terraform_ms=() stacks_of=()

# Runs terraform init, validate and plan in a prepared scratch folder; adds a summary line; saves
# the plan as plan.json there. Returns non-zero on a failure.
check_folder() {
  local scratch="$1" label="$2" format="$3" start init_ms validate_ms plan_ms warnings times
  log "[$label] terraform init -backend=false"
  start=$(now_ms)
  if ! terraform -chdir="$scratch" init -backend=false -input=false -no-color >"$scratch/init.log" 2>&1; then
    cat "$scratch/init.log" >&2
    summary+=("$label: init FAILED"); return 1
  fi
  init_ms=$(($(now_ms) - start))

  log "[$label] terraform validate"
  start=$(now_ms)
  if ! terraform -chdir="$scratch" validate -json -no-color >"$scratch/validate.json" 2>&1; then
    terraform -chdir="$scratch" validate -no-color >&2 || true
    summary+=("$label: validate FAILED"); return 1
  fi
  validate_ms=$(($(now_ms) - start))
  warnings="$(node -p 'require(process.argv[1]).warning_count' "$scratch/validate.json")"
  times="init $(secs "$init_ms"), validate $(secs "$validate_ms")"
  terraform_ms[$format]=$((${terraform_ms[$format]:-0} + init_ms + validate_ms))
  echo "$warnings" >"$scratch/warnings"

  if [ -n "${FRESH_STREAMS_SKIP_PLAN:-}" ]; then
    summary+=("$label: valid, $warnings warnings (plan skipped; $times)"); return 0
  fi
  log "[$label] terraform plan -refresh=false -lock=false"
  start=$(now_ms)
  if ! terraform -chdir="$scratch" plan -refresh=false -lock=false -input=false -no-color -out=plan.bin >"$scratch/plan.log" 2>&1; then
    cat "$scratch/plan.log" >&2
    summary+=("$label: valid, plan FAILED"); return 1
  fi
  plan_ms=$(($(now_ms) - start))
  terraform_ms[$format]=$((${terraform_ms[$format]} + plan_ms))
  terraform -chdir="$scratch" show -json plan.bin >"$scratch/plan.json"
  summary+=("$label: valid, $warnings warnings; $(grep -E '^Plan:' "$scratch/plan.log" || echo 'plan ok') ($times, plan $(secs "$plan_ms"))")
}

for outdir in "${stack_dirs[@]}"; do
  [ -d "$outdir/stacks" ] || die "no synthesized stacks in $outdir"
  for dir in "$outdir"/stacks/*/; do
    stack="$(basename "$dir")"
    if [ -f "$dir/cdk.tf.json" ]; then
      format=json file=cdk.tf.json
    elif [ -f "$dir/cdk.tf" ]; then
      format=hcl file=cdk.tf
    else
      summary+=("$stack: neither cdk.tf.json nor cdk.tf in $dir"); status=1; continue
    fi
    label="$stack ($format)"
    scratch="$work/validate/$format-$stack"
    mkdir -p "$work/validate"
    cp -r "$dir" "$scratch"
    stacks_of[$format]="${stacks_of[$format]:-} $stack"
    npx tsx tools/validation/prepare-validation.ts "$scratch/$file" "$FRESH_STREAMS_PROVIDER_VERSION"

    check_folder "$scratch" "$label" "$format" || { status=1; continue; }
    if [ "$format" = hcl ]; then
      # The export (tools/validation/export-hcl.ts): the HCL a team moving to plain Terraform keeps.
      exported="$work/validate/export-$stack"
      mkdir -p "$exported"
      npx tsx tools/validation/export-hcl.ts "$scratch/cdk.tf" "$exported/main.tf"
      cp "$scratch/validation_override.tf" "$exported/"
      stacks_of[export]="${stacks_of[export]:-} $stack"
      check_folder "$exported" "$stack (hcl export)" export || { status=1; continue; }
      if [ "$(cat "$exported/warnings")" != 0 ]; then
        summary+=("$stack (hcl export): $(cat "$exported/warnings") warnings, expected none"); status=1
      fi
    fi
  done
done

# The way out to plain Terraform is only as good as its equivalence: the export must plan exactly what
# the JSON plans; the raw HCL too, but for the one extra trailing newline cdktf's heredocs add.
for json_plan in "$work"/validate/json-*/plan.json; do
  [ -f "$json_plan" ] || continue
  stack="$(basename "$(dirname "$json_plan")")"
  stack="${stack#json-}"
  for other in hcl export; do
    other_plan="$work/validate/$other-$stack/plan.json"
    [ -f "$other_plan" ] || continue
    flags=()
    [ "$other" = hcl ] && flags=(--tolerate-heredoc-newline)
    name="raw HCL"
    [ "$other" = export ] && name="exported HCL"
    if result="$(npx tsx tools/validation/compare-plans.ts "$json_plan" "$other_plan" "${flags[@]}")"; then
      summary+=("$stack: $name against the JSON plan: $result")
    else
      printf '%s\n' "$result" >&2
      summary+=("$stack: $name and JSON plans DIFFER (see above)"); status=1
    fi
  done
done

log "validated against $PROVIDER_USED (the stacks pin $WANTED):"
for line in "${summary[@]}"; do log "  $line"; done
for format in json hcl export; do
  [ -n "${stacks_of[$format]:-}" ] || continue
  synth="${synth_ms[$format]:+synth $(secs "${synth_ms[$format]}"), }"
  log "  $format:${stacks_of[$format]}: ${synth}terraform init + validate + plan $(secs "${terraform_ms[$format]:-0}")"
done
exit "$status"
