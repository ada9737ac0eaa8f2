# How hard a Go build of a big module may push this machine's memory. Source it; do not run it.
# shellcheck shell=bash
#
# What drives the BigQuery emulator build's memory (measured: docs/performance.md, "First run"): not
# cgo — the emulator is pure Go — but a few huge generated packages (googlesqlwasm2go: GoogleSQL
# compiled to WebAssembly and translated to Go; modernc.org/libquickjs: C translated to Go), each
# one `compile` process of gigabytes, and the final link. The levers:
#   -p N        packages compiled at once (each its own process; `go build` defaults to one per core);
#   GOGC        the Go compiler's and linker's own garbage collector: 100 lets a heap grow to twice
#               its live data; 25 collects far more often: less memory, more CPU;
#   -c N        functions of one package compiled at once inside a compile (default up to 4);
#   -l          no inlining: less for a compile to hold, slightly slower code; used for the biggest
#               package only, and only when memory is short;
#   -ldflags=-s -w   no symbol table or DWARF: a lighter link and a smaller binary (always used).
# The plan: the defaults (fastest) where memory is plentiful, one package at a time where it is
# not, and the frugal settings below that. Fewer jobs alone cannot go below the one package.

# Memory this process may use, in kB: MemAvailable, or what its memory cgroup still allows when that
# is less (a container, a CI runner, `memory.limit_in_bytes`). FRESH_STREAMS_BUILD_MEMORY_MB
# overrides both.
available_memory_kb() {
  if [ -n "${FRESH_STREAMS_BUILD_MEMORY_MB:-}" ]; then
    echo $((FRESH_STREAMS_BUILD_MEMORY_MB * 1024))
    return
  fi
  local kb cgroup_kb
  kb="$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo 2>/dev/null)"
  kb="${kb:-4194304}"
  cgroup_kb="$(cgroup_available_kb)"
  if [ -n "$cgroup_kb" ] && [ "$cgroup_kb" -lt "$kb" ]; then kb="$cgroup_kb"; fi
  echo "$kb"
}

# What this process's memory cgroup (v2 or v1) still allows, in kB (reclaimable file cache counted
# as free); nothing when it has no limit.
cgroup_available_kb() {
  local path dir limit usage inactive
  path="$(sed -n 's/^0::\(.*\)$/\1/p' /proc/self/cgroup 2>/dev/null)"
  dir="/sys/fs/cgroup${path%/}"
  if [ -r "$dir/memory.max" ]; then
    limit="$(cat "$dir/memory.max")" usage="$(cat "$dir/memory.current")"
    inactive="$(sed -n 's/^inactive_file //p' "$dir/memory.stat" 2>/dev/null)"
  else
    path="$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' /proc/self/cgroup 2>/dev/null)"
    dir="/sys/fs/cgroup/memory${path%/}"
    [ -r "$dir/memory.limit_in_bytes" ] || return 0
    limit="$(cat "$dir/memory.limit_in_bytes")" usage="$(cat "$dir/memory.usage_in_bytes")"
    inactive="$(sed -n 's/^total_inactive_file //p' "$dir/memory.stat" 2>/dev/null)"
  fi
  # "max", or v1's "no limit" (a number near 2^63).
  [ "$limit" != max ] && [ "${#limit}" -lt 16 ] || return 0
  echo $(((limit - usage + ${inactive:-0}) / 1024))
}

# Measured peaks (largest process, MB) of the emulator build: with the defaults, and frugal (3,952 MB,
# the go-googlesql compile, in a cold build inside a 4 GiB memory cgroup).
GO_PEAK_MB_DEFAULT=6600
GO_PEAK_MB_FRUGAL=4000
# Left to the rest of the machine (the shell, an editor, the test that waits for the build).
GO_RESERVE_MB=400

# The package whose compile is the build's largest process (6.5 GB with the defaults).
GO_BIGGEST_PACKAGE=github.com/goccy/go-googlesql

# go_build_plan AVAILABLE_KB [CORES] -> "JOBS GOGC FRUGAL AVAILABLE_MB"
#   plentiful (two default-sized jobs fit): the defaults, one job per core while they fit;
#   one default-sized job fits: one package at a time, defaults otherwise;
#   less (a 4 GB laptop): one package at a time, GOGC 25, and FRUGAL=yes: one function at a time,
#   no inlining in the biggest package (go_build_flags).
go_build_plan() {
  local available_mb=$(($1 / 1024)) cores="${2:-$(nproc 2>/dev/null || echo 1)}" usable jobs
  usable=$((available_mb - GO_RESERVE_MB))
  if [ "$usable" -ge $((2 * GO_PEAK_MB_DEFAULT)) ]; then
    jobs=$((usable / GO_PEAK_MB_DEFAULT))
    [ "$jobs" -le "$cores" ] || jobs="$cores"
    echo "$jobs 100 no $available_mb"
  elif [ "$usable" -ge "$GO_PEAK_MB_DEFAULT" ]; then
    echo "1 100 no $available_mb"
  else
    echo "1 25 yes $available_mb"
  fi
}

# go_build_flags JOBS FRUGAL -> the `go build` flags of a plan, one a line.
go_build_flags() {
  printf '%s\n' -p "$1" -trimpath -ldflags "-s -w"
  # A later -gcflags pattern wins for the packages it matches.
  [ "$2" != yes ] || printf '%s\n' -gcflags "all=-c=1" -gcflags "$GO_BIGGEST_PACKAGE=-c=1 -l"
}
