#!/usr/bin/env bash
# Captures the request frames real Kafka clients send to a Fjord broker and turns them into
# the golden fixtures under tests/fixtures/ (with MANIFEST.tsv) and the fuzz seed corpora
# under tests/fuzz-seeds/. This is how the checked-in fixtures were made; rerun it after
# the broker serves more APIs (then update protocol/codec/tests/fixtures_test.cc, whose
# expectations name fixture files).
#
#   tools/capture_fixtures.sh [FJORD_BINARY]     default: build/server/fjord
#
# Clients: kcat and confluent-kafka (librdkafka 2.0.2), kafka-python 2.0.2, sarama 1.22.1
# (built here in GOPATH mode from golang-github-shopify-sarama-dev), kafkajs 2.2.4
# (installed from npm into $FJORD_CLIENTS_DIR, default ~/.cache/fjord-clients, outside the
# repo), @platformatic/kafka 1.35.0 (npm, same place) and librdkafka 2.15.1
# (tools/capture/rdkafka_client.c, linked against the compat-tests build of it). Every client talks to the broker through tools/capture_proxy.py, which records each
# request frame. The broker listens on one port and advertises the proxy's port, so clients
# come back through the proxy after Metadata.
#
# Environment: FJORD_CAPTURE_RAW=DIR keeps the raw captures there (default: a temp dir,
# removed at the end). Requests to APIs the broker does not serve make it close the
# connection; such scenarios fail or time out, which is expected: what the client sent is
# captured all the same.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FJORD=${1:-$ROOT/build/server/fjord}
CLIENTS_DIR=${FJORD_CLIENTS_DIR:-$HOME/.cache/fjord-clients}
PY=/usr/bin/python3  # the Debian python with python3-kafka and python3-confluent-kafka
[ -x "$FJORD" ] || { echo "no broker binary at $FJORD (build it first)" >&2; exit 1; }

"$ROOT/tools/install-deps.sh" --test

# sarama: a small Go program built offline against the Debian package.
mkdir -p "$CLIENTS_DIR/go"
SARAMA=$CLIENTS_DIR/go/sarama_client
(cd "$ROOT/tools/capture" && GO111MODULE=off GOPATH=/usr/share/gocode:$HOME/go \
  go build -o "$SARAMA" sarama_client.go)
# kafkajs from npm, pinned.
if [ ! -f "$CLIENTS_DIR/node/node_modules/kafkajs/package.json" ]; then
  mkdir -p "$CLIENTS_DIR/node"
  (cd "$CLIENTS_DIR/node" && npm install --no-audit --no-fund --silent kafkajs@2.2.4)
fi
# @platformatic/kafka from npm, pinned: its protocol layer sends the admin requests no other
# client here sends (DescribeCluster, DescribeLogDirs, DescribeProducers, *Transactions).
if [ ! -f "$CLIENTS_DIR/node/node_modules/@platformatic/kafka/package.json" ]; then
  (cd "$CLIENTS_DIR/node" && npm install --no-audit --no-fund --silent @platformatic/kafka@1.35.0)
fi
export NODE_PATH=$CLIENTS_DIR/node/node_modules KAFKAJS_NO_PARTITIONER_WARNING=1
# A current librdkafka (2.15.1, the compat-tests build) for the requests 2.0.2 never sends:
# DescribeCluster, IncrementalAlterConfigs, OffsetDelete, OffsetForLeaderEpoch, KIP-848.
"$ROOT/compat-tests/build-suites.sh" 2.15.1 >/dev/null
RDK_CACHE=${FJORD_COMPAT_CACHE:-$HOME/.cache/fjord-compat}
RDK_LIB=$RDK_CACHE/build/librdkafka-2.15.1/src
RDKAFKA=$CLIENTS_DIR/rdkafka_client
gcc -O1 -Wall -I "$RDK_CACHE/src/librdkafka-2.15.1/src" -o "$RDKAFKA" \
  "$ROOT/tools/capture/rdkafka_client.c" -L "$RDK_LIB" -l:librdkafka.so.1 -Wl,-rpath,"$RDK_LIB"

