#!/usr/bin/python3
"""An idempotent producer (confluent_kafka, librdkafka 2.0.2: enable.idempotence=true,
acks=all, unlimited retries, a long message.timeout.ms) writes a numbered sequence to each of
3 partitions without pause while the broker is SIGKILLed and restarted four times and stopped
with SIGTERM once, on the same data dir. Requests in flight at each crash are retried by the
client against the restarted broker, which must recognise the ones it had already written
(producer state rebuilt from snapshots and the log) and accept the rest in order.

The client reaches the broker through a proxy (advertised.listeners points at it) that also
drops every 12th Produce response and closes that connection: the batch was written but the
client never hears so and retries it, so duplicates certainly reach the broker, which must
answer them with their original offsets instead of writing them again.

Checks: the client reports no fatal error; every message is either delivered or reported
failed (none here: nothing times out); each partition holds its numbers in order, each
exactly once, with no gap, and every delivered message sits at the offset its delivery report
gave; DescribeProducers lists the producer on every partition with the last sequence number
the partition holds.
"""

import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
import kafkawire  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "idem-restarts"
PARTS = 3
PER_PARTITION = 6000


class DroppingProxy:
    """TCP proxy client <-> broker that swallows every `every`-th Produce response (closing
    both sides, as a broken connection would). Runs until close()."""

    def __init__(self, every):
        self.every = every
        self.produce_responses = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.target = None
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.port = self.srv.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.srv.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            produce_ids = set()
            threading.Thread(target=self._pump, args=(client, upstream, produce_ids, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, produce_ids, False),
                             daemon=True).start()

    @staticmethod
    def _read_frame(sock):
        head = b""
        while len(head) < 4:
            chunk = sock.recv(4 - len(head))
            if not chunk:
                return None
            head += chunk
        size, = struct.unpack(">i", head)
        body = bytearray()
        while len(body) < size:
            chunk = sock.recv(min(65536, size - len(body)))
            if not chunk:
                return None
            body += chunk
        return head + bytes(body)

    def _pump(self, src, dst, produce_ids, requests):
        try:
            while True:
                frame = self._read_frame(src)
                if frame is None:
                    break
                if requests:
                    api_key, _, corr = struct.unpack_from(">hhi", frame, 4)
                    if api_key == 0:  # Produce
                        produce_ids.add(corr)
                else:
                    corr, = struct.unpack_from(">i", frame, 4)
                    if corr in produce_ids:
                        produce_ids.discard(corr)
                        with self.lock:
                            self.produce_responses += 1
                            drop = self.produce_responses % self.every == 0
                            self.dropped += drop
                        if drop:
                            break
                dst.sendall(frame)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self):
        self.closed = True
        self.srv.close()


def read_all(bootstrap, limit=60.0):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "check",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    c.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTS)])
    out = {p: [] for p in range(PARTS)}
    eof = set()
    deadline = time.time() + limit
    while time.time() < deadline and len(eof) < PARTS:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
            continue
        eof.discard(m.partition())
        out[m.partition()].append((m.offset(), m.value().decode()))
    c.close()
    return out


