#!/usr/bin/env bash
# The full compatibility run, one command: librdkafka 2.0.2's and 2.15.1's own test suites in
# full mode over every test of their catalogues (--list all), then the client matrix
# (compat-tests/clients: kafka-python, confluent-kafka, sarama, kafkajs scenarios), against
# the release broker. Prints each suite's "N passed, M failed, K skipped" at the end.
#
#   compat-tests/full-run.sh [RUN.PY OPTIONS]   FJORD_BIN=... to test another binary
#
# Options are passed to both suites' compat-tests/run.py (e.g. --timeout 900; --tests 0001,0002
# for a smoke test of this script).
# Builds what is missing first: the broker (tools/build.sh release, unless FJORD_BIN is set),
# librdkafka and its test-runner for both suites (compat-tests/build-suites.sh, cached in
# ~/.cache/fjord-compat), the sarama program and kafkajs (cached in ~/.cache/fjord-clients).
# Needs the packages of tools/install-deps.sh --test. Results and logs go to
# $FJORD_FULL_RUN_DIR (default: a new /tmp/fjord-full-run.* directory). Expect hours: the
# full suites include every long-running test. Exit status: non-zero if an expected-pass test
# or scenario failed (a regression against the catalogues / scenarios.tsv) or a broker died.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if [ -z "${FJORD_BIN:-}" ]; then
  export FJORD_BIN=$PWD/build/server/fjord
  [ -x "$FJORD_BIN" ] || tools/build.sh release || exit 1
fi
[ -x "$FJORD_BIN" ] || { echo "full-run: no broker binary at $FJORD_BIN" >&2; exit 1; }
out=${FJORD_FULL_RUN_DIR:-$(mktemp -d /tmp/fjord-full-run.XXXXXX)}
mkdir -p "$out"
echo "full-run: broker $FJORD_BIN, results in $out"
compat-tests/build-suites.sh 2.0.2 2.15.1 >/dev/null || {
  echo "full-run: could not fetch or build the librdkafka suites" >&2; exit 1; }

rc=0
for suite in 2.0.2 2.15.1; do
  echo "== librdkafka $suite suite, full mode, every test"
  python3 compat-tests/run.py --suite "$suite" --list all --run-dir "$out/librdkafka-$suite" \
    --out "$out/librdkafka-$suite.txt" "$@" || rc=1
done
echo "== client matrix"
/usr/bin/python3 compat-tests/clients/run.py --strict --run-dir "$out/clients" \
  --out "$out/clients.txt" || rc=1

echo "== full run: per-suite counts (tables in $out)"
for name in librdkafka-2.0.2 librdkafka-2.15.1 clients; do
  f=$out/$name.txt
  printf '%-18s %s\n' "$name" "$( [ -f "$f" ] && tail -n1 "$f" || echo 'no result')"
done
exit $rc