WORK=$(mktemp -d /tmp/fjord-capture.XXXXXX)
RAW=${FJORD_CAPTURE_RAW:-$WORK/raw}
mkdir -p "$RAW"
BROKER_PID=""; PROXY_PID=""
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PROXY_PORT=$(free_port)
BROKER_PORT=$(free_port)
while [ "$BROKER_PORT" = "$PROXY_PORT" ]; do BROKER_PORT=$(free_port); done
B=127.0.0.1:$PROXY_PORT  # what every client is given

"$FJORD" --override "listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT" \
  --override "advertised.listeners=PLAINTEXT://127.0.0.1:$PROXY_PORT" \
  --override "log.dirs=$WORK/data" >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 100); do
  grep -q "Listening on" "$WORK/broker.log" && break
  kill -0 "$BROKER_PID" 2>/dev/null || { cat "$WORK/broker.log"; exit 1; }
  sleep 0.1
done
grep "Listening on" "$WORK/broker.log"

# run CLIENT SCENARIO COMMAND...: one proxy for the scenario, the command with a time limit.
run() {
  local client=$1 scenario=$2; shift 2
  rm -f "$WORK/ready"
  "$PY" "$ROOT/tools/capture_proxy.py" --listen "$PROXY_PORT" --target "$BROKER_PORT" \
    --outdir "$RAW" --client "$client" --scenario "$scenario" --ready-file "$WORK/ready" &
  PROXY_PID=$!
  for _ in $(seq 100); do [ -f "$WORK/ready" ] && break; sleep 0.05; done
  local rc=0
  timeout 40 bash -c '"$@"' run "$@" >"$WORK/out" 2>&1 || rc=$?
  kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""
  printf '%-16s %-28s rc=%-3s %s\n' "$client" "$scenario" "$rc" "$(tail -n 1 "$WORK/out")"
}
kcat_produce() {  # kcat_produce TOPIC CODEC [kcat options]
  local topic=$1 codec=$2; shift 2
  printf 'key-0:kcat-%s-0\nkey-1:kcat-%s-1\nkey-2:kcat-%s-2\n' "$codec" "$codec" "$codec" |
    kcat -P -b "$B" -t "$topic" -p 0 -K: -H hdr=kcat -z "$codec" "$@"
}
export -f kcat_produce
export B

echo "== kcat (librdkafka 2.0.2)"
run kcat metadata-all kcat -b "$B" -L
for codec in none gzip snappy lz4 zstd; do
  run kcat "produce-$codec" kcat_produce fx-kcat "$codec"
done
run kcat consume kcat -C -b "$B" -t fx-kcat -p 0 -o beginning -e -f '%o %k=%s\n'
# broker.version.fallback=0.9.0 without ApiVersions: Produce v1 (magic 0) and Fetch v1.
legacy=(-X api.version.request=false -X broker.version.fallback=0.9.0)
run kcat-legacy produce-none kcat_produce fx-kcat-legacy none "${legacy[@]}"
run kcat-legacy produce-gzip kcat_produce fx-kcat-legacy gzip "${legacy[@]}"
run kcat-legacy consume kcat -C -b "$B" -t fx-kcat-legacy -p 0 -o beginning -e "${legacy[@]}"

echo "== kafka-python 2.0.2"
KPY=("$PY" "$ROOT/tools/capture/kafka_python_client.py")
for codec in none gzip snappy lz4 zstd; do
  run kafka-python "produce-$codec" "${KPY[@]}" produce "$B" fx-kpy "$codec"
done
run kafka-python consume "${KPY[@]}" consume "$B" fx-kpy 15
run kafka-python group-consume "${KPY[@]}" group "$B" fx-kpy
# api_version 0.10: Produce v2 with magic 1 message sets; 0.8.2: Produce v0 with magic 0.
run kafka-python-0.10 produce-none "${KPY[@]}" produce "$B" fx-kpy-legacy none 0.10.0
run kafka-python-0.10 produce-gzip "${KPY[@]}" produce "$B" fx-kpy-legacy gzip 0.10.0
run kafka-python-0.8 produce-none "${KPY[@]}" produce "$B" fx-kpy-legacy none 0.8.2
run kafka-python-0.8 produce-snappy "${KPY[@]}" produce "$B" fx-kpy-legacy snappy 0.8.2

