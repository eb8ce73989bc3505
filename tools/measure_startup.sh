#!/usr/bin/env bash
# Measures Fjord's start: the time from fork()+exec() to the first served ApiVersions request
# (v0, on a fresh connection) with an empty data directory, median of RUNS starts (default 20),
# and the idle RSS (VmRSS) one second after that. Targets: <= 10 ms and <= 10 MB.
#
# Usage: tools/measure_startup.sh [RUNS] [BUILD_DIR]     (BUILD_DIR defaults to build/)
# Builds fjord and bench_produce_consume in BUILD_DIR (Release) if needed, then runs
# `bench_produce_consume --startup RUNS`; the data directories are temporary under $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
dir=${2:-build}
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$dir" -j "${FJORD_JOBS:-$(nproc)}" fjord bench_produce_consume >/dev/null
exec "$dir/bench/bench_produce_consume" --startup "$runs" --fjord "$dir/server/fjord" \
  --dir "${TMPDIR:-/tmp}"
