#!/usr/bin/python3
"""Offsets by timestamp (ListOffsets) through kcat -Q and confluent_kafka.

A producer (confluent_kafka, librdkafka 2.0.2) writes records with explicit CreateTime
timestamps into a 4-partition topic; small segments and a dense index make the lookups
cross segments and index entries:
  p0: 2,000 records, timestamps strictly increasing, uncompressed, ~40 batches;
  p1: 2,000 records, timestamps jittering backwards and forwards plus far-future and
      far-past outliers (the answer is the first offset whose timestamp is >= t);
  p2: like p0 but gzip batches (the lookup has to look inside compressed batches);
  p3: empty.
Checks: stored timestamps come back unchanged (kcat -C, CreateTime); for many targets t,
`kcat -Q -t topic:p:t`, confluent_kafka offsets_for_times and `kcat -C -o s@t` all give
exactly min{offset : ts(offset) >= t}, or -1 when no record is that new; earliest/latest
(-2/-1 through kcat -Q and offsets_for_times) and get_watermark_offsets give (0, n). The
lookups are repeated after a clean restart and after a SIGKILL restart (indexes rebuilt).
"""

import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from fjordtest import Broker, Checks  # noqa: E402
import segments  # noqa: E402

TOPIC = "ts"
N = 2000
T0 = (int(time.time()) - 3600) * 1000  # an hour ago, so no timestamp limit gets in the way


def timestamps_for(partition):
    if partition in (0, 2):
        return [T0 + 10 * i for i in range(N)]
    out = []
    for i in range(N):
        ts = T0 + 10 * i + ((i * 7919) % 13 - 6) * 25  # up to 150 ms back or forth
        if i == 500:
            ts = T0 + 10_000_000  # one record from the future
        if i == 1200:
            ts = T0 - 5_000  # one from the past
        out.append(ts)
    return out


def expected(ts_list, t):
    """Kafka's answer: the first offset whose timestamp is >= t, else -1."""
    if t == -2:
        return 0
    if t == -1:
        return len(ts_list)
    return next((o for o, ts in enumerate(ts_list) if ts >= t), -1)


def targets(ts_list, rnd):
    if not ts_list:
        return [0, T0, -1, -2]
    lo, hi = min(ts_list), max(ts_list)
    picks = [0, lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, hi + 10_000, -1, -2]
    picks += [ts_list[o] for o in (0, 1, 37, 499, 500, 501, 1000, 1199, 1200, 1201, N - 1)]
    picks += [ts_list[o] + 1 for o in (3, 499, 777, 1200, N - 2)]
    picks += [rnd.randrange(lo - 100, T0 + 10 * N + 200) for _ in range(40)]
    return picks


def produce(c, bootstrap, partition, ts_list, compression):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all",
                  "compression.type": compression})
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))

    for i, ts in enumerate(ts_list):
        p.produce(TOPIC, key=b"k%d" % i, value=b"p%d-value-%d " % (partition, i) * 5,
                  partition=partition, timestamp=ts, on_delivery=on_delivery)
        if i % 50 == 49:
            p.flush(30)  # one batch per 50 records
    left = p.flush(30)
    c.check(not errors and left == 0, f"p{partition}: {len(ts_list)} records delivered "
            f"({compression})", f"errors {errors[:3]}, undelivered {left}")


def check_stored(c, bootstrap, all_ts):
    r = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", TOPIC, "-o", "beginning", "-e",
                        "-q", "-J"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    got = {p: [] for p in all_ts}
    types = set()
    for line in r.stdout.decode().splitlines():
        m = json.loads(line)
        got[m["partition"]].append((m["offset"], m["ts"]))
        types.add(m["tstype"])
    for p, ts_list in all_ts.items():
        want = list(enumerate(ts_list))
        c.check(got[p] == want, f"p{p}: kcat -C reads back every offset with its timestamp",
                f"{len(got[p])} records, first diff "
                f"{next((x for x in zip(got[p], want) if x[0] != x[1]), None)}")
    c.check(types == {"create"}, "timestamp type is CreateTime", str(types))


def kcat_query(bootstrap, partition_targets):
    """One kcat -Q with one target per partition -> {partition: offset}."""
    args = ["kcat", "-Q", "-J", "-b", bootstrap, "-m", "10"]
    for p, t in partition_targets.items():
        args += ["-t", f"{TOPIC}:{p}:{t}"]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        return {p: f"kcat rc={r.returncode}: {r.stderr.decode(errors='replace')[:200]}"
                for p in partition_targets}
    out = json.loads(r.stdout)[TOPIC]
    return {int(k): v.get("offset", v) for k, v in out.items() if k != "topic"}


