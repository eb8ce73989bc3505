#!/usr/bin/python3
"""Retention runs every log.retention.check.interval.ms (FINDINGS F6), not every 60 s.

The broker starts with log.retention.check.interval.ms=40000. Like Kafka (whose first pass
comes log.initial.task.delay.ms = 30 s after start), Fjord runs the first retention pass
min(30 s, interval) after start, then every interval: passes at ~30 s and ~70 s. Flushes and
checkpoints keep their own 60 s tick and must not delete anything.

A topic with segment.bytes=1024 and retention.ms=60000 gets records stamped in 1970, one
batch per segment, so every closed segment is expired. Checks (log start offset from
ListOffsets earliest, segment files on disk):
  - at ~25 s nothing is deleted yet (no pass before 30 s);
  - at ~36 s the expired segments are gone (all of them: Kafka rolls the active one) (the 30 s pass; the old code with a
    40 s interval would not have run yet);
  - segments written after that pass are still there at ~62 s (no pass between 30 s and
    70 s: neither the 60 s flush tick nor a fixed 60 s timer deletes anything);
  - at ~76 s they are gone too (the 70 s pass).
Takes about 80 s.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
from kafkawire import Connection  # noqa: E402
import segments  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

TOPIC = "retention-interval"


def create_topic(b):
    with Connection(b.bootstrap) as c:
        r = c.request("CreateTopics", 5, {"timeout_ms": 30000, "topics": [{
            "name": TOPIC, "num_partitions": 1, "replication_factor": 1,
            "configs": [{"name": "segment.bytes", "value": "1024"},
                        {"name": "retention.ms", "value": "60000"}]}]})
    return r["topics"][0]["error_code"]


def earliest(b):
    with Connection(b.bootstrap) as c:
        r = c.request("ListOffsets", 1, {"replica_id": -1, "topics": [
            {"name": TOPIC, "partitions": [{"partition_index": 0, "timestamp": -2}]}]})
    return r["topics"][0]["partitions"][0]["offset"]


def produce_old(b, n, tag):
    """n batches of ~700 B stamped in 1970: each fills its own segment."""
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 0})
    errs = []
    for i in range(n):
        p.produce(TOPIC, b"%s-%d-" % (tag, i) + b"x" * 700, partition=0, timestamp=1000 + i,
                  on_delivery=lambda e, m: errs.append(e) if e else None)
        p.flush(30)
    return not errs


def segment_count(b):
    return len(segments.segment_files(b.partition_dir(TOPIC, 0)))


def wait_until(t0, at):
    delay = t0 + at - time.time()
    if delay > 0:
        time.sleep(delay)


def main():
    c = Checks("retention every log.retention.check.interval.ms")
    with Broker({"log.retention.check.interval.ms": "40000"}, name="retint") as b:
        b.start()
        t0 = time.time()  # the broker's timers started a few ms before this
        c.check(create_topic(b) == 0, "topic created")
        c.check(produce_old(b, 5, b"a"), "5 batches stamped 1970 produced")
        segs = segment_count(b)
        c.check(segs == 5, "5 segments on disk", str(segs))
        wait_until(t0, 25)
        c.check(earliest(b) == 0 and segment_count(b) == 5,
                "at 25 s nothing is deleted", f"earliest {earliest(b)}, {segment_count(b)} segs")
        wait_until(t0, 36)
        # All 5 expired (the active one too): as Kafka, roll an empty segment, delete the 5.
        c.check(earliest(b) == 5 and segment_count(b) == 1,
                "at 36 s the 5 expired segments are deleted (first pass at 30 s)",
                f"earliest {earliest(b)}, {segment_count(b)} segs")
        c.check(produce_old(b, 4, b"b"), "4 more batches stamped 1970 produced")
        c.check(segment_count(b) == 4, "4 segments on disk", str(segment_count(b)))
        wait_until(t0, 62)
        c.check(earliest(b) == 5 and segment_count(b) == 4,
                "at 62 s they are still there (no pass between 30 s and 70 s)",
                f"earliest {earliest(b)}, {segment_count(b)} segs")
        wait_until(t0, 76)
        c.check(earliest(b) == 9 and segment_count(b) == 1,
                "at 76 s they are deleted (second pass at 70 s)",
                f"earliest {earliest(b)}, {segment_count(b)} segs")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
