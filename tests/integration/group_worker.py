"""One consumer-group member in its own process, for test_groups.py.

    python3 group_worker.py CONFIG_JSON

CONFIG_JSON: {"client": "confluent" | "kafka-python", "bootstrap": ..., "group": ...,
"topic": ..., "name": ..., "strategy": "range,roundrobin" | "roundrobin" |
"cooperative-sticky", "session_ms": 6000, "heartbeat_ms": 1000,
"instance_id": optional group.instance.id (confluent only),
"commit_each": bool (commit every message synchronously),
"stop_after": optional {partition: count}: exit (after committing) once that many
messages of every listed partition were consumed}.

Prints one JSON object per line on stdout, each with "t" (time.time()) and "name":
  {"ev": "owned", "parts": [...]}   the partitions owned after every assignment change
  {"ev": "msg", "p": P, "o": O, "v": value}
  {"ev": "closed"}                  after a clean close (SIGTERM: close and leave the group)
"""

import json
import signal
import sys
import time

cfg = json.loads(sys.argv[1])
NAME = cfg["name"]
stopping = False


def emit(**kw):
    kw["t"] = time.time()
    kw["name"] = NAME
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def on_term(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_term)


def over_limit(counts, partition):
    """With stop_after, messages past a partition's count are neither reported nor committed."""
    stop_after = cfg.get("stop_after")
    return bool(stop_after) and counts.get(partition, 0) >= stop_after.get(str(partition), 0)


def done(counts):
    stop_after = cfg.get("stop_after")
    if not stop_after:
        return False
    return all(counts.get(int(p), 0) >= n for p, n in stop_after.items())


def run_confluent():
    from confluent_kafka import Consumer, TopicPartition

    conf = {
        "bootstrap.servers": cfg["bootstrap"],
        "group.id": cfg["group"],
        "client.id": NAME,
        "session.timeout.ms": cfg.get("session_ms", 6000),
        "heartbeat.interval.ms": cfg.get("heartbeat_ms", 1000),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "partition.assignment.strategy": cfg.get("strategy", "range,roundrobin"),
    }
    if cfg.get("instance_id"):
        conf["group.instance.id"] = cfg["instance_id"]
    c = Consumer(conf)
    cooperative = cfg.get("strategy") == "cooperative-sticky"
    owned = set()

    def on_assign(consumer, parts):
        nonlocal owned
        if cooperative:
            owned |= {p.partition for p in parts}
        else:
            owned = {p.partition for p in parts}
        emit(ev="owned", parts=sorted(owned))

    def on_revoke(consumer, parts):
        nonlocal owned
        if cooperative:
            owned -= {p.partition for p in parts}
        else:
            owned = set()
        emit(ev="owned", parts=sorted(owned))

    def on_lost(consumer, parts):
        on_revoke(consumer, parts)

    c.subscribe([cfg["topic"]], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    counts = {}
    while not stopping:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        if over_limit(counts, m.partition()):
            continue
        emit(ev="msg", p=m.partition(), o=m.offset(),
             v=m.value().decode() if m.value() is not None else None)
        counts[m.partition()] = counts.get(m.partition(), 0) + 1
        if cfg.get("commit_each"):
            c.commit(offsets=[TopicPartition(m.topic(), m.partition(), m.offset() + 1)],
                     asynchronous=False)
        if done(counts):
            break
    emit(ev="owned", parts=[])  # consuming stops here; close() leaves the group
    c.close()
    emit(ev="closed")


def run_kafka_python():
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    strategies = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            emit(ev="owned", parts=[])

        def on_partitions_assigned(self, assigned):
            emit(ev="owned", parts=sorted(tp.partition for tp in assigned))

    c = KafkaConsumer(
        bootstrap_servers=cfg["bootstrap"],
        group_id=cfg["group"],
        client_id=NAME,
        session_timeout_ms=cfg.get("session_ms", 6000),
        heartbeat_interval_ms=cfg.get("heartbeat_ms", 1000),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        partition_assignment_strategy=[strategies[s] for s in
                                       cfg.get("strategy", "range,roundrobin").split(",")],
    )
    c.subscribe([cfg["topic"]], listener=Listener())
    counts = {}
    while not stopping:
        batches = c.poll(timeout_ms=200)
        for tp, msgs in batches.items():
            for m in msgs:
                if over_limit(counts, m.partition):
                    continue
                emit(ev="msg", p=m.partition, o=m.offset,
                     v=m.value.decode() if m.value is not None else None)
                counts[m.partition] = counts.get(m.partition, 0) + 1
                if cfg.get("commit_each"):
                    c.commit({TopicPartition(m.topic, m.partition):
                              OffsetAndMetadata(m.offset + 1, "")})
        if done(counts):
            break
    emit(ev="owned", parts=[])  # consuming stops here; close() leaves the group
    c.close()
    emit(ev="closed")


if cfg["client"] == "confluent":
    run_confluent()
else:
    run_kafka_python()
