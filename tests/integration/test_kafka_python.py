#!/usr/bin/python3
"""kafka-python 2.0.2 producer and consumer against Fjord, every codec and message format.

Modes:
  inferred     api_version probed from ApiVersions (kafka-python maps Fjord's advertised
               versions to a Kafka release; from 0.11 on it sends magic 2 with Produce v3+)
  (0, 10, 1)   magic 1 message sets (Produce v2), Fetch v3, ListOffsets v1
  (0, 9)       magic 0 message sets (Produce v1), Fetch v1, ListOffsets v0
Codecs: None, gzip, snappy (xerial framing), lz4 (magic 0: the old broken frame checksum),
and zstd (magic 2 only).

For each mode and codec 2,000 messages go to a fresh 3-partition topic (distinct keys,
binary values, some NULL keys and values; explicit timestamps where the format has them;
headers with magic 2). Consumers have no group: assign() + seek_to_beginning(). Checks:
  - every message is read back at the (partition, offset) the producer was given, with
    equal key, value, headers and timestamp, by a consumer of the same era (magic 0 has
    no timestamp: kafka-python reports None) and, for the old formats, by the modern
    consumer too (magic 0 was stored without a timestamp: -1, CreateTime);
  - magic 2 data read by (0, 9) and (0, 10, 1) consumers, i.e. Fetch v1/v3 down-converted
    to magic 0/1 (headers dropped, magic 1 keeps timestamps);
  - zstd data fetched with Fetch v1 and v3 answers UNSUPPORTED_COMPRESSION_TYPE (76);
  - offsets per partition are dense and in send order; the stored batches use the
    requested codec; beginning/end_offsets and offsets_for_times (ListOffsets) agree.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.client_async import KafkaClient  # noqa: E402
from kafka.protocol.fetch import FetchRequest  # noqa: E402
from fjordtest import Broker, Checks  # noqa: E402
import segments  # noqa: E402

N = 2000
PARTITIONS = 3
T0 = (int(time.time()) - 600) * 1000
MODES = [
    ("inferred", None, [None, "gzip", "snappy", "lz4", "zstd"], 2),
    ("0.10.1", (0, 10, 1), [None, "gzip", "snappy", "lz4"], 1),
    ("0.9", (0, 9), [None, "gzip", "snappy", "lz4"], 0),
]


def message(i, magic):
    key = None if i % 97 == 5 else b"key-%05d" % i
    value = None if i % 101 == 7 else (b"v%d|" % i + bytes((i + j) % 256 for j in range(i % 150))
                                       + b"|text " * (i % 7))
    ts = T0 + i if magic >= 1 else None
    headers = [("h", b"%d" % i), ("bin", b"\x00\xff")] if magic >= 2 and i % 3 == 0 else []
    return key, value, ts, headers


def produce(c, b, label, topic, api_version, codec, magic):
    kw = {"bootstrap_servers": b.bootstrap, "acks": "all", "linger_ms": 5,
          "compression_type": codec, "max_block_ms": 20000, "request_timeout_ms": 20000}
    if api_version:
        kw["api_version"] = api_version
    producer = KafkaProducer(**kw)
    inferred = producer.config["api_version"]
    futures = []
    for i in range(N):
        key, value, ts, headers = message(i, magic)
        futures.append(producer.send(topic, key=key, value=value, timestamp_ms=ts,
                                     headers=headers or None))
    producer.flush(60)
    placed = {}
    errors = []
    for i, f in enumerate(futures):
        try:
            md = f.get(timeout=30)
            placed[i] = (md.partition, md.offset)
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            errors.append(f"{i}: {e!r}")
    producer.close(10)
    c.check(not errors, f"[{label}] {N} messages acknowledged",
            f"{len(errors)} errors, e.g. {errors[:2]}")
    return placed, inferred


def consume(b, topic, api_version, want_count):
    kw = {"bootstrap_servers": b.bootstrap, "group_id": None, "enable_auto_commit": False,
          "fetch_max_wait_ms": 100, "request_timeout_ms": 20000}
    if api_version:
        kw["api_version"] = api_version
    consumer = KafkaConsumer(**kw)
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    got = []
    deadline = time.time() + 30
    while len(got) < want_count and time.time() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            got.extend(records)
    return consumer, tps, got


def raw_fetch_error(b, topic, partition, version):
    """Sends one FetchRequest of the given version from offset 0; returns its error code."""
    client = KafkaClient(bootstrap_servers=b.bootstrap, api_version=(0, 10, 1))
    try:
        deadline = time.time() + 10
        while not client.ready(1) and time.time() < deadline:
            client.poll(timeout_ms=100)
        fields = {"replica_id": -1, "max_wait_time": 100, "min_bytes": 1,
                  "topics": [(topic, [(partition, 0, 1 << 20)])]}
        if version >= 3:
            fields["max_bytes"] = 1 << 20
        future = client.send(1, FetchRequest[version](**fields))
        client.poll(future=future, timeout_ms=10000)
        if not future.succeeded():
            return f"no answer: {future.exception!r}"
        return future.value.topics[0][1][0][1]
    finally:
        client.close()


def check_records(c, label, placed, got, magic, want_ts, headers_kept=True):
    """want_ts: "same" (the timestamp sent), -1, or None (no timestamp, no type).
    headers_kept=False: a down-converted old format, which has no headers."""
    at = {(r.partition, r.offset): r for r in got}
    c.check(len(got) == N and len(at) == N, f"[{label}] reads {N} records",
            f"read {len(got)} ({len(at)} distinct offsets)")
    bad = []
    for i, pos in placed.items():
        r = at.get(pos)
        key, value, ts, headers = message(i, magic)
        headers = headers if headers_kept else []
        ts_want, type_want = (ts, 0) if want_ts == "same" else (want_ts, 0)
        if want_ts is None:
            type_want = None
        if r is None:
            bad.append(f"{i}: nothing at {pos}")
        elif (r.key, r.value) != (key, value):
            bad.append(f"{i} at {pos}: key/value {r.key!r}/{str(r.value)[:40]}")
        elif r.timestamp != ts_want or r.timestamp_type != type_want:
            bad.append(f"{i} at {pos}: timestamp {r.timestamp} type {r.timestamp_type}, "
                       f"want {ts_want} type {type_want}")
        elif [(k, v) for k, v in r.headers] != headers:
            bad.append(f"{i} at {pos}: headers {r.headers}")
    c.check(not bad, f"[{label}] key, value, timestamp and headers equal at the acknowledged "
            "offsets", f"{len(bad)} bad: {bad[:3]}")


def roundtrip(c, b, mode, api_version, codec, magic):
    label = f"{mode}/{codec or 'none'}"
    topic = f"kp-{mode.replace('.', '_')}-{codec or 'none'}"
    placed, inferred = produce(c, b, label, topic, api_version, codec, magic)
    consumer, tps, got = consume(b, topic, api_version, len(placed))
    # A consumer of the same era: magic 0 has no timestamps at all (Fetch v0/v1 hand back
    # magic 0, which kafka-python reports as timestamp None).
    check_records(c, f"{label}: same-version consumer", placed, got, magic,
                  None if magic == 0 else "same")
    if api_version is not None:
        # The modern consumer (Fetch v4+, stored v2 batches): magic 0 records were stored
        # without a timestamp, which Kafka writes as -1 CreateTime.
        modern, _, got2 = consume(b, topic, None, len(placed))
        modern.close()
        check_records(c, f"{label}: modern consumer", placed, got2, magic,
                      -1 if magic == 0 else "same")
    elif codec == "zstd":
        # zstd has no legacy form: Kafka answers Fetch below v10 on zstd data with
        # UNSUPPORTED_COMPRESSION_TYPE (KIP-110). Asked directly, since kafka-python 2.0.2
        # does not know error 76 and would only log it.
        p0 = placed[0][0]
        for v in (1, 3):
            err = raw_fetch_error(b, topic, p0, v)
            c.check(err == 76, f"[{label}] Fetch v{v} of zstd data answers "
                    "UNSUPPORTED_COMPRESSION_TYPE (76)", f"error_code {err}")
    else:
        # Old consumers get magic 2 batches down-converted (Fetch v1: magic 0, v3: magic 1),
        # which loses the headers and, for magic 0, the timestamps.
        for old, old_magic in (((0, 9), 0), ((0, 10, 1), 1)):
            cons, _, got_old = consume(b, topic, old, len(placed))
            cons.close()
            check_records(c, f"{label}: {old} consumer", placed, got_old, magic,
                          None if old_magic == 0 else "same", headers_kept=False)

    order_ok = True
    for p in range(PARTITIONS):
        offs = [placed[i][1] for i in sorted(placed) if placed[i][0] == p]
        order_ok &= offs == list(range(len(offs)))
    c.check(order_ok, f"[{label}] per partition the offsets are 0..n-1 in send order")

    ok, detail = segments.check_codec(
        [b.partition_dir(topic, p) for p in range(PARTITIONS)], codec or "none")
    c.check(ok, f"[{label}] stored batches use {codec or 'none'}", detail)

    if api_version is None or api_version >= (0, 10, 1):
        ends = consumer.end_offsets(tps)
        starts = consumer.beginning_offsets(tps)
        counts = {TopicPartition(topic, p): 0 for p in range(PARTITIONS)}
        for p, _ in placed.values():
            counts[TopicPartition(topic, p)] += 1
        c.check(ends == counts and set(starts.values()) == {0},
                f"[{label}] beginning_offsets all 0, end_offsets = records per partition",
                f"begin {starts} end {ends} want {counts}")
        if magic >= 1:
            i = 1234
            p, o = placed[i]
            tp = TopicPartition(topic, p)
            # The first record of that partition at or after message i's timestamp.
            want = min(off for j, (q, off) in placed.items() if q == p and j >= i)
            res = consumer.offsets_for_times({tp: T0 + i})
            c.check(res[tp] is not None and res[tp].offset == want,
                    f"[{label}] offsets_for_times finds offset {want}", str(res))
    consumer.close()
    return inferred


def main():
    c = Checks("kafka-python")
    start = time.time()
    with Broker({"num.partitions": str(PARTITIONS)}, name="kafka-python") as b:
        b.start()
        for mode, api_version, codecs, magic in MODES:
            t = time.time()
            inferred = None
            for codec in codecs:
                try:
                    inferred = roundtrip(c, b, mode, api_version, codec, magic)
                except Exception as e:  # noqa: BLE001 - report and go on with the next one
                    c.check(False, f"[{mode}/{codec or 'none'}] round trip", repr(e))
            print(f"  mode {mode}: producer api_version {inferred}, {time.time() - t:.1f}s",
                  flush=True)
            if api_version is None:
                c.check(inferred is not None and inferred >= (2, 1),
                        "kafka-python infers a broker >= 2.1 (zstd, magic 2) from ApiVersions",
                        str(inferred))
        if c.failed:
            print("broker log tail:\n" + b.log_tail(20))
    print(f"  total {time.time() - start:.1f}s")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
