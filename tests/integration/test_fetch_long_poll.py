#!/usr/bin/python3
"""Fetch long poll: a fetch short of min_bytes waits up to max_wait_ms and is answered as
soon as an append brings enough data.

Raw Fetch v12 (sessionless and within an incremental session) and a kafka-python consumer:
a fetch waiting with max_wait 5000 ms gets a message produced 300 ms later in well under
2 s; with nothing produced it comes back after max_wait (empty); with min_bytes larger than
what arrives it waits for max_wait and then returns what there is; min_bytes 0 answers at
once. Timing bounds are generous (the machine may be busy); a fetch that ignored the long
poll or missed the wake-up fails them by seconds.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from fjordtest import Broker, Checks  # noqa: E402
from fetchproto import Conn, batches, partitions_of  # noqa: E402

TOPIC = "poll"
MAX = 1 << 20


def offsets(resp):
    p = partitions_of(resp).get((TOPIC, 0))
    if p is None:
        return None
    return [o for base, last, _ in batches(p["records"] or b"") for o in range(base, last + 1)]


class Produced:
    """Produces one message `delay` seconds from now, on its own thread."""

    def __init__(self, producer, delay, value=b"late"):
        self.thread = threading.Timer(delay, self._send, args=(producer, value))
        self.thread.start()

    @staticmethod
    def _send(producer, value):
        producer.send(TOPIC, value=value, partition=0).get(timeout=10)

    def join(self):
        self.thread.join()


def timed_fetch(conn, end, **kw):
    start = time.monotonic()
    resp = conn.fetch(12, [(TOPIC, [(0, end, MAX)])], **kw)
    return resp, time.monotonic() - start


def main():
    c = Checks("fetch long poll")
    with Broker() as b:
        b.start()
        producer = KafkaProducer(bootstrap_servers=b.bootstrap, linger_ms=0, acks=1)
        producer.send(TOPIC, value=b"first", partition=0).get(timeout=10)
        conn = Conn(b.bootstrap)
        end = 1

        print("-- raw Fetch v12, sessionless")
        p = Produced(producer, 0.3)
        resp, took = timed_fetch(conn, end, max_wait_ms=5000, min_bytes=1)
        p.join()
        c.check(offsets(resp) == [end], "the waiting fetch returns the new record",
                offsets(resp))
        c.check(0.2 <= took < 2.0, f"it waited for the append and no longer ({took:.2f}s)")
        end += 1

        resp, took = timed_fetch(conn, end, max_wait_ms=1000, min_bytes=1)
        c.check(resp["error_code"] == 0 and offsets(resp) == [],
                "nothing produced: an empty answer", resp)
        c.check(0.9 <= took < 3.0, f"after max_wait 1000 ms ({took:.2f}s)")

        p = Produced(producer, 0.3)
        resp, took = timed_fetch(conn, end, max_wait_ms=1500, min_bytes=1 << 20)
        p.join()
        c.check(offsets(resp) == [end], "min_bytes not reached: what there is, at max_wait",
                offsets(resp))
        c.check(1.4 <= took < 3.5, f"appends short of min_bytes do not end the wait "
                f"({took:.2f}s)")
        end += 1

        resp, took = timed_fetch(conn, end, max_wait_ms=5000, min_bytes=0)
        c.check(offsets(resp) == [] and took < 1.0, f"min_bytes 0 answers at once ({took:.2f}s)")

        print("-- raw Fetch v12, incremental session")
        resp = conn.fetch(12, [(TOPIC, [(0, end, MAX)])], session_id=0, session_epoch=0)
        sid = resp["session_id"]
        c.check(sid > 0, "session opened", resp)
        p = Produced(producer, 0.3)
        start = time.monotonic()
        resp = conn.fetch(12, [], session_id=sid, session_epoch=1, max_wait_ms=5000)
        took = time.monotonic() - start
        p.join()
        c.check(offsets(resp) == [end] and 0.2 <= took < 2.0,
                f"an incremental fetch is woken by the append ({took:.2f}s)", offsets(resp))
        end += 1

        print("-- kafka-python consumer (fetch_max_wait_ms 5000)")
        consumer = KafkaConsumer(bootstrap_servers=b.bootstrap, fetch_max_wait_ms=5000,
                                 enable_auto_commit=False, consumer_timeout_ms=8000)
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        consumer.seek(tp, end)
        consumer.poll(timeout_ms=100)  # connects; its first fetch now waits at the end
        time.sleep(0.5)
        p = Produced(producer, 0.3, b"for-the-consumer")
        start = time.monotonic()
        got = []
        while not got and time.monotonic() - start < 8:
            for records in consumer.poll(timeout_ms=200).values():
                got += [r.value for r in records]
        took = time.monotonic() - start
        p.join()
        c.check(got == [b"for-the-consumer"] and took < 2.0,
                f"kafka-python gets the record {took:.2f}s after the wait began", got)
        consumer.close()
        producer.close()
        conn.close()
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
