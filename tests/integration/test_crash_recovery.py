#!/usr/bin/python3
"""Crash safety with real clients.

(a) SIGKILL mid-stream: a confluent_kafka producer (acks=all, linger 2 ms, one request in
    flight so retries keep the order) streams keyed messages into 4 partitions and records
    every acknowledged (partition, offset). The broker is SIGKILLed while requests are in
    flight, restarted on the same port and data, and the same producer carries on. Then
    every partition is read back with kcat: each acknowledged message is at its
    acknowledged offset with byte-equal key and value, acknowledged offsets follow produce
    order, offsets are dense (0..n-1), every record read is one that was sent, and the
    producer's acknowledgements resume after the restart.
(b) Torn and corrupt tails: a partition's .log is cut or damaged on disk while the broker
    is down, as a crash in the middle of a write would leave it. On start the broker must
    come up, log the truncation, serve exactly the complete earlier batches and give new
    produce requests the next offset after them.
      round 1 (clean stop, marker removed as a crash would leave it):
              p0 loses its last 7 bytes, p1 has one byte of its last batch flipped
              (CRC mismatch), p2 is untouched;
      round 2 (clean stop, the clean-shutdown marker left in place): p2 loses 7 bytes
              (docs/storage.md §13: the index sanity check frames the batches after
              the last index entry, so even a "clean" segment with a torn tail is
              recovered);
      round 3 (SIGKILL): p0 is cut inside its last batch's header, p1's last batch gets
              a bad magic byte.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from confluent_kafka import Producer  # noqa: E402
from fjordtest import Broker, Checks  # noqa: E402
import kcatutil  # noqa: E402
import segments  # noqa: E402

MARKER = ".kafka_cleanshutdown"


def message(i):
    key = b"key-%07d" % i
    value = b"value-%d|" % i + bytes((i * 31 + j) % 256 for j in range(i % 97)) + b"|end"
    return key, value


# ---------------------------------------------------------------------------------------
# (a) SIGKILL mid-stream
# ---------------------------------------------------------------------------------------

def crash_mid_stream(c):
    topic = "stream"
    with Broker({"num.partitions": "4"}, name="crash-a") as b:
        b.start()
        acked = []  # (partition, offset, i, phase)
        failed = []
        phase = ["before"]

        def on_delivery(err, msg):
            i = int(msg.key()[4:])
            if err is None:
                acked.append((msg.partition(), msg.offset(), i, phase[0]))
            else:
                failed.append((i, str(err)))

        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 2,
                      "max.in.flight.requests.per.connection": 1,
                      "message.timeout.ms": 60000, "retry.backoff.ms": 100,
                      "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500,
                      "log_level": 2})  # the outage is expected: keep its noise out

        def send(i):
            k, v = message(i)
            while True:
                try:
                    p.produce(topic, key=k, value=v, on_delivery=on_delivery)
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)

        i = 0
        deadline = time.time() + 60
        while len(acked) < 20000 and time.time() < deadline:
            send(i)
            i += 1
        # A burst the broker has only partly answered: requests are in flight at the kill.
        for _ in range(2000):
            send(i)
            i += 1
        p.poll(0.005)
        acked_at_kill = len(acked)
        b.kill()
        phase[0] = "in-doubt"
        killed_at = i
        for _ in range(3000):  # keep producing into the outage
            send(i)
            i += 1
        time.sleep(0.5)
        b.start()
        phase[0] = "after"
        for _ in range(5000):
            send(i)
            i += 1
        left = p.flush(90)
        sent = i
        print(f"  sent {sent}, acked {len(acked)} ({acked_at_kill} before the kill, "
              f"{killed_at - acked_at_kill} unanswered at the kill), failed {len(failed)}, "
              f"undelivered {left}", flush=True)
        c.check(acked_at_kill >= 20000, "(a) 20,000 acknowledgements before the kill",
                f"{acked_at_kill}")
        c.check(any(ph == "after" for *_, ph in acked),
                "(a) the producer's messages are acknowledged again after the restart")

        records, r = kcatutil.consume(b.bootstrap, topic)
        c.check(r.returncode == 0, "(a) kcat -C reads the topic after the restart",
                r.stderr.decode(errors="replace")[-300:])
        parts = kcatutil.by_partition(records)
        stored = {(pp, o): (k, v) for pp, rows in parts.items() for o, k, v, _ in rows}

        missing = []
        wrong = []
        for pp, o, idx, _ in acked:
            got = stored.get((pp, o))
            if got is None:
                missing.append((pp, o, idx))
            elif got != message(idx):
                wrong.append((pp, o, idx, got[0]))
        c.check(not missing and not wrong,
                f"(a) all {len(acked)} acknowledged messages are at their acknowledged "
                "offsets with equal key and value",
                f"missing {len(missing)} e.g. {missing[:3]}; wrong {len(wrong)} e.g. {wrong[:3]}")

        out_of_order = []
        dup_offsets = []
        for pp in range(4):
            mine = sorted((idx, o) for q, o, idx, _ in acked if q == pp)
            offs = [o for _, o in mine]
            if len(set(offs)) != len(offs):
                dup_offsets.append(pp)
            if offs != sorted(offs):
                out_of_order.append(pp)
        c.check(not dup_offsets and not out_of_order,
                "(a) acknowledged offsets are unique and follow produce order per partition",
                f"duplicates in {dup_offsets}, out of order in {out_of_order}")

        dense = all([o for o, *_ in rows] == list(range(len(rows))) for rows in parts.values())
        c.check(dense and set(parts) == set(range(4)),
                "(a) every partition reads back as dense offsets 0..n-1",
                str({pp: (rows[0][0], rows[-1][0], len(rows)) for pp, rows in parts.items()}))
        foreign = [(pp, o) for (pp, o), (k, v) in stored.items()
                   if not (k.startswith(b"key-") and k[4:].isdigit() and
                           int(k[4:]) < sent and message(int(k[4:])) == (k, v))]
        c.check(not foreign, f"(a) all {len(stored)} records read are messages that were sent",
                f"{len(foreign)} unknown, e.g. {foreign[:3]}")
        if c.failed:
            print("broker log tail:\n" + b.log_tail(30))


# ---------------------------------------------------------------------------------------
# (b) torn / corrupt tails
# ---------------------------------------------------------------------------------------

class TornTail:
    topic = "torn"

    def __init__(self, c, b):
        self.c = c
        self.b = b
        self.sent = {p: [] for p in range(3)}  # what each partition holds, offset = index
        self.next_index = 0

    def produce(self, partition, batches, per_batch=10, label=""):
        """Sends `batches` batches to one partition; checks the offsets the broker gives."""
        p = Producer({"bootstrap.servers": self.b.bootstrap, "acks": "all", "linger.ms": 1})
        got = []

        def on_delivery(err, msg):
            got.append((msg.offset() if err is None else str(err), msg.key()))

        first = len(self.sent[partition])
        for _ in range(batches):
            for _ in range(per_batch):
                k, v = message(self.next_index)
                self.next_index += 1
                p.produce(self.topic, key=k, value=v, partition=partition,
                          on_delivery=on_delivery)
                self.sent[partition].append((k, v))
            p.flush(30)
        want = list(range(first, len(self.sent[partition])))
        offsets = [o for o, _ in got]
        return self.c.check(offsets == want, f"{label}p{partition}: {len(want)} records "
                            f"acknowledged at offsets {first}..{want[-1]}",
                            f"got {offsets[:3]}..{offsets[-3:]}")

    def last_batch(self, partition):
        return segments.partition_batches(self.b.partition_dir(self.topic, partition))[-1]

    def forget_last_batch(self, partition):
        """The model drops the records of the partition's last batch; returns the batch."""
        bt = self.last_batch(partition)
        self.c.check(bt.last_offset == len(self.sent[partition]) - 1,
                     f"p{partition}: last batch on disk ends at the last offset sent")
        del self.sent[partition][bt.base_offset:]
        return bt

    def verify(self, label):
        """Every partition serves exactly the model's records."""
        for part in range(3):
            recs, r = kcatutil.consume(self.b.bootstrap, self.topic, part)
            got = [(o, k, v) for _, o, k, v, _ in recs]
            want = [(o, k, v) for o, (k, v) in enumerate(self.sent[part])]
            first = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), None)
            self.c.check(r.returncode == 0 and got == want,
                         f"{label}p{part}: serves exactly offsets 0..{len(want) - 1}",
                         f"rc={r.returncode}, read {len(got)} records, first difference at "
                         f"{first}, last read {got[-1][0] if got else None}")

    def start_and_check_log(self, label, partitions):
        before = len(self.b.log_text())
        try:
            self.b.start()
        except Exception as e:  # the broker must come up whatever it finds on disk
            self.c.check(False, f"{label}broker starts", str(e))
            return False
        self.c.check(True, f"{label}broker starts")
        new_log = self.b.log_text()[before:]
        lines = [ln for ln in new_log.splitlines() if "truncat" in ln.lower()]
        for part in partitions:
            name = f"{self.topic}-{part}"
            self.c.check(any(name in ln for ln in lines) or
                         (len(partitions) == 1 and len(lines) == 1),
                         f"{label}the broker log reports the truncation of {name}",
                         f"lines mentioning truncation: {lines}")
        return True


