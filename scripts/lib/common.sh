# Shared helpers for the project's shell scripts. Source it; do not run it.
# shellcheck shell=bash

# Where slow builds (provider, emulator, Checkov venv) are cached: outside the repo, kept between runs.
export FRESH_STREAMS_CACHE="${FRESH_STREAMS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fresh-streams}"
# cdktf's telemetry stays off.
export CHECKPOINT_DISABLE=1

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the npm dependencies from the lock file when node_modules is missing or older than the lock.
ensure_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund >&2
  fi
}

# Prints the folder holding synthesized stacks: DIR for "--stacks-dir DIR", else a fresh
# `cdktf synth` of every environment into WORK/synth (progress on stderr).
synthesized_stacks() {
  local work="$1"
  shift
  if [ "${1:-}" = "--stacks-dir" ]; then
    [ -n "${2:-}" ] || die "--stacks-dir needs a folder"
    echo "$2"
    return
  fi
  ensure_node_modules
  log "synthesizing all environments into $work/synth"
  npx cdktf synth --output "$work/synth" >&2
  echo "$work/synth"
}
