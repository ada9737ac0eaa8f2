# Shared helpers for the project's shell scripts. Source it; do not run it.
# shellcheck shell=bash

# Where slow builds (provider, emulator, Checkov venv) are cached: outside the repo, kept between runs.
export FRESH_STREAMS_CACHE="${FRESH_STREAMS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fresh-streams}"
# cdktf's telemetry stays off.
export CHECKPOINT_DISABLE=1

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Takes the lock FILE (flock on file descriptor 9, held until the process exits) for WHAT (a few
# words: "the BigQuery emulator build"). While another process holds it, says every
# $FRESH_STREAMS_LOCK_REPORT_SECONDS (default 30) who holds it (PID, command, since when) and how long
# this one has waited. The holder's details live in FILE itself, written once the lock is taken.
take_lock() {
  local file="$1" what="$2" every="${FRESH_STREAMS_LOCK_REPORT_SECONDS:-30}" start waited
  exec 9<>"$file"
  if ! flock -n 9; then
    start=$(date +%s)
    while ! flock -w "$every" 9; do
      waited=$(($(date +%s) - start))
      log "waiting for $what: $(lock_holder "$file"); waited $(duration_text "$waited") so far"
    done
    waited=$(($(date +%s) - start))
    [ "$waited" -lt "$every" ] || log "got the lock for $what after $(duration_text "$waited")"
  fi
  # Who holds it, for the next one waiting: this script's PID, its command line and its parent's.
  printf 'pid=%s\nsince=%s\ncommand=%s\nparent=%s\n' "$$" "$(date +%s)" \
    "$(tr '\0' ' ' </proc/$$/cmdline 2>/dev/null | cut -c1-200)" \
    "$(tr '\0' ' ' </proc/$PPID/cmdline 2>/dev/null | cut -c1-200)" >"$file"
}

# "held by PID 123 (bash scripts/x.sh, started by npm run demo) since 22:15:03 (2 min 5 s ago)",
# from the lock file's details.
lock_holder() {
  local file="$1" pid since command parent
  pid="$(sed -n 's/^pid=//p' "$file" 2>/dev/null)"
  since="$(sed -n 's/^since=//p' "$file" 2>/dev/null)"
  command="$(sed -n 's/^command=//p' "$file" 2>/dev/null)"
  parent="$(sed -n 's/^parent=//p' "$file" 2>/dev/null)"
  if [ -z "$pid" ]; then
    echo "held by another process (it has not written its details yet)"
  elif ! kill -0 "$pid" 2>/dev/null; then
    echo "held by a process started by PID $pid ($command), which has exited; its child still runs"
  else
    echo "held by PID $pid (${command% }${parent:+, started by ${parent% }}) since $(date -d "@$since" +%H:%M:%S) ($(duration_text $(($(date +%s) - since))) ago)"
  fi
}

# 75 -> "1 min 15 s"
duration_text() {
  local s="$1"
  if [ "$s" -ge 60 ]; then echo "$((s / 60)) min $((s % 60)) s"; else echo "$s s"; fi
}

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
