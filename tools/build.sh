#!/usr/bin/env bash
# Builds Fjord. Usage: tools/build.sh [release|asan|fuzz] (default release).
#   release  build/        optimized, the binary is build/server/fjord
#   asan     build-asan/   AddressSanitizer + UndefinedBehaviorSanitizer, for the test suite
#   fuzz     build-fuzz/   clang + libFuzzer + ASan/UBSan fuzz targets (name the targets:
#                          clang 14 cannot build the coroutine-based server)
# Further arguments are ninja targets.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=${FJORD_JOBS:-$(nproc)}
case "$kind" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DFJORD_SANITIZE=ON) ;;
  fuzz) dir=build-fuzz; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFJORD_SANITIZE=ON -DFJORD_FUZZ=ON
          -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: $0 [release|asan|fuzz]" >&2; exit 2 ;;
esac
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
fi
ninja -C "$dir" -j "$jobs" "${@:2}"
