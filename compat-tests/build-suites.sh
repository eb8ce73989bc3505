#!/usr/bin/env bash
# Builds librdkafka and its test-runner for each suite compat-tests/ runs, in a cache outside
# the checkout: ${FJORD_COMPAT_CACHE:-$HOME/.cache/fjord-compat}/build/librdkafka-VERSION.
# A suite whose tests/test-runner already exists is not rebuilt (FJORD_COMPAT_REBUILD=1 forces).
# Fetches the sources first (fetch-sources.sh) when they are missing.
#
# Usage: compat-tests/build-suites.sh [2.0.2] [2.15.1]   (default: both)
# Prints the build directory of each suite, one a line, on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${FJORD_COMPAT_CACHE:-$HOME/.cache/fjord-compat}
JOBS=${FJORD_COMPAT_JOBS:-2}

build_one() {  # build_one VERSION
  local v=$1 src build log
  build=$CACHE/build/librdkafka-$v
  if [ -x "$build/tests/test-runner" ] && [ "${FJORD_COMPAT_REBUILD:-0}" != 1 ]; then
    echo "$build"; return 0
  fi
  src=$("$here/fetch-sources.sh" "$v" | tail -n1)
  rm -rf "$build"
  mkdir -p "$CACHE/build"
  cp -a "$src" "$build"
  log=$CACHE/build/librdkafka-$v.log
  echo "build-suites: building librdkafka $v in $build (log: $log)" >&2
  local start=$SECONDS
  if ! (cd "$build" &&
        ./configure --no-download --disable-curl &&
        make -j"$JOBS" libs &&
        make -j"$JOBS" -C tests build) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "build-suites: librdkafka $v failed to build" >&2
    return 1
  fi
  echo "build-suites: librdkafka $v built in $((SECONDS - start))s" >&2
  echo "$build"
}

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(2.0.2 2.15.1)
for v in "${versions[@]}"; do
  case $v in
    2.0.2|2.15.1) build_one "$v" ;;
    *) echo "build-suites: unknown version $v (2.0.2 or 2.15.1)" >&2; exit 2 ;;
  esac
done
