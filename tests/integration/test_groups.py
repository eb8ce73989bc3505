#!/usr/bin/python3
"""Consumer groups and committed offsets with real clients, each member in its own process.

1. Mixed group: confluent_kafka (librdkafka 2.0.2, range+roundrobin), kafka-python (range+
   roundrobin) and confluent_kafka with roundrobin only, in one group on a 6-partition topic.
   The members must agree on roundrobin (the only protocol all support). Checks: the members'
   reported assignments cover each partition exactly once, never two owners at a time (the
   whole timeline of assignment changes is replayed); the broker's DescribeGroups shows the
   same assignment, state Stable, protocol roundrobin; messages produced afterwards are
   consumed exactly once, by their partition's owner. Then one member is SIGKILLed: the
   others take its partitions over within the session timeout (plus one heartbeat interval
   for them to learn of it). Then one leaves cleanly (SIGTERM: close() sends LeaveGroup): the
   last one owns all six well before a session timeout.
2. Cooperative rebalancing: two, then three confluent_kafka members with cooperative-sticky
   converge to 3+3 then 2+2+2 without double ownership, and the first members keep
   partitions through the incremental rebalance.
3. Restarts: a member commits offset 10 of each partition and leaves; the broker is stopped
   (SIGTERM) and started: committed() (OffsetFetch) and kafka-python's admin
   list_consumer_group_offsets show 10 everywhere, and a new member resumes at exactly 10
   and commits 20; the broker is SIGKILLed and started: the offsets are 20, and a
   kafka-python member resumes at exactly 20. The group's records are readable by a client
   from __consumer_offsets (Kafka's key format), while producing to it is refused.
4. Static membership: a member with group.instance.id that restarts within the session
   timeout gets its partitions back in the same generation (no rebalance).
"""

import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "group_worker.py")
SESSION_MS = 6000
HEARTBEAT_MS = 1000
PARTITIONS = 6


