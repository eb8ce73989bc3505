#!/usr/bin/python3
"""Transactions in the log, seen by real clients (confluent_kafka / librdkafka 2.0.2).

A transactional producer writes, into one partition of topic "rc" (small segments so the
transactions span several of them):
    txn A: 40 records "a-*", committed
    txn B: 40 records "b-*", aborted
    plain: a second, idempotent (non-transactional) producer writes 5 records "p-*" while
           txn C is open
    txn C: 40 records "c-*", left open while the consumers read
Checks:
  - ListOffsets read_committed (raw wire) answers txn C's first offset while it is open;
    read_uncommitted answers the log end; Fetch read_committed reports the same LSO.
  - a read_committed consumer sees exactly a-* (and no b-*, c-*, p-* beyond the LSO);
    a read_uncommitted consumer sees a-*, b-*, c-*, p-* (markers are never delivered).
  - after C commits, read_committed sees a-*, p-*, c-*, never b-*; offsets increase.
  - the aborted range is in a .txnindex file in Kafka's 34-byte format naming the
    producer id and txn B's first offset.
  - after a SIGKILL restart (and again with every .txnindex and .snapshot removed while the
    broker is down: rebuilt from the log) read_committed still never returns b-*.
"""

import glob
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from fjordtest import Broker, Checks  # noqa: E402
from kafkawire import Connection  # noqa: E402

TOPIC = "rc"


def create_topic(b):
    with Connection(b.bootstrap) as c:
        r = c.request("CreateTopics", 7, {"topics": [{
            "name": TOPIC, "num_partitions": 1, "replication_factor": -1,
            "configs": [{"name": "segment.bytes", "value": "4000"}]}], "timeout_ms": 10000})
    return r["topics"][0]["error_code"]


def latest(b, isolation):
    with Connection(b.bootstrap) as c:
        r = c.request("ListOffsets", 5, {"replica_id": -1, "isolation_level": isolation,
                                          "topics": [{"name": TOPIC, "partitions": [{
                                              "partition_index": 0, "current_leader_epoch": -1,
                                              "timestamp": -1}]}]})
    return r["topics"][0]["partitions"][0]["offset"]


def fetch_lso(b):
    with Connection(b.bootstrap) as c:
        r = c.request("Fetch", 11, {
            "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20,
            "isolation_level": 1, "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": TOPIC, "partitions": [{
                "partition": 0, "current_leader_epoch": -1, "fetch_offset": 0,
                "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}]})
    return r["responses"][0]["partitions"][0]["last_stable_offset"]


def consume_all(b, isolation, expect_end, timeout=20):
    """Values read from offset 0 until EOF at or past `expect_end` (or timeout)."""
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": f"g-{isolation}-{time.time()}",
                  "isolation.level": isolation, "enable.auto.commit": False,
                  "enable.partition.eof": True, "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(TOPIC, 0, 0)])
    out = []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    if m.offset() >= expect_end:
                        break
                    continue
                out.append(("error", str(m.error())))
                continue
            out.append((m.offset(), m.value().decode()))
    finally:
        c.close()
    return out


def produce_txn(p, prefix, n):
    for i in range(n):
        p.produce(TOPIC, value=f"{prefix}-{i}".encode() + b"x" * 60, partition=0)
    p.flush(30)


def values_of(recs):
    return [v.split("x")[0] if isinstance(v, str) else v for (_, v) in recs]


def main():
    c = Checks("read_committed with transactions")
    with Broker({"num.partitions": "1"}, name="rc") as b:
        b.start()
        c.check(create_topic(b) == 0, "topic created")
        p = Producer({"bootstrap.servers": b.bootstrap, "transactional.id": "rc-txn",
                      "linger.ms": 5})
        p.init_transactions(30)
        p.begin_transaction()
        produce_txn(p, "a", 40)
        p.commit_transaction(30)
        p.begin_transaction()
        produce_txn(p, "b", 40)
        p.abort_transaction(30)
        p.begin_transaction()
        produce_txn(p, "c", 40)  # left open
        # The LSO is the first offset of txn C: 40 + 1 marker + 40 + 1 marker = 82.
        c.check(latest(b, 1) == 82, "ListOffsets read_committed = txn C's first offset 82",
                str(latest(b, 1)))
        c.check(fetch_lso(b) == 82, "Fetch read_committed last_stable_offset 82",
                str(fetch_lso(b)))
        plain = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True})
        for i in range(5):
            plain.produce(TOPIC, value=f"p-{i}".encode() + b"x", partition=0)
        plain.flush(30)
        plain = None
        end = latest(b, 0)
        c.check(end == 127, "ListOffsets read_uncommitted = log end 127", str(end))

        rc = consume_all(b, "read_committed", 82)
        vals = values_of(rc)
        c.check(vals == [f"a-{i}" for i in range(40)],
                "read_committed while C is open: exactly a-0..a-39", str(vals[:5] + vals[-5:]))
        ru = values_of(consume_all(b, "read_uncommitted", end))
        want = ([f"a-{i}" for i in range(40)] + [f"b-{i}" for i in range(40)] +
                [f"c-{i}" for i in range(40)] + [f"p-{i}" for i in range(5)])
        c.check(ru == want, "read_uncommitted: a, b, c and p records, no markers",
                f"{len(ru)} records")

        p.commit_transaction(30)
        c.check(latest(b, 1) == latest(b, 0), "after C commits the LSO is the log end")
        rc = consume_all(b, "read_committed", latest(b, 0))
        vals = values_of(rc)
        want_rc = ([f"a-{i}" for i in range(40)] + [f"c-{i}" for i in range(40)] +
                   [f"p-{i}" for i in range(5)])
        c.check(vals == want_rc, "read_committed after commit: a, c, p and never b",
                f"{len(vals)} records, b seen: {sum(v.startswith('b') for v in vals)}")
        offs = [o for (o, _) in rc]
        c.check(offs == sorted(offs), "read_committed offsets increase")

        # The .txnindex on disk.
        pdir = b.partition_dir(TOPIC, 0)
        entries = []
        for path in sorted(glob.glob(os.path.join(pdir, "*.txnindex"))):
            data = open(path, "rb").read()
            c.check(len(data) % 34 == 0, f"{os.path.basename(path)}: whole 34-byte entries")
            for i in range(0, len(data) - 33, 34):
                entries.append(struct.unpack_from(">hqqqq", data, i))
        c.check(len(entries) == 1 and entries[0][0] == 0 and entries[0][2] == 41 and
                entries[0][3] == 81, "one aborted txn entry: version 0, first 41, last 81",
                str(entries))
        p = None

        for how in ("SIGKILL", "SIGKILL with .txnindex and .snapshot removed"):
            b.kill()
            if "removed" in how:
                for f in glob.glob(os.path.join(pdir, "*.txnindex")) + \
                        glob.glob(os.path.join(pdir, "*.snapshot")):
                    os.remove(f)
            b.start()
            vals = values_of(consume_all(b, "read_committed", latest(b, 0)))
            c.check(vals == want_rc, f"after {how}: read_committed a, c, p and never b",
                    f"{len(vals)} records, b seen: {sum(v.startswith('b') for v in vals)}")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
