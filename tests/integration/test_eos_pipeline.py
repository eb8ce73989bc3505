#!/usr/bin/python3
"""Exactly-once consume-transform-produce with confluent_kafka (librdkafka 2.0.2).

3000 keyed records in a 3-partition input topic are copied to a 3-partition output topic by
eos_worker.py processes (same transactional.id, same group; each record goes to the output
partition of its input partition with the worker's name and transaction number appended),
one transaction per batch, offsets sent with send_offsets_to_transaction:

  worker w1 aborts every 4th transaction, and hangs inside its 7th transaction after the
            records were delivered and the offsets sent: SIGKILLed there.
  worker w2 (same transactional.id: fences w1 and aborts its open transaction) aborts every
            5th transaction and pauses inside its 4th: the broker is SIGKILLed then and
            restarted on the same data dir; w2 carries on (or, after a fatal error, a new
            worker w3... takes over). Its 13th transaction (or, if w2 died before, the 3rd of
            the worker after it) stalls for longer than transaction.timeout.ms (8 s): the
            coordinator aborts it (epoch bump), so its commit must fail (both clients take
            that as fatal: PRODUCER_FENCED / INVALID_PRODUCER_EPOCH) and a new worker carries
            on.
  then the broker is SIGKILLed once more while a worker is mid-stream (no pause), restarted,
  and workers run until the group's committed offsets reach the input's end.

Checks: a read_committed consumer of the output sees, per partition, exactly the input
partition's values in order (every input once: no loss, no duplicate), and no record written
by an aborted or killed transaction (the "|name-n" tag of every visible record belongs to a
transaction its worker reported committed, or to the one in flight when the broker died);
a read_uncommitted consumer does see records of the aborted transactions and of the killed
worker's open one (so the aborts really wrote data); the group's committed offsets equal the
input's end offsets; the killed worker's transaction was aborted (DescribeTransactions shows
the id Complete* with a higher epoch).
"""

import collections
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
import kafkawire  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INPUT, OUTPUT, GROUP, TXN_ID = "eos-in", "eos-out", "eos-group", "eos-pipeline"
PARTS = 3
N = 3000
CLIENTS_DIR = os.environ.get("FJORD_CLIENTS_DIR",
                             os.path.join(os.path.expanduser("~"), ".cache", "fjord-clients"))


def ensure_kafkajs():
    """kafkajs 2.2.4 from npm into $FJORD_CLIENTS_DIR (as tools/capture_fixtures.sh does)."""
    node_dir = os.path.join(CLIENTS_DIR, "node")
    if not os.path.exists(os.path.join(node_dir, "node_modules", "kafkajs", "package.json")):
        os.makedirs(node_dir, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent",
                        "kafkajs@2.2.4"], cwd=node_dir, check=True)


class Worker:
    """An eos_worker.py process; its JSON events are collected by a reader thread."""

    def __init__(self, client, bootstrap, name, **opts):
        cfg = {"bootstrap": bootstrap, "group": GROUP, "input": INPUT, "output": OUTPUT,
               "txn_id": TXN_ID, "name": name, "partitions": PARTS, "batch": 100}
        cfg.update(opts)
        self.name = name
        self.events = []
        self.eof = False
        if client == "kafkajs":
            cmd = ["node", os.path.join(HERE, "eos_worker.js"), json.dumps(cfg)]
            env = dict(os.environ, NODE_PATH=os.path.join(CLIENTS_DIR, "node", "node_modules"))
        else:
            cmd = [sys.executable, os.path.join(HERE, "eos_worker.py"), json.dumps(cfg)]
            env = None
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_event(self, kind, timeout):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for ev in self.events:
                    if ev["ev"] == kind:
                        return ev
                if self.eof or time.time() >= deadline:
                    return None
                self.cond.wait(0.2)

    def unreported(self):
        """The transaction a worker that died had open (outcome unknown to it), if any."""
        if any(e["ev"] == "done" for e in self.events):
            return set()
        ns = [e["n"] for e in self.events if e["ev"] in ("txn", "hang", "pause")]
        done = [e["n"] for e in self.events if e["ev"] == "txn"]
        return {(self.name, max(ns + [0]) + (1 if max(ns + [0]) in done or not ns else 0))}

    def txns(self, outcome):
        return {(self.name, e["n"]) for e in self.events if e["ev"] == "txn" and
                e["outcome"] == outcome}

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


def read_output(bootstrap, isolation, limit=60.0, idle=2.0):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{time.time()}",
                  "isolation.level": isolation, "enable.auto.commit": False,
                  "enable.partition.eof": True})
    c.assign([TopicPartition(OUTPUT, p, 0) for p in range(PARTS)])
    out = {p: [] for p in range(PARTS)}
    eof = set()
    last = time.time()
    deadline = time.time() + limit
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            if len(eof) == PARTS and time.time() - last > idle:
                break
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
            continue
        eof.discard(m.partition())
        last = time.time()
        out[m.partition()].append(m.value().decode())
    c.close()
    return out


