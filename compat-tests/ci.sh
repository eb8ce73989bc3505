#!/usr/bin/env bash
# CI stage: librdkafka 2.0.2's test suite, the tests its catalogue expects to pass, in quick
# mode, then the client matrix (compat-tests/clients/), against the release broker
# (build/server/fjord unless FJORD_BIN is set). Fetches and builds librdkafka 2.0.2 and 2.15.1
# into the cache on first use (compat-tests/build-suites.sh), then reuses them: the matrix's
# KIP-848 scenario loads the 2.15.1 library.
# Exit status: non-zero if an expected-pass test or scenario failed or the broker died.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export FJORD_BIN=${FJORD_BIN:-$PWD/build/server/fjord}
echo "== compatibility: librdkafka 2.0.2 suite, expected-pass list, quick mode"
start=$SECONDS
if ! compat-tests/build-suites.sh 2.0.2 2.15.1 >/dev/null; then
  echo "compat: could not fetch or build the librdkafka suites (2.0.2, 2.15.1)" >&2
  exit 1
fi
echo "compat: suite ready in $((SECONDS - start))s"
python3 compat-tests/run.py --suite 2.0.2 --list expected --quick "$@"
rc=$?
# The client matrix (kafka-python, confluent-kafka, sarama, kafkajs scenarios; about 2 min):
# a failing expected-pass scenario, or one skipped because its client is missing, fails CI.
echo "== compatibility: client matrix (compat-tests/clients/scenarios.tsv)"
/usr/bin/python3 compat-tests/clients/run.py --strict || rc=1
exit $rc
