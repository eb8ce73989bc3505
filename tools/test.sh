#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (release and ASan+UBSan), runs the
# unit tests in both builds, the protocol definitions check, the fuzzers for a bounded time
# and the integration tests against a live broker. Ends with "N passed, M failed".
#
# Environment: FJORD_FUZZ_SECONDS (default 30 per target; 0 skips fuzzing),
#              FJORD_SKIP_ASAN=1 skips the sanitizer build (quicker local runs).
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test || exit 1

passed=0; failed=0; failures=()
record() {  # record NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1";
  else failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; fi
}
ctest_suite() {  # ctest_suite LABEL BUILD_DIR
  local out; out=$(mktemp)
  ctest --test-dir "$2" --output-on-failure --timeout 600 >"$out" 2>&1
  local rc=$?
  cat "$out"
  # One result per ctest test.
  while read -r name status; do
    record "$1:$name" "$status"
  done < <(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$out" |
           sed -E 's/.*Test +#[0-9]+: ([^ ]+) \.+ *(\**)(Passed|Failed|.*)$/\1 \3/' |
           awk '{print $1, ($2=="Passed")?0:1}')
  [ $rc -eq 0 ] || grep -qE 'tests failed' "$out" || record "$1:ctest" $rc
  rm -f "$out"
}

echo "== release build"
if tools/build.sh release; then
  ctest_suite release build
else
  record build-release 1
fi

if [ "${FJORD_SKIP_ASAN:-0}" != 1 ]; then
  echo "== ASan+UBSan build"
  if tools/build.sh asan; then
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest_suite asan build-asan
  else
    record build-asan 1
  fi
fi

echo "== protocol definitions vs the reference schemas"
if [ -d ../shared/kafka-protocol ]; then
  python3 tools/check_definitions.py; record check-definitions $?
else
  echo "no ../shared/kafka-protocol: check skipped"
fi
python3 tools/tests/test_check_definitions.py; record check-definitions-selftest $?

fuzz_seconds=${FJORD_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then
  echo "== fuzzers (${fuzz_seconds}s each)"
  # Only the fuzz targets: clang 14 cannot compile the coroutine-based server with libstdc++.
  if tools/build.sh fuzz fuzz_request fuzz_record_batch fuzz_decompress; then
    for f in build-fuzz/protocol/*/fuzz_*; do
      [ -x "$f" ] || continue
      name=$(basename "$f")
      corpus=$(mktemp -d)
      seeds=tests/fuzz-seeds/$name
      "$f" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) >"$corpus.log" 2>&1
      rc=$?
      tail -n 3 "$corpus.log"
      [ $rc -eq 0 ] || tail -n 40 "$corpus.log"
      record "fuzz:$name" $rc
      rm -rf "$corpus" "$corpus.log"
    done
  else
    record build-fuzz 1
  fi
fi

if [ -d tests/integration ]; then
  echo "== integration tests (real clients, live broker)"
  for t in tests/integration/test_*; do
    [ -x "$t" ] || continue
    echo "-- $t"
    timeout 900 "$t"; record "integration:$(basename "$t")" $?
  done
fi

if [ -x compat-tests/ci.sh ]; then  # librdkafka's own test suite (docs/compatibility.md)
  compat-tests/ci.sh; record compat-2.0.2 $?
fi

echo
if [ $failed -gt 0 ]; then printf 'failed: %s\n' "${failures[@]}"; fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