class Member:
    """A group_worker.py process and the events it printed."""

    def __init__(self, name, **cfg):
        self.name = name
        cfg["name"] = name
        self.events = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen([sys.executable, WORKER, json.dumps(cfg)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.killed_at = None

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(ev)

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def owned(self):
        owned = []
        for ev in self.snapshot():
            if ev["ev"] == "owned":
                owned = ev["parts"]
        return set(owned) if self.alive() else set()

    def messages(self):
        return [ev for ev in self.snapshot() if ev["ev"] == "msg"]

    def alive(self):
        return self.killed_at is None and self.proc.poll() is None

    def kill(self):
        self.killed_at = time.time()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self, timeout=20):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.reader.join(5)

    def wait_exit(self, timeout=60):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return False
        self.reader.join(5)
        return True


def wait_for(cond, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def exact_cover(members, sizes=None):
    """Every partition owned by exactly one of the (live) members."""
    owned = [m.owned() for m in members]
    every = [p for o in owned for p in o]
    ok = sorted(every) == list(range(PARTITIONS))
    if sizes is not None:
        ok = ok and sorted(len(o) for o in owned) == sorted(sizes)
    return ok


def stable_cover(members, sizes=None, hold=2.0, timeout=60):
    """Waits until exact_cover holds and stays so for `hold` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if exact_cover(members, sizes):
            t0 = time.time()
            while time.time() - t0 < hold and exact_cover(members, sizes):
                time.sleep(0.1)
            if exact_cover(members, sizes):
                return True
        time.sleep(0.1)
    return False


def overlaps(members):
    """Replays every member's assignment changes in time order: returns the moments at which a
    partition had two owners (a killed member stops owning at the moment it was killed)."""
    timeline = []
    for m in members:
        for ev in m.snapshot():
            if ev["ev"] == "owned" and (m.killed_at is None or ev["t"] < m.killed_at):
                timeline.append((ev["t"], m.name, set(ev["parts"])))
        if m.killed_at is not None:
            timeline.append((m.killed_at, m.name, set()))
    timeline.sort(key=lambda x: x[0])
    current = {}
    bad = []
    for t, name, parts in timeline:
        current[name] = parts
        seen = {}
        for n, ps in current.items():
            for p in ps:
                if p in seen:
                    bad.append((round(t, 3), p, seen[p], n))
                seen[p] = n
    return bad


def create_topic(admin, name, partitions=PARTITIONS):
    fs = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=10)
    for f in fs.values():
        f.result(timeout=15)


def produce(bootstrap, topic, per_partition, start=0, tag=""):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for part in range(PARTITIONS):
        for i in range(start, start + per_partition):
            p.produce(topic, value=f"{tag}{part}-{i}".encode(), partition=part)
    assert p.flush(30) == 0


def decode_assignment(data):
    """ConsumerProtocolAssignment: int16 version, [topic string, [int32]] ..."""
    if not data:
        return {}
    pos = 2
    (n,) = struct.unpack_from(">i", data, pos)
    pos += 4
    out = {}
    for _ in range(n):
        (ln,) = struct.unpack_from(">h", data, pos)
        pos += 2
        topic = data[pos:pos + ln].decode()
        pos += ln
        (k,) = struct.unpack_from(">i", data, pos)
        pos += 4
        parts = list(struct.unpack_from(">" + "i" * k, data, pos))
        pos += 4 * k
        out[topic] = parts
    return out


def describe(admin, group):
    """The legacy ListGroups + DescribeGroups path of librdkafka (rd_kafka_list_groups)."""
    groups = admin.list_groups(group, timeout=10)
    return groups[0] if groups else None


def java_hash(s):
    h = 0
    for ch in s.encode("utf-16-be").hex(" ", 2).split():
        h = (h * 31 + int(ch, 16)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def scenario_mixed(c, b, admin):
    print("-- mixed clients, eager rebalancing")
    topic, group = "groups-mixed", "mixed-group"
    create_topic(admin, topic)
    common = dict(bootstrap=b.bootstrap, group=group, topic=topic, session_ms=SESSION_MS,
                  heartbeat_ms=HEARTBEAT_MS)
    members = [
        Member("librdkafka-a", client="confluent", strategy="range,roundrobin", **common),
        Member("kafka-python-b", client="kafka-python", strategy="range,roundrobin", **common),
        Member("librdkafka-rr-c", client="confluent", strategy="roundrobin", **common),
    ]
    try:
        ok = stable_cover(members, sizes=[2, 2, 2], timeout=90)
        c.check(ok, "three members of three clients share 6 partitions, 2 each, each once",
                str({m.name: sorted(m.owned()) for m in members}))
        g = describe(admin, group)
        c.check(g is not None and g.state == "Stable" and g.protocol == "roundrobin"
                and g.protocol_type == "consumer",
                "DescribeGroups: Stable, consumer, roundrobin (the protocol all support)",
                str(g and (g.state, g.protocol_type, g.protocol)))
        if g is not None:
            broker_view = {}
            for m in g.members:
                for p in decode_assignment(m.assignment).get(topic, []):
                    broker_view.setdefault(p, []).append(m.client_id)
            client_view = {p: [m.name] for m in members for p in m.owned()}
            c.check(broker_view == client_view,
                    "the broker's stored assignment equals what the members own",
                    f"broker {broker_view} clients {client_view}")
            c.check(len(g.members) == 3 and all(m.client_host == "/127.0.0.1" for m in g.members),
                    "DescribeGroups lists 3 members with client host /127.0.0.1")

        produce(b.bootstrap, topic, 20)
        want = {(p, o) for p in range(PARTITIONS) for o in range(20)}
        wait_for(lambda: len({(e["p"], e["o"]) for m in members for e in m.messages()}) >= len(want),
                 30)
        got = [(e["p"], e["o"], m.name) for m in members for e in m.messages()]
        c.check(sorted((p, o) for p, o, _ in got) == sorted(want),
                "120 messages consumed exactly once across the group",
                f"{len(got)} consumed")
        owner = {p: m.name for m in members for p in m.owned()}
        c.check(all(owner.get(p) == n for p, o, n in got),
                "each message consumed by its partition's owner")

        victim = members[2]
        lost = victim.owned()
        victim.kill()
        t0 = victim.killed_at
        survivors = members[:2]
        took_over = wait_for(lambda: exact_cover(survivors, sizes=[3, 3]), 40, step=0.05)
        elapsed = time.time() - t0
        limit = (SESSION_MS + HEARTBEAT_MS) / 1000 + 2.0
        c.check(took_over and elapsed <= limit,
                f"after SIGKILL of a member its partitions {sorted(lost)} were taken over in "
                f"{elapsed:.1f}s (session timeout {SESSION_MS / 1000:.0f}s, limit {limit:.0f}s)",
                str({m.name: sorted(m.owned()) for m in survivors}))

        leaver = members[1]
        t0 = time.time()
        leaver.terminate()
        took_over = wait_for(lambda: exact_cover(members[:1], sizes=[6]), 30, step=0.05)
        elapsed = time.time() - t0
        c.check(took_over and elapsed < SESSION_MS / 1000,
                f"after a clean leave (LeaveGroup) the last member owns all 6 in {elapsed:.1f}s")
        bad = overlaps(members)
        c.check(not bad, "no partition ever had two owners at once", str(bad[:5]))
    finally:
        for m in members:
            if m.alive():
                m.terminate()


def scenario_cooperative(c, b, admin):
    print("-- cooperative-sticky")
    topic, group = "groups-coop", "coop-group"
    create_topic(admin, topic)
    common = dict(bootstrap=b.bootstrap, group=group, topic=topic, session_ms=SESSION_MS,
                  heartbeat_ms=HEARTBEAT_MS, client="confluent", strategy="cooperative-sticky")
    members = [Member("coop-1", **common), Member("coop-2", **common)]
    try:
        c.check(stable_cover(members, sizes=[3, 3], timeout=60),
                "two cooperative members own 3+3", str([sorted(m.owned()) for m in members]))
        before = [m.owned() for m in members]
        members.append(Member("coop-3", **common))
        c.check(stable_cover(members, sizes=[2, 2, 2], timeout=60),
                "a third cooperative member joins: 2+2+2",
                str([sorted(m.owned()) for m in members]))
        kept = all(before[i] >= members[i].owned() and members[i].owned() for i in range(2))
        c.check(kept, "the first members kept a subset of their partitions (sticky)")
        # An incremental rebalance never revokes everything from the members that stay.
        emptied = [m.name for m in members[:2]
                   if any(ev["ev"] == "owned" and not ev["parts"] for ev in m.snapshot())]
        c.check(not emptied, "no member lost all its partitions during the incremental rebalance",
                str(emptied))
        c.check(not overlaps(members), "no partition ever had two owners at once",
                str(overlaps(members)[:5]))
        g = describe(admin, group)
        c.check(g is not None and g.protocol == "cooperative-sticky",
                "the group runs cooperative-sticky", str(g and g.protocol))
    finally:
        for m in members:
            m.terminate()


def committed(bootstrap, group, topic):
    cons = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        res = cons.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=20)
        return {tp.partition: tp.offset for tp in res}
    finally:
        cons.close()


def admin_offsets(bootstrap, group):
    from kafka import KafkaAdminClient
    adm = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        res = adm.list_consumer_group_offsets(group)
        return {tp.partition: om.offset for tp, om in res.items()}
    finally:
        adm.close()


def first_and_all(member):
    seen = {}
    for e in member.messages():
        seen.setdefault(e["p"], []).append(e["o"])
    return seen


def scenario_restarts(c, b, admin):
    print("-- committed offsets across broker restarts (SIGTERM, then SIGKILL)")
    topic, group = "groups-resume", "resume-group"
    create_topic(admin, topic)
    produce(b.bootstrap, topic, 20)
    common = dict(bootstrap=b.bootstrap, group=group, topic=topic, session_ms=SESSION_MS,
                  heartbeat_ms=HEARTBEAT_MS, commit_each=True)
    m1 = Member("resume-1", client="confluent",
                stop_after={str(p): 10 for p in range(PARTITIONS)}, **common)
    c.check(m1.wait_exit(90), "member 1 consumed and committed 10 per partition, then left")
    c.check(committed(b.bootstrap, group, topic) == {p: 10 for p in range(PARTITIONS)},
            "committed() before the restart: 10 per partition")

    b.stop()
    b.start()
    got = committed(b.bootstrap, group, topic)
    c.check(got == {p: 10 for p in range(PARTITIONS)},
            "after SIGTERM + restart, committed() (OffsetFetch) gives 10 per partition", str(got))
    got = admin_offsets(b.bootstrap, group)
    c.check(got == {p: 10 for p in range(PARTITIONS)},
            "kafka-python admin list_consumer_group_offsets agrees", str(got))
    g = describe(admin, group)
    c.check(g is not None and g.state == "Empty" and g.protocol_type == "consumer",
            "the group is known after the restart: Empty, consumer",
            str(g and (g.state, g.protocol_type)))

    m2 = Member("resume-2", client="confluent",
                stop_after={str(p): 10 for p in range(PARTITIONS)}, **common)
    c.check(m2.wait_exit(90), "member 2 consumed 10 per partition and left")
    seen = first_and_all(m2)
    c.check(all(seen.get(p) == list(range(10, 20)) for p in range(PARTITIONS)),
            "member 2 resumed at exactly offset 10 and read 10..19 once",
            str({p: (v[0], len(v)) for p, v in seen.items()}))

    b.kill()
    b.start()
    got = committed(b.bootstrap, group, topic)
    c.check(got == {p: 20 for p in range(PARTITIONS)},
            "after SIGKILL + restart, committed() gives 20 per partition", str(got))
    produce(b.bootstrap, topic, 5, start=20)
    m3 = Member("resume-3", client="kafka-python",
                stop_after={str(p): 5 for p in range(PARTITIONS)}, **common)
    c.check(m3.wait_exit(90), "member 3 (kafka-python) consumed 5 per partition and left")
    seen = first_and_all(m3)
    c.check(all(seen.get(p) == list(range(20, 25)) for p in range(PARTITIONS)),
            "kafka-python resumed at exactly offset 20 and read 20..24 once",
            str({p: (v[0], len(v)) for p, v in seen.items()}))

    # The offsets topic as bytes: Kafka's OffsetCommitKey (int16 version, group, topic, partition).
    md = admin.list_topics(timeout=10)
    n = len(md.topics["__consumer_offsets"].partitions) if "__consumer_offsets" in md.topics else 0
    c.check(n == 50, f"__consumer_offsets exists with offsets.topic.num.partitions=50 ({n})")
    part = (java_hash(group) & 0x7FFFFFFF) % max(n, 1)
    reader = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "reader-unused",
                       "enable.auto.commit": False})
    reader.assign([TopicPartition("__consumer_offsets", part, 0)])
    keys = []
    deadline = time.time() + 15
    while time.time() < deadline:
        msg = reader.poll(0.5)
        if msg is None:
            if keys:
                break
            continue
        if msg.error():
            continue
        k = msg.key()
        (ver,) = struct.unpack_from(">h", k, 0)
        if ver in (0, 1):
            (gl,) = struct.unpack_from(">h", k, 2)
            g_name = k[4:4 + gl].decode()
            (tl,) = struct.unpack_from(">h", k, 4 + gl)
            t_name = k[6 + gl:6 + gl + tl].decode()
            (pn,) = struct.unpack_from(">i", k, 6 + gl + tl)
            keys.append((g_name, t_name, pn))
    reader.close()
    c.check(any(k == (group, topic, 0) for k in keys),
            f"__consumer_offsets-{part} holds the group's OffsetCommitKey records, readable "
            "by a client", str(keys[:3]))
    p = Producer({"bootstrap.servers": b.bootstrap, "message.send.max.retries": 0})
    errors = []
    p.produce("__consumer_offsets", value=b"x", partition=0,
              on_delivery=lambda err, msg: errors.append(err))
    p.flush(15)
    c.check(errors and errors[0] is not None, "producing to __consumer_offsets is refused",
            str(errors))


def scenario_static(c, b, admin):
    print("-- static membership")
    topic, group = "groups-static", "static-group"
    create_topic(admin, topic)
    common = dict(bootstrap=b.bootstrap, group=group, topic=topic, session_ms=SESSION_MS,
                  heartbeat_ms=HEARTBEAT_MS, client="confluent")
    a = Member("static-a", instance_id="instance-a", **common)
    bm = Member("static-b", instance_id="instance-b", **common)
    try:
        c.check(stable_cover([a, bm], sizes=[3, 3], timeout=60), "two static members own 3+3")
        g1 = describe(admin, group)
        had = bm.owned()
        # A static member does not leave on close: restart it within the session timeout.
        bm.terminate()
        bm2 = Member("static-b2", instance_id="instance-b", **common)
        back = wait_for(lambda: bm2.owned() == had, 20)
        g2 = describe(admin, group)
        c.check(back, "the restarted static member got the same partitions back",
                f"{sorted(had)} vs {sorted(bm2.owned())}")
        c.check(a.owned() and all(ev["parts"] for ev in a.snapshot() if ev["ev"] == "owned"),
                "the other member was not rebalanced (never lost its partitions)")
        ids1 = sorted(m.client_id for m in g1.members) if g1 else []
        ids2 = sorted(m.client_id for m in g2.members) if g2 else []
        c.check(g2 is not None and g2.state == "Stable" and len(g2.members) == 2,
                "the group stayed Stable with 2 members", f"{ids1} -> {ids2}")
        bm2.terminate()
    finally:
        a.terminate()


def main():
    c = Checks("consumer groups")
    with Broker() as b:
        b.start({"group.initial.rebalance.delay.ms": "500",
                 "offsets.topic.num.partitions": "50"})
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        scenario_mixed(c, b, admin)
        scenario_cooperative(c, b, admin)
        scenario_static(c, b, admin)
        scenario_restarts(c, b, admin)
        log = b.log_text()
        c.check("ERROR" not in log, "no ERROR in the broker log",
                "\n".join(l for l in log.splitlines() if "ERROR" in l)[:2000])
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
