#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, one after the other, from the
# seeds in fuzz/corpus/<target> (new inputs go to a scratch directory, so
# the repository stays clean), and prints each target's executions.
#
#   fuzz/run.sh [SECONDS_PER_TARGET [RUNS_PER_TARGET [TARGET...]]]
#
# Defaults: 25 s per target, no limit on runs, every target. A target stops
# at whichever limit comes first. CI runs `fuzz/run.sh 25`; a campaign is,
# e.g., `fuzz/run.sh 3600 10000000`. Set FUZZ_TARGET_DIR to build
# elsewhere than fuzz/target, and FUZZ_KEEP to a directory to keep the
# grown corpora there.
#
# cargo-fuzz passes `-Z` flags to rustc (the sanitizer and coverage
# instrumentation), which only nightly accepts: RUSTC_BOOTSTRAP=1 lets the
# stable toolchain take them.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-25}"
runs="${2:--1}"
shift $(( $# < 2 ? $# : 2 ))
export RUSTC_BOOTSTRAP=1
dir=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
    dir=(--target-dir "$FUZZ_TARGET_DIR")
fi
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build "${dir[@]}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
status=0
for t in "${targets[@]}"; do
    corpus="${FUZZ_KEEP:-$scratch}/$t"
    mkdir -p "$corpus"
    log="$scratch/$t.log"
    start=$(date +%s)
    if cargo fuzz run "${dir[@]}" "$t" "$corpus" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -runs="$runs" -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
        tail -n 60 "$log"
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    printf '%-14s %-6s %12s executions %8s/s %5ss\n' "$t" "$result" "${execs:-?}" "${rate:-?}" "$(( $(date +%s) - start ))"
done
exit "$status"
