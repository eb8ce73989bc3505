"""One consume-transform-produce worker (confluent_kafka), for test_eos_pipeline.py.

    python3 eos_worker.py CONFIG_JSON

CONFIG_JSON: {"bootstrap", "group", "input", "output", "txn_id", "name",
  "batch": records per transaction (at most),
  "abort_every": abort the transactions whose number n (1-based, this process) has
                 n % abort_every == 0 (0: never),
  "hang_at": n: in transaction n, after its records are delivered and its offsets sent,
             print "hang" and sleep forever (the test SIGKILLs the process),
  "pauses": {"n": seconds}: the same but print "pause" and continue after that many seconds
             (the test kills the broker meanwhile, or the pause outlasts the transaction
             timeout and the coordinator aborts the transaction),
  "stall_at": n, "stall_s": seconds: the same with the event "stall" (meant to outlast
             the transaction timeout: the coordinator aborts the transaction),
  "txn_timeout_ms": transaction.timeout.ms (default 30000)}

Reads `input` with a subscribed read_committed consumer (enable.auto.commit=false) and, per
transaction, writes each record to `output` (same key, same partition) with the value
"<input value>|<name>-<n>", then sends the consumer positions with
send_offsets_to_transaction and commits (or aborts, then seeks back to the batch's start).
Prints one JSON object per line: {"ev": "txn", "n", "outcome": "commit"|"abort"|"failed",
"count"}, {"ev": "hang"|"pause", "n"}, {"ev": "error", "what"}, {"ev": "done"} once the
group's committed offsets reach the input's end offsets (then exits 0). A fatal client error
exits 3 (the test starts a new worker, which fences this one's transactional id).
"""

import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

cfg = json.loads(sys.argv[1])
NAME = cfg["name"]


def emit(**kw):
    kw["name"] = NAME
    kw["t"] = time.time()
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"], "group.id": cfg["group"],
    "isolation.level": "read_committed", "enable.auto.commit": False,
    "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 500, "max.poll.interval.ms": 60000})
producer = Producer({
    "bootstrap.servers": cfg["bootstrap"], "transactional.id": cfg["txn_id"],
    "transaction.timeout.ms": cfg.get("txn_timeout_ms", 30000), "linger.ms": 5,
    "message.timeout.ms": cfg.get("txn_timeout_ms", 30000)})


def fatal(what):
    emit(ev="error", what=what, fatal=True)
    sys.exit(3)


def rewind(msgs):
    """After an abort: the partitions of the aborted batch go back to where the batch began,
    which is the group's committed offset (every earlier batch was committed or rewound).
    Concrete offsets only: librdkafka can revert a later seek to a pending logical-offset
    lookup (confluentinc/librdkafka#2256), so OFFSET_BEGINNING is never used."""
    first = {}
    for m in msgs:
        first[m.partition()] = min(first.get(m.partition(), m.offset()), m.offset())
    tps = [TopicPartition(cfg["input"], p) for p in sorted(first)]
    committed = {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=30)}
    emit(ev="rewind", to=first, committed=committed)
    for p, o in first.items():
        consumer.seek(TopicPartition(cfg["input"], p, o))


def end_offsets():
    return {p: consumer.get_watermark_offsets(TopicPartition(cfg["input"], p), timeout=10)[1]
            for p in range(cfg["partitions"])}


def caught_up():
    tps = [TopicPartition(cfg["input"], p) for p in range(cfg["partitions"])]
    committed = {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=30)}
    return committed == end_offsets()


def run_txn(n, msgs):
    producer.begin_transaction()
    for m in msgs:
        producer.produce(cfg["output"], key=m.key(), partition=m.partition(),
                         value=m.value() + f"|{NAME}-{n}".encode())
    producer.flush(60)
    positions = {}
    for m in msgs:  # next offset to read per partition
        positions[m.partition()] = m.offset() + 1
    offsets = [TopicPartition(cfg["input"], p, o) for p, o in sorted(positions.items())]
    producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 60)
    if cfg.get("hang_at") == n:
        emit(ev="hang", n=n)
        time.sleep(3600)
    if cfg.get("stall_at") == n:
        emit(ev="stall", n=n)
        time.sleep(cfg["stall_s"])
    if str(n) in cfg.get("pauses", {}):
        emit(ev="pause", n=n)
        time.sleep(cfg["pauses"][str(n)])
    emit(ev="sent", n=n, offsets={p: [min(m.offset() for m in msgs if m.partition() == p), o]
                                  for p, o in positions.items()})
    abort = cfg.get("abort_every") and n % cfg["abort_every"] == 0
    if abort:
        producer.abort_transaction(60)
        return "abort"
    while True:
        try:
            producer.commit_transaction(60)
            return "commit"
        except KafkaException as e:
            err = e.args[0]
            if err.retriable():
                emit(ev="error", what=f"commit retriable: {err}")
                continue
            raise


def main():
    producer.init_transactions(60)
    consumer.subscribe([cfg["input"]])
    n = 0
    idle_since = time.time()
    while True:
        msgs = [m for m in consumer.consume(num_messages=cfg["batch"], timeout=0.5)
                if not m.error()]
        if not msgs:
            try:
                if time.time() - idle_since > 1.0 and consumer.assignment() and caught_up():
                    emit(ev="done")
                    break
            except KafkaException as e:
                emit(ev="error", what=f"progress check: {e.args[0]}")
            continue
        idle_since = time.time()
        n += 1
        try:
            outcome = run_txn(n, msgs)
        except KafkaException as e:
            err = e.args[0]
            if err.fatal():
                fatal(f"txn {n}: {err}")
            emit(ev="error", what=f"txn {n}: {err}")
            if not err.txn_requires_abort():
                fatal(f"txn {n}: unexpected {err}")
            try:
                producer.abort_transaction(60)
            except KafkaException as e2:
                fatal(f"abort of txn {n}: {e2.args[0]}")
            outcome = "failed"
        emit(ev="txn", n=n, outcome=outcome, count=len(msgs))
        if outcome != "commit":
            try:
                rewind(msgs)
            except KafkaException as e:  # without the rewind its records would be skipped
                fatal(f"rewind after txn {n}: {e.args[0]}")
    consumer.close()


if __name__ == "__main__":
    main()
