#!/usr/bin/env bash
# Records produced without timestamps (librdkafka writes MaxTimestamp 0 in the batch header)
# must not be deleted by time retention: the broker recomputes MaxTimestamp as Kafka does.
# The scenario lives in compat-tests/repro/max_timestamp_retention.py (found by 0110/0114).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec /usr/bin/python3 "$root/compat-tests/repro/max_timestamp_retention.py" \
  "${FJORD_BIN:-$root/build/server/fjord}"