def committed_offsets(bootstrap):
    with kafkawire.Connection(bootstrap) as conn:
        r = conn.request("OffsetFetch", 7, {"group_id": GROUP, "require_stable": True, "topics": [
            {"name": INPUT, "partition_indexes": list(range(PARTS))}]})
    return {p["partition_index"]: p["committed_offset"] for t in r["topics"]
            for p in t["partitions"]}


def scenario(c, client):
    print(f"-- {client}", flush=True)

    def check(ok, what, detail=""):
        return c.check(ok, f"[{client}] {what}", detail)

    with Broker({"transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
                 "transaction.state.log.num.partitions": "3",
                 "offsets.topic.num.partitions": "3",
                 "group.initial.rebalance.delay.ms": "0"}) as b:
        b.start()
        bs = b.bootstrap
        admin = AdminClient({"bootstrap.servers": bs})
        for f in admin.create_topics([NewTopic(INPUT, PARTS, 1),
                                      NewTopic(OUTPUT, PARTS, 1)]).values():
            f.result(30)
        feed = Producer({"bootstrap.servers": bs, "linger.ms": 20})
        expected = {p: [] for p in range(PARTS)}
        for i in range(N):
            p = i % PARTS
            feed.produce(INPUT, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=p)
            expected[p].append(f"v{i}")
        check(feed.flush(60) == 0, f"{N} input records written")

        workers = []

        # w1: aborts, then SIGKILL inside an open transaction.
        w1 = Worker(client, bs, "w1", abort_every=4, hang_at=7)
        workers.append(w1)
        ev = w1.wait_event("hang", 90)
        check(ev is not None, "w1 hung inside transaction 7", w1.events[-3:])
        w1.kill()
        check(len(w1.txns("commit")) == 5 and w1.txns("abort") == {("w1", 4)},
                "w1 committed 5 transactions and aborted its 4th before the kill",
                [(e["n"], e.get("outcome")) for e in w1.events if e["ev"] == "txn"])

        # w2: fences w1; the broker is SIGKILLed while w2's 4th transaction is open.
        w2 = Worker(client, bs, "w2", abort_every=5, pauses={"4": 3}, stall_at=13, stall_s=11,
                    txn_timeout_ms=8000)
        workers.append(w2)
        ev = w2.wait_event("pause", 90)
        check(ev is not None, "w2 paused inside transaction 4", w2.events[-3:])
        with kafkawire.Connection(bs) as conn:
            st = conn.request("DescribeTransactions", 0, {"transactional_ids": [TXN_ID]})
        st = st["transaction_states"][0]
        check(st["transaction_state"] == "Ongoing" and st["producer_epoch"] >= 1,
                "w2's transaction is open (epoch bumped past w1's)", st)
        b.kill()
        time.sleep(0.5)
        b.start()

        # Then workers until done; one more broker SIGKILL mid-stream (no pause).
        current = w2
        broker_kills = 1
        seq = 3
        deadline = time.time() + 150
        while time.time() < deadline:
            commits = sum(len(w.txns("commit")) for w in workers)
            if broker_kills == 1 and commits >= 10:
                b.kill()
                broker_kills += 1
                time.sleep(0.3)
                b.start()
            rc = current.wait(0.1)
            if rc is None:
                continue
            if rc == 0 and any(e["ev"] == "done" for e in current.events):
                break
            # A fatal error (or an unexpected exit): a new worker takes over, as in production.
            print(f"  note: worker {current.name} exited {rc}: "
                  f"{[e for e in current.events if e['ev'] == 'error'][-2:]}", flush=True)
            stalled = any(e["ev"] == "stall" for w in workers for e in w.events)
            # The stall goes to the next worker if the last one died before its own.
            current = Worker(client, bs, f"w{seq}", abort_every=6, txn_timeout_ms=8000,
                             **({} if stalled else {"stall_at": 3, "stall_s": 11}))
            workers.append(current)
            seq += 1
        check(current.proc.poll() == 0, f"a worker finished ({current.name})",
                current.events[-3:])
        check(broker_kills == 2, "the broker was SIGKILLed twice while workers ran")
        for w in workers:
            if w.proc.poll() is None:
                w.kill()
        for w in workers:
            w.wait_event("never", 5)  # drain the event pipes

        # A worker that died mid-transaction does not know its outcome (a crash during the
        # commit may have committed it); every reported outcome must hold.
        unknown = set().union(*(w.unreported() for w in workers[1:]))
        committed_tags = set().union(*(w.txns("commit") for w in workers))
        aborted_tags = set().union(*(w.txns("abort") | w.txns("failed") for w in workers))
        aborted_tags.add(("w1", 7))  # the killed worker's open transaction
        stall = next(((w, e["n"]) for w in workers for e in w.events if e["ev"] == "stall"),
                     (None, None))
        check(stall[0] is not None, "a worker stalled past its transaction timeout")
        stall_tag = (stall[0].name, stall[1]) if stall[0] else None
        outcome = [e for w in workers[:] if stall[0] is w for e in w.events
                   if e["ev"] == "txn" and e["n"] == stall[1]]
        check(not outcome or outcome[0]["outcome"] == "failed",
              "the commit of the transaction the coordinator timed out failed", outcome)
        if stall_tag and not outcome:  # the worker died of it: aborted all the same
            aborted_tags.add(stall_tag)
            unknown.discard(stall_tag)
        print(f"  {len(committed_tags)} transactions committed, {len(aborted_tags)} aborted, "
              f"{len(workers)} workers, unknown outcome {sorted(unknown)}", flush=True)

        # After each abort (confluent worker) the group's offsets are where the batch began.
        rewinds = [e for w in workers for e in w.events if e["ev"] == "rewind"]
        wrong = [e for e in rewinds for p, o in e["to"].items()
                 if e["committed"][p] != (o if o > 0 else -1001)]
        check(not wrong, f"after each abort the committed offsets are unchanged "
              f"({len(rewinds)} checked)", wrong[:3])

        rc = read_output(bs, "read_committed")
        values = {p: [v.split("|")[0] for v in vs] for p, vs in rc.items()}
        for p in range(PARTS):
            if values[p] != expected[p]:
                dup_tags = collections.Counter(
                    v.split("|")[1] for v in rc[p]
                    if values[p].count(v.split("|")[0]) > 1)
                print(f"  partition {p}: tags of duplicated values {dict(dup_tags)}")
                for w in workers:
                    print(f"  {w.name}: " + "; ".join(
                        f"{e.get('n')}:{e['ev']}:{e.get('outcome', e.get('offsets', e.get('to')))}"
                        for e in w.events if e["ev"] in ("sent", "txn", "pause", "hang",
                                                         "rewind")))
            check(values[p] == expected[p],
                    f"partition {p}: every input exactly once and in order "
                    f"({len(values[p])} of {len(expected[p])})",
                    _diff(values[p], expected[p]))
        tags = collections.Counter(tuple(_tag(v)) for vs in rc.values() for v in vs)
        bad = [t for t in tags if t in aborted_tags or t not in committed_tags | unknown]
        check(not bad, "read_committed shows no record of an aborted or killed transaction",
                bad[:10])
        ru = read_output(bs, "read_uncommitted")
        ru_tags = {tuple(_tag(v)) for vs in ru.values() for v in vs}
        check(("w1", 7) in ru_tags, "the killed worker's open transaction wrote records")
        check(stall_tag in ru_tags and stall_tag in aborted_tags,
              "the timed-out transaction wrote records and was aborted")
        check(len(ru_tags & aborted_tags) >= 4,
                "aborted transactions wrote records (read_uncommitted sees them)",
                sorted(ru_tags & aborted_tags))
        got = committed_offsets(bs)
        want = {p: len(expected[p]) for p in range(PARTS)}
        check(got == want, "the group's committed offsets equal the input end offsets",
                f"{got} vs {want}")
        with kafkawire.Connection(bs) as conn:
            st = conn.request("DescribeTransactions", 0, {"transactional_ids": [TXN_ID]})
        st = st["transaction_states"][0]
        check(st["transaction_state"] in ("CompleteCommit", "CompleteAbort", "Empty")
                and st["producer_epoch"] >= len(workers) - 1,
                "no transaction left open; one epoch per worker at least", st)
        if c.failed:
            print(b.log_tail(60))


def main():
    clients = sys.argv[1:] or ["confluent", "kafkajs"]
    c = Checks("exactly-once pipeline (" + ", ".join(clients) + ")")
    for client in clients:
        if client == "kafkajs":
            ensure_kafkajs()
        scenario(c, client)
    return c.summary()


def _tag(v):
    name, n = v.split("|")[1].rsplit("-", 1)
    return name, int(n)


def _diff(got, want):
    counts = collections.Counter(got)
    dups = [v for v, k in counts.items() if k > 1][:5]
    missing = [v for v in want if v not in counts][:5]
    return f"duplicates {dups}, missing {missing}, first {got[:3]}"


if __name__ == "__main__":
    sys.exit(main())
