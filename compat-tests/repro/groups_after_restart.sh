#!/usr/bin/env bash
# Reproduces FINDINGS.md F3: after a restart on existing data, a new consumer group never forms
# (JoinGroup is not answered). Usage: groups_after_restart.sh FJORD_BIN. Exit 0 = the group
# formed after the restart and the record was consumed.
set -u
fjord=$1
dir=$(mktemp -d /tmp/fjord-f3.XXXXXX)
start() {  # start LOG [PORT]
  "$fjord" --override "listeners=PLAINTEXT://127.0.0.1:${2:-0}" --override "log.dirs=$dir/d" \
    >"$dir/$1" 2>&1 &
  pid=$!
  for _ in $(seq 50); do
    port=$(grep -o 'Listening on PLAINTEXT://127.0.0.1:[0-9]*' "$dir/$1" | grep -o '[0-9]*$')
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "broker did not start" >&2; exit 2
}
start first.log
echo hi | kcat -b "127.0.0.1:$port" -P -t t1
timeout 20 kcat -b "127.0.0.1:$port" -G g1 t1 -e -o beginning -q >/dev/null 2>&1
echo "before restart: group g1 consumed (kcat exit $?)"
kill "$pid"; wait "$pid"
start second.log "$port"
out=$(timeout 20 kcat -b "127.0.0.1:$port" -G g2 t1 -e -o beginning -q 2>&1)
rc=$?
kill "$pid"; wait "$pid"
echo "after restart: group g2 kcat exit $rc (124 = still waiting for the group), output: $out"
rm -rf "$dir"
[ "$rc" -eq 0 ] && [ "$out" = hi ]
