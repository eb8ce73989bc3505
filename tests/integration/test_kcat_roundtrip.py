#!/usr/bin/python3
"""kcat (librdkafka 2.0.2) end to end: metadata, then 100,000 keyed messages per codec.

For each codec (none, gzip, snappy, lz4, zstd) a fresh topic is auto-created with 8
partitions (num.partitions=8), `kcat -P -z CODEC` produces 100,000 messages with distinct
keys and values (text, binary with NUL/newline/0xff bytes, multi-KB values), and
`kcat -C -e` reads every partition back. Checks:
  - kcat -L lists this broker (id, host:port) and every topic with 8 partitions led by it;
  - each message sits in the partition librdkafka's default partitioner picks
    (crc32(key) % 8), so the count per partition is exact;
  - per partition the offsets are 0..n-1 in produce order and key/value are byte-equal;
  - the batches stored on disk carry the codec the producer was asked for (librdkafka
    silently falls back to no compression when the broker's ApiVersions disable a codec).
"""

import json
import os
import random
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
from kcatutil import consume as kcat_consume  # noqa: E402
import segments  # noqa: E402

N = 100_000
PARTITIONS = 8
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
# Delimiters whose bytes are all distinct, so an occurrence can never straddle a boundary.
KEY_DELIM = b"\x02#KEY#\x03"
MSG_DELIM = b"\x1f#EOM#\x1e"
KCAT_KEY_DELIM = "\\x02#KEY#\\x03"
KCAT_MSG_DELIM = "\\x1f#EOM#\\x1e"


def make_messages(seed):
    """N (key, value) pairs, all distinct, mixing compressible text and raw binary."""
    rnd = random.Random(seed)
    words = [b"fjord", b"kafka", b"broker", b"partition", b"offset", b"record", b"batch"]
    out = []
    for i in range(N):
        key = b"key-%06d-" % i + rnd.randbytes(rnd.randrange(0, 6))
        kind = i % 4
        if kind == 0:
            value = b" ".join(rnd.choice(words) for _ in range(rnd.randrange(2, 60)))
        elif kind == 1:
            value = rnd.randbytes(rnd.randrange(1, 120))
            value += b"\x00\n\xff"
        elif kind == 2:
            value = (b"%d:" % i) * rnd.randrange(10, 200)
            if i % 1000 == 2:
                value *= 20  # a few values of several KB
        else:
            value = b"v%d" % i
        value = b"#%d#" % i + value  # distinct even where the generator repeats
        for d in (KEY_DELIM, MSG_DELIM):
            key = key.replace(d, b"")
            value = value.replace(d, b"")
        out.append((key, value))
    return out


