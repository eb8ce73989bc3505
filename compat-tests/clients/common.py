"""Shared by the Python scenario drivers (kafka_python.py, confluent.py) of the client matrix.

The data every client writes is the same function of the message index i (sarama/main.go
and kafkajs.js build the identical messages), so any reader can check it byte for byte:
  key      empty when i % 53 == 13, NULL when i % 50 == 7, else b"key-%05d" % i
  value    NULL when i % 61 == 11, empty when i % 59 == 17,
           else b"v<i>|" + bytes((i*7 + j) % 256 for j < i % 200) + b"|end"
  headers  [("h", b"<i>"), ("bin", b"\\x00\\xff")] when i % 3 == 0 (clients/formats with headers)
A codec scenario writes what the producer acknowledged, one JSON line per record
({"p", "o", "k", "v"}: hex or null) after a header line ({"topic", "codec", "partitions"}),
to $FJORD_EXPECT_FILE; run.py then reads the topic back with kcat (CRCs checked) and the
stored batches from the segment files, so the client's own reading is not the only witness.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "integration"))
from fjordtest import Checks  # noqa: E402,F401  (re-exported for the drivers)

PARTITIONS = 3  # run.py starts the broker with num.partitions=3


def key(i):
    if i % 53 == 13:
        return b""
    return None if i % 50 == 7 else b"key-%05d" % i


def value(i):
    if i % 61 == 11:
        return None
    if i % 59 == 17:
        return b""
    return b"v%d|" % i + bytes((i * 7 + j) % 256 for j in range(i % 200)) + b"|end"


def headers(i):
    return [("h", b"%d" % i), ("bin", b"\x00\xff")] if i % 3 == 0 else []


LARGE = 1_500_000  # bytes per record of the "large" scenarios: above every default fetch size


def large_value(i):
    """LARGE bytes, different per i (the same function in sarama/main.go and kafkajs.js)."""
    return bytes((i * 7919 + j * 31 + (j >> 8)) % 251 for j in range(LARGE))


def write_expect(topic, codec, placed):
    """placed: {i: (partition, offset)} as acknowledged by the producer."""
    path = os.environ.get("FJORD_EXPECT_FILE")
    if not path:
        return
    with open(path, "w") as f:
        f.write(json.dumps({"topic": topic, "codec": codec, "partitions": PARTITIONS}) + "\n")
        for i in sorted(placed):
            p, o = placed[i]
            k, v = key(i), value(i)
            f.write(json.dumps({"p": p, "o": o, "k": None if k is None else k.hex(),
                                "v": None if v is None else v.hex()}) + "\n")


def check_placement(c, placed, n):
    """Every message acknowledged; per partition the offsets are 0..k-1 in send order."""
    c.check(len(placed) == n, f"{n} messages acknowledged", f"{len(placed)} acknowledged")
    bad = []
    for p in range(PARTITIONS):
        offs = [placed[i][1] for i in sorted(placed) if placed[i][0] == p]
        if offs != list(range(len(offs))):
            bad.append(f"partition {p}: {offs[:8]}...")
    c.check(not bad, "per partition the acknowledged offsets are 0..n-1 in send order",
            "; ".join(bad))


def check_read(c, placed, got, with_headers=True, gaps=False):
    """got: list of (partition, offset, key, value, headers as [(str, bytes)]) in the order
    the consumer returned them. Checks count, per-partition order and byte equality.
    gaps=True: offsets only increase (read_committed skips aborted records and markers)."""
    at = {}
    order_bad = []
    last = {}
    for p, o, k, v, h in got:
        if p in last and (o <= last[p] if gaps else o != last[p] + 1):
            order_bad.append(f"p{p}: {last[p]} then {o}")
        last[p] = o
        at[(p, o)] = (k, v, h)
    c.check(len(got) == len(placed) and len(at) == len(placed),
            f"consumer reads exactly {len(placed)} records",
            f"read {len(got)} ({len(at)} distinct offsets)")
    c.check(not order_bad, "consumer returns each partition in offset order"
            + ("" if gaps else " without gaps"),
            "; ".join(order_bad[:3]))
    bad = []
    for i, pos in sorted(placed.items()):
        r = at.get(pos)
        want_h = headers(i) if with_headers else []
        if r is None:
            bad.append(f"{i}: nothing at {pos}")
        elif (r[0], r[1]) != (key(i), value(i)):
            bad.append(f"{i} at {pos}: key {r[0]!r} value {str(r[1])[:30]}")
        elif [(hk, bytes(hv) if hv is not None else None) for hk, hv in r[2]] != want_h:
            bad.append(f"{i} at {pos}: headers {r[2]!r}")
    c.check(not bad, "keys, values and headers byte-equal at the acknowledged offsets",
            f"{len(bad)} bad: {bad[:3]}")