def check_lookups(c, bootstrap, all_ts, label):
    rnd = random.Random(7)
    plan = {p: targets(ts, rnd) for p, ts in all_ts.items()}

    # kcat -Q: one query per partition per run.
    bad = []
    rounds = max(len(v) for v in plan.values())
    for i in range(rounds):
        ask = {p: ts[i] for p, ts in plan.items() if i < len(ts)}
        got = kcat_query(bootstrap, ask)
        for p, t in ask.items():
            want = expected(all_ts[p], t)
            if got.get(p) != want:
                bad.append(f"p{p} t={t}: got {got.get(p)} want {want}")
    n = sum(len(v) for v in plan.values())
    c.check(not bad, f"[{label}] kcat -Q: {n} lookups exact", "; ".join(bad[:5]))

    # confluent_kafka offsets_for_times (ListOffsets through the consumer API).
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-no-subscribe",
                         "enable.auto.commit": False})
    bad = []
    for i in range(rounds):
        ask = [TopicPartition(TOPIC, p, ts[i]) for p, ts in plan.items() if i < len(ts)]
        for tp in consumer.offsets_for_times(ask, timeout=10):
            want = expected(all_ts[tp.partition], next(x.offset for x in ask
                                                       if x.partition == tp.partition))
            if tp.error is not None or tp.offset != want:
                bad.append(f"p{tp.partition}: got {tp.offset} {tp.error} want {want}")
    c.check(not bad, f"[{label}] offsets_for_times: {n} lookups exact", "; ".join(bad[:5]))

    marks = {p: consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
             for p in all_ts}
    want = {p: (0, len(ts)) for p, ts in all_ts.items()}
    c.check(marks == want, f"[{label}] get_watermark_offsets = (0, n) per partition",
            f"got {marks}")
    consumer.close()

    # kcat -o s@t: consumption starting at a timestamp.
    bad = []
    for p, ts_list in all_ts.items():
        if not ts_list:
            continue
        for t in (ts_list[0], ts_list[777] + 1, T0 + 10 * 1500):
            r = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", TOPIC, "-p", str(p),
                                "-o", f"s@{t}", "-c", "1", "-e", "-q", "-f", "%o\\n"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            got = r.stdout.decode().strip()
            if got != str(expected(ts_list, t)):
                bad.append(f"p{p} s@{t}: first offset {got!r} want {expected(ts_list, t)}")
    c.check(not bad, f"[{label}] kcat -C -o s@t starts at the right offset", "; ".join(bad[:5]))


def main():
    c = Checks("offsets by timestamp")
    start = time.time()
    overrides = {"num.partitions": "4", "log.segment.bytes": "16384",
                 "log.index.interval.bytes": "512"}
    with Broker(overrides, name="kcat-ts") as b:
        b.start()
        all_ts = {0: timestamps_for(0), 1: timestamps_for(1), 2: timestamps_for(2), 3: []}
        produce(c, b.bootstrap, 0, all_ts[0], "none")
        produce(c, b.bootstrap, 1, all_ts[1], "none")
        produce(c, b.bootstrap, 2, all_ts[2], "gzip")
        segs = len([n for n in os.listdir(b.partition_dir(TOPIC, 0)) if n.endswith(".log")])
        c.check(segs > 3, f"p0 spans several segments ({segs})")
        codecs = {p: {bt.codec for bt in segments.partition_batches(b.partition_dir(TOPIC, p))}
                  for p in range(3)}
        c.check(codecs == {0: {"none"}, 1: {"none"}, 2: {"gzip"}},
                "stored batches: p0/p1 uncompressed, p2 gzip", str(codecs))
        check_stored(c, b.bootstrap, all_ts)
        check_lookups(c, b.bootstrap, all_ts, "live")
        c.check(b.stop() == 0, "broker stops cleanly on SIGTERM")
        b.start()
        check_lookups(c, b.bootstrap, all_ts, "after clean restart")
        b.kill()
        b.start()
        check_lookups(c, b.bootstrap, all_ts, "after SIGKILL restart")
        if c.failed:
            print("broker log tail:\n" + b.log_tail(20))
    print(f"  total {time.time() - start:.1f}s")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