def main():
    c = Checks("idempotent producer through broker restarts")
    proxy = DroppingProxy(every=12)
    # Segments roll (snapshots are written too); clients are sent to the proxy.
    with Broker({"log.segment.bytes": "65536",
                 "advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy.port}"}) as b:
        b.start()
        proxy.target = ("127.0.0.1", b.port)
        via = f"127.0.0.1:{proxy.port}"
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for f in admin.create_topics([NewTopic(TOPIC, PARTS, 1)]).values():
            f.result(30)

        delivered = {}  # (partition, n) -> offset
        failed = {}
        fatal = []
        lock = threading.Lock()

        def on_delivery(err, msg):
            p, n = msg.partition(), int(msg.value().decode().split(":")[1])
            with lock:
                if err is None:
                    delivered[(p, n)] = msg.offset()
                else:
                    failed[(p, n)] = str(err)


        def on_error(err):
            if err.fatal():
                fatal.append(str(err))

        producer = Producer({"bootstrap.servers": via, "enable.idempotence": True,
                             "acks": "all", "retries": 2147483647,
                             "message.timeout.ms": 300000, "linger.ms": 2,
                             "batch.num.messages": 50, "retry.backoff.ms": 50,
                             "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200,
                             "error_cb": on_error})
        stop = threading.Event()
        produced = [0]

        def produce_loop():
            n = 0
            while n < PER_PARTITION and not fatal:
                for p in range(PARTS):
                    while True:
                        try:
                            producer.produce(TOPIC, value=f"{p}:{n}".encode(), partition=p,
                                             on_delivery=on_delivery)
                            break
                        except BufferError:
                            producer.poll(0.05)
                n += 1
                produced[0] = n
                if n % 20 == 0:
                    producer.poll(0)
                    time.sleep(0.04)  # a steady stream across the restarts
            stop.set()

        t = threading.Thread(target=produce_loop, daemon=True)
        t.start()
        restarts = []
        for how in ["kill", "kill", "term", "kill", "kill"]:
            time.sleep(1.2)
            if stop.is_set():
                break
            before = len(delivered)
            if how == "kill":
                b.kill()
            else:
                c.check(b.stop() == 0, "SIGTERM: the broker exits cleanly")
            time.sleep(0.3)
            b.start()
            restarts.append((how, produced[0], before))
        t.join(120)
        remaining = producer.flush(120)
        print(f"  restarts (signal, produced, delivered): {restarts}", flush=True)
        c.check(len(restarts) == 5 and all(r[2] < PER_PARTITION * PARTS for r in restarts),
                "five restarts happened while messages were still being produced", restarts)
        print(f"  proxy: {proxy.dropped} of {proxy.produce_responses} produce responses "
              f"dropped", flush=True)
        c.check(proxy.dropped >= 10, "produce responses were lost after the writes",
                proxy.dropped)
        c.check(not fatal, "no fatal producer error", fatal)
        c.check(remaining == 0, "every message was delivered or failed", remaining)
        c.check(not failed, "no message failed (none timed out)", list(failed.items())[:5])
        c.check(len(delivered) == PARTS * PER_PARTITION, "every message delivered",
                len(delivered))

        got = read_all(b.bootstrap)
        for p in range(PARTS):
            nums = [int(v.split(":")[1]) for _, v in got[p]]
            want = [n for n in range(PER_PARTITION) if (p, n) not in failed]
            ok = nums == want
            detail = ""
            if not ok:
                dups = sorted({n for n in nums if nums.count(n) > 1})[:5]
                missing = sorted(set(want) - set(nums))[:5]
                disorder = next((i for i in range(1, len(nums)) if nums[i] <= nums[i - 1]), None)
                detail = f"{len(nums)} records, duplicates {dups}, missing {missing}, " \
                         f"first disorder at index {disorder}"
            c.check(ok, f"partition {p}: 0..{PER_PARTITION - 1} in order, each once, no gap",
                    detail)
            wrong = [(n, off, delivered.get((p, n))) for off, v in got[p]
                     for n in [int(v.split(":")[1])] if delivered.get((p, n)) != off]
            c.check(not wrong, f"partition {p}: each record at its delivery-report offset",
                    wrong[:5])

        with kafkawire.Connection(b.bootstrap) as conn:
            r = conn.request("DescribeProducers", 0, {"topics": [
                {"name": TOPIC, "partition_indexes": list(range(PARTS))}]})
        states = {pr["partition_index"]: pr["active_producers"]
                  for t in r["topics"] for pr in t["partitions"]}
        for p in range(PARTS):
            ap = states.get(p, [])
            c.check(len(ap) == 1 and ap[0]["last_sequence"] == PER_PARTITION - 1,
                    f"partition {p}: DescribeProducers shows the producer at sequence "
                    f"{PER_PARTITION - 1}", ap)
        if c.failed:
            print(b.log_tail(40))
    proxy.close()
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