echo "== confluent-kafka (librdkafka 2.0.2)"
CK=("$PY" "$ROOT/tools/capture/confluent_client.py")
run confluent-kafka admin "${CK[@]}" admin "$B" fx-ck-admin
for codec in none lz4; do
  run confluent-kafka "produce-$codec" "${CK[@]}" produce "$B" fx-ck "$codec"
done
run confluent-kafka consume "${CK[@]}" consume "$B" fx-ck 6
run confluent-kafka group-consume "${CK[@]}" group "$B" fx-ck-group 3
run confluent-kafka transactions "${CK[@]}" txn "$B" fx-ck-txn

echo "== sarama 1.22.1"
# Kafka 0.8.2 has no lz4 (sarama refuses it below 0.10) and no zstd.
for codec in none gzip snappy; do
  run sarama-default "produce-$codec" "$SARAMA" -broker "$B" -topic fx-sarama0 -codec "$codec"
done
run sarama-default consume "$SARAMA" -broker "$B" -mode consume -topic fx-sarama0 -n 9
for codec in none gzip zstd; do
  run sarama-v2.2 "produce-$codec" "$SARAMA" -broker "$B" -version max -topic fx-sarama2 \
    -codec "$codec"
done
run sarama-v2.2 consume "$SARAMA" -broker "$B" -version max -mode consume -topic fx-sarama2 -n 6
run sarama-v0.10 admin "$SARAMA" -broker "$B" -mode admin -topic fx-sarama-admin0 \
  -version 0.10.2.0
run sarama-v2.2 admin "$SARAMA" -broker "$B" -version max -mode admin -topic fx-sarama-admin
run sarama-v2.2 idempotent "$SARAMA" -broker "$B" -version max -mode idempotent \
  -topic fx-sarama-idem
run sarama-v0.10 produce-gzip "$SARAMA" -broker "$B" -version 0.10.2.0 -topic fx-sarama1 \
  -codec gzip

echo "== kafkajs 2.2.4"
KJS=(node "$ROOT/tools/capture/kafkajs_client.js")
run kafkajs admin "${KJS[@]}" admin "$B" fx-kjs-admin
for codec in none gzip; do
  run kafkajs "produce-$codec" "${KJS[@]}" produce "$B" fx-kjs "$codec"
done
run kafkajs group-consume "${KJS[@]}" consume "$B" fx-kjs 6
run kafkajs transactions "${KJS[@]}" txn "$B" fx-kjs-txn

echo "== @platformatic/kafka 1.35.0"
# After the confluent-kafka transactions scenario: fx-ck-txn has producers and a transaction.
run platformatic admin node "$ROOT/tools/capture/platformatic_client.mjs" "$B" fx-ck-txn fx-ck-txn

echo "== librdkafka 2.15.1"
run rdkafka-2.15 admin "$RDKAFKA" admin "$B" fx-rdk-admin
run rdkafka-2.15 leader-epoch "$RDKAFKA" epoch "$B" fx-rdk-epoch
run rdkafka-2.15 consumer-protocol "$RDKAFKA" consumer "$B" fx-rdk-consumer

echo "== selecting fixtures"
# By default only frames of an API key/version a client has no fixture for are added
# (FJORD_CAPTURE_REWRITE=1 replaces every fixture; then fixtures_test.cc needs new names).
add=(--add); [ "${FJORD_CAPTURE_REWRITE:-0}" = 1 ] && add=()
"$PY" "$ROOT/tools/capture/select_fixtures.py" "${add[@]}" "$RAW" "$ROOT/tests/fixtures" \
  "$ROOT/tests/fuzz-seeds"
cp "$WORK/broker.log" "$RAW/broker.log"
if grep -qiE "error|warn" "$WORK/broker.log"; then
  echo "== broker warnings and errors during the capture"
  grep -iE "error|warn" "$WORK/broker.log" | sed -E 's/^\[[^]]*\] //; s/:[0-9]+/:PORT/g' |
    sort | uniq -c | sort -rn | head -n 40
fi