def kcat(args, stdin=None, timeout=120):
    return subprocess.run(["kcat"] + args, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


def check_metadata(c, b, topics):
    r = kcat(["-L", "-J", "-b", b.bootstrap, "-m", "10"])
    c.check(r.returncode == 0, "kcat -L exits 0", r.stderr.decode(errors="replace"))
    try:
        md = json.loads(r.stdout)
    except ValueError:
        c.check(False, "kcat -L -J prints JSON", r.stdout[:200])
        return
    brokers = [(x.get("id"), x.get("name")) for x in md.get("brokers", [])]
    c.check(brokers == [(1, b.bootstrap)], "kcat -L lists exactly this broker (id 1)",
            f"got {brokers}")
    by_name = {t["topic"]: t for t in md.get("topics", [])}
    for t in topics:
        info = by_name.get(t)
        if not c.check(info is not None, f"kcat -L lists topic {t}", f"topics {list(by_name)}"):
            continue
        parts = sorted(info.get("partitions", []), key=lambda p: p["partition"])
        ok = ([p["partition"] for p in parts] == list(range(PARTITIONS)) and
              all(p.get("leader") == 1 for p in parts) and "error" not in info)
        c.check(ok, f"{t}: {PARTITIONS} partitions, all led by broker 1", json.dumps(info)[:300])


def roundtrip(c, b, codec, messages):
    topic = f"rt-{codec}"
    payload = b"".join(k + KEY_DELIM + v + MSG_DELIM for k, v in messages)
    t0 = time.time()
    args = ["-P", "-b", b.bootstrap, "-t", topic, "-K", KCAT_KEY_DELIM, "-D", KCAT_MSG_DELIM,
            "-X", "linger.ms=20", "-X", "batch.num.messages=5000", "-m", "10"]
    if codec != "none":
        args += ["-z", codec]
    r = kcat(args, stdin=payload)
    err = r.stderr.decode(errors="replace")
    c.check(r.returncode == 0 and "fail" not in err.lower(),
            f"[{codec}] kcat -P {N} messages exits 0 without delivery errors",
            f"rc={r.returncode} {err[-500:]}")
    t1 = time.time()

    got, r = kcat_consume(b.bootstrap, topic)
    c.check(r.returncode == 0, f"[{codec}] kcat -C -e exits 0", r.stderr.decode(errors="replace"))
    t2 = time.time()
    print(f"  [{codec}] produce {t1 - t0:.1f}s, consume {t2 - t1:.1f}s, {len(got)} records",
          flush=True)

    want = {p: [] for p in range(PARTITIONS)}
    for k, v in messages:
        want[zlib.crc32(k) % PARTITIONS].append((k, v))
    have = {p: [] for p in range(PARTITIONS)}
    for p, o, k, v, _ in got:
        have.setdefault(p, []).append((o, k, v))

    c.check(len(got) == N, f"[{codec}] consumed exactly {N} records", f"got {len(got)}")
    counts_want = [len(want[p]) for p in range(PARTITIONS)]
    counts_have = [len(have.get(p, [])) for p in range(PARTITIONS)]
    c.check(counts_have == counts_want and set(have) == set(range(PARTITIONS)),
            f"[{codec}] exact count per partition {counts_want}", f"got {counts_have}")
    bad = []
    for p in range(PARTITIONS):
        offsets = [o for o, _, _ in have.get(p, [])]
        if offsets != list(range(len(offsets))):
            bad.append(f"p{p} offsets not 0..n-1 increasing (first {offsets[:5]})")
            continue
        pairs = [(k, v) for _, k, v in have[p]]
        if pairs != want[p]:
            i = next((j for j, (x, y) in enumerate(zip(pairs, want[p])) if x != y),
                     min(len(pairs), len(want[p])))
            got_i = pairs[i] if i < len(pairs) else None
            bad.append(f"p{p} differs at offset {i}: got {str(got_i)[:80]} "
                       f"want {str(want[p][i] if i < len(want[p]) else None)[:80]}")
    c.check(not bad, f"[{codec}] per partition: offsets 0..n-1, produce order, key/value "
            "byte-equal", "; ".join(bad[:4]))

    ok, detail = segments.check_codec(
        [b.partition_dir(topic, p) for p in range(PARTITIONS)], codec)
    c.check(ok, f"[{codec}] stored batches are magic 2 / {codec}", detail)
    return topic


def main():
    c = Checks("kcat round trip")
    messages = make_messages(20240601)
    assert len({k for k, _ in messages}) == N and len({v for _, v in messages}) == N
    start = time.time()
    with Broker({"num.partitions": str(PARTITIONS)}, name="kcat-rt") as b:
        b.start()
        r = kcat(["-L", "-J", "-b", b.bootstrap, "-m", "10"])
        md = json.loads(r.stdout or b"{}")
        c.check(r.returncode == 0 and md.get("topics") == [],
                "kcat -L on an empty broker: no topics", r.stdout[:300])
        topics = []
        for codec in CODECS:
            topics.append(roundtrip(c, b, codec, messages))
        check_metadata(c, b, topics)
        if c.failed:
            print("broker log tail:\n" + b.log_tail(20))
    print(f"  total {time.time() - start:.1f}s")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
