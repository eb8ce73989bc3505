#!/usr/bin/python3
"""Fetch responses served from segment files: with sendfile (the default on plaintext) and
with FJORD_ZERO_COPY=0 (records read into memory), the bytes on the wire are the segment's
bytes.

For each mode: 300 messages of 20 KB (about 6 MB) go to a 1-partition
topic. A raw Fetch v12 of everything returns exactly the bytes of the segment file; fetching
in 100 KB steps (each answer at least one whole batch, KIP-74; a partial batch at the
end is fetched again) returns consecutive slices of it; a flexible v17 fetch by topic id returns the same bytes. kafka-python reads every
value back with its newest Fetch and with Fetch v3 (down-converted to magic 1 from the file),
and kcat reads every message with CRC checks.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from fjordtest import Broker, Checks  # noqa: E402
from fetchproto import Conn, batches, partitions_of  # noqa: E402
import kcatutil  # noqa: E402

TOPIC = "zc"
N = 300
SIZE = 20 * 1024


def value(i):
    return (b"%06d" % i) * (SIZE // 6)


def reset_during_fetch(bootstrap, times=20):
    """Fetches the whole partition (several MB), reads the first MB of the answer and resets
    the connection while the broker is still sending. Returns how many resets were done."""
    host, port = bootstrap.rsplit(":", 1)
    name = TOPIC.encode()
    body = struct.pack(">iiiib", -1, 100, 1, 50 << 20, 0)
    body += struct.pack(">ih", 1, len(name)) + name
    body += struct.pack(">iiqi", 1, 0, 0, 50 << 20)
    req = struct.pack(">hhih", 1, 4, 1, 5) + b"reset" + body
    done = 0
    for _ in range(times):
        try:
            with socket.create_connection((host, int(port)), timeout=10) as s:
                s.sendall(struct.pack(">i", len(req)) + req)
                got = 0
                while got < 1 << 20:
                    chunk = s.recv(65536)
                    if not chunk:
                        return done
                    got += len(chunk)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            return done  # the broker is gone
        done += 1
    return done


def batch_positions(recs, n):
    """Where the first n batches of a records blob start."""
    pos, out = 0, []
    for _ in range(n):
        out.append(pos)
        pos += 12 + struct.unpack(">i", recs[pos + 8:pos + 12])[0]
    return out


def consume_all(bootstrap, api_version=None):
    kw = {"api_version": api_version} if api_version else {}
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=5000, fetch_max_bytes=1 << 20, **kw)
    tp = TopicPartition(TOPIC, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = [(m.offset, m.value) for m in consumer]
    consumer.close()
    return got


def run_mode(c, zero_copy):
    mode = "sendfile" if zero_copy else "copy"
    print(f"-- {mode}")
    os.environ["FJORD_ZERO_COPY"] = "1" if zero_copy else "0"
    with Broker() as b:
        b.start()
        producer = KafkaProducer(bootstrap_servers=b.bootstrap, linger_ms=0, acks=1,
                                 max_request_size=1 << 20)
        for i in range(N):
            producer.send(TOPIC, value=value(i), partition=0)
        producer.flush()
        producer.close()
        seg = os.path.join(b.partition_dir(TOPIC, 0), "%020d.log" % 0)
        with open(seg, "rb") as f:
            stored = f.read()
        c.check(len(stored) > N * SIZE, f"{mode}: segment holds {len(stored)} bytes")

        conn = Conn(b.bootstrap)
        r = conn.fetch(12, [(TOPIC, [(0, 0, 64 << 20)])])
        p = partitions_of(r)[(TOPIC, 0)]
        c.check(p["records"] == stored, f"{mode}: one v12 fetch returns the segment's bytes",
                (len(p["records"] or b""), len(stored)))

        pieces, offset, rounds = [], 0, 0
        while offset < N and rounds < 2 * N:
            rounds += 1
            r = conn.fetch(12, [(TOPIC, [(0, offset, 100 * 1024)])], max_bytes=100 * 1024)
            recs = partitions_of(r)[(TOPIC, 0)]["records"] or b""
            got = batches(recs)
            if not got:
                break
            whole = sum(12 + struct.unpack(">i", recs[p + 8:p + 12])[0]
                        for p in batch_positions(recs, len(got)))
            pieces.append(recs[:whole])  # a partial batch at the end comes again next time
            offset = got[-1][1] + 1
        c.check(b"".join(pieces) == stored and offset == N,
                f"{mode}: 100 KB steps return consecutive slices of the segment "
                f"({rounds} fetches)", (offset, sum(map(len, pieces))))

        tid = conn.topic_ids([TOPIC])[TOPIC]
        r = conn.fetch(17, [(tid, [(0, 0, 64 << 20)])])
        p = partitions_of(r).get((tid, 0), {})
        c.check(p.get("records") == stored, f"{mode}: v17 by topic id returns the same bytes")
        conn.close()

        want = [(i, value(i)) for i in range(N)]
        c.check(consume_all(b.bootstrap) == want, f"{mode}: kafka-python reads every value")
        c.check(consume_all(b.bootstrap, (0, 10, 1)) == want,
                f"{mode}: kafka-python with Fetch v3 (down-converted) reads every value")
        records, proc = kcatutil.consume(b.bootstrap, TOPIC)
        c.check(proc.returncode == 0 and [r[3] for r in records] == [v for _, v in want],
                f"{mode}: kcat reads every message", proc.stderr[-500:] if proc.stderr else "")
        resets = reset_during_fetch(b.bootstrap)
        time.sleep(0.3)
        c.check(b.running() and resets == 20,
                f"{mode}: 20 consumers resetting mid-response do not stop the broker",
                f"running={b.running()} resets={resets}")
        c.check(b.running() and consume_all(b.bootstrap) == want,
                f"{mode}: and it still serves every value")


def main():
    c = Checks("fetch zero copy")
    for zero_copy in (True, False):
        run_mode(c, zero_copy)
    os.environ.pop("FJORD_ZERO_COPY", None)
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