def cut(path, nbytes):
    size = os.path.getsize(path)
    os.truncate(path, size - nbytes)


def poke(path, position, value=None):
    with open(path, "r+b") as f:
        f.seek(position)
        old = f.read(1)[0]
        f.seek(position)
        f.write(bytes([value if value is not None else old ^ 0x5A]))


def torn_tails(c):
    with Broker({"num.partitions": "3"}, name="crash-b") as b:
        b.start()
        t = TornTail(c, b)
        for part in range(3):
            t.produce(part, batches=30)
        c.check(b.stop() == 0, "(b) broker stops cleanly")
        c.check(os.path.exists(os.path.join(b.data_dir, MARKER)),
                "(b) clean stop leaves the clean-shutdown marker")

        # Round 1: a crash tore p0's last write and garbled p1's.
        os.remove(os.path.join(b.data_dir, MARKER))
        bt0 = t.forget_last_batch(0)
        cut(bt0.path, 7)
        bt1 = t.forget_last_batch(1)
        poke(bt1.path, bt1.position + bt1.size - 3)
        if t.start_and_check_log("(b1) ", [0, 1]):
            t.verify("(b1) ")
            t.produce(0, 2, label="(b1) new data: ")
            t.produce(1, 2, label="(b1) new data: ")
            t.produce(2, 2, label="(b1) new data: ")
            t.verify("(b1) after new produce: ")

        # Round 2: a torn tail behind a clean-shutdown marker.
        c.check(b.stop() == 0, "(b2) broker stops cleanly")
        bt2 = t.forget_last_batch(2)
        cut(bt2.path, 7)
        if t.start_and_check_log("(b2) ", [2]):
            t.verify("(b2) ")
            t.produce(2, 2, label="(b2) new data: ")
            t.verify("(b2) after new produce: ")

        # Round 3: SIGKILL, then the tail of p0 is cut inside a batch header and p1's last
        # batch gets an impossible magic byte.
        for part in range(3):
            t.produce(part, 3, label="(b3) before the kill: ")
        b.kill()
        bt0 = t.forget_last_batch(0)
        os.truncate(bt0.path, bt0.position + 20)
        bt1 = t.forget_last_batch(1)
        poke(bt1.path, bt1.position + 16, 7)
        if t.start_and_check_log("(b3) ", [0, 1]):
            t.verify("(b3) ")
            for part in range(3):
                t.produce(part, 1, label="(b3) new data: ")
            t.verify("(b3) after new produce: ")
        if c.failed:
            print("broker log tail:\n" + b.log_tail(30))


def main():
    c = Checks("crash recovery")
    start = time.time()
    crash_mid_stream(c)
    print(f"  (a) {time.time() - start:.1f}s", flush=True)
    mid = time.time()
    torn_tails(c)
    print(f"  (b) {time.time() - mid:.1f}s; total {time.time() - start:.1f}s")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
