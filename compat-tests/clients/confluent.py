#!/usr/bin/python3
"""confluent-kafka (python3-confluent-kafka 1.7.0 on librdkafka 2.0.2, Debian) scenarios of
the client matrix (compat-tests/clients/scenarios.tsv).

    confluent.py SCENARIO BOOTSTRAP           exit 0 = every check passed

Scenarios: codec-{none,gzip,snappy,lz4,zstd}, group-resume, kip848-resume (librdkafka >= 2.4
loaded in place of Debian's 2.0.2; exit 77 = skipped otherwise), idempotent, txn-commit,
txn-abort, txn-fence, admin-topics, admin-configs, admin-groups, offsets, large.
The Python binding 1.7.0 has no AdminClient call for DeleteRecords, DeleteGroups or
DescribeGroups beyond list_groups(); librdkafka's own suite (compat-tests/run.py) covers those.
"""

import sys
import time

import common
from common import PARTITIONS, Checks
from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions, NewTopic)

N = 400


def producer(b, **extra):
    cfg = {"bootstrap.servers": b, "broker.address.family": "v4", "linger.ms": 5,
           "acks": "all"}
    cfg.update(extra)
    return Producer(cfg)


def produce(c, p, topic, n=N, partition_of=None, first=0, what="messages"):
    """Produces messages first..first+n-1; returns {i: (partition, offset)} of the acked ones."""
    placed, errors = {}, []

    def report(i):
        def cb(err, msg):
            if err is not None:
                errors.append(f"{i}: {err}")
            else:
                placed[i] = (msg.partition(), msg.offset())
        return cb
    for i in range(first, first + n):
        kw = {"key": common.key(i), "value": common.value(i), "on_delivery": report(i)}
        if common.headers(i):
            kw["headers"] = common.headers(i)
        if partition_of:
            kw["partition"] = partition_of(i)
        p.produce(topic, **kw)
        p.poll(0)
    left = p.flush(30)
    c.check(left == 0 and not errors, f"{n} {what} delivered",
            f"{left} undelivered, errors {errors[:3]}")
    return placed


def consumer(b, **extra):
    cfg = {"bootstrap.servers": b, "broker.address.family": "v4", "group.id": "unused",
           "enable.auto.commit": False, "auto.offset.reset": "earliest",
           "fetch.wait.max.ms": 100, "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000}
    cfg.update(extra)
    return Consumer({k: v for k, v in cfg.items() if v is not None})


def poll_n(cons, want, timeout=30, settle=1.0):
    got = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        m = cons.poll(0.3)
        if m is not None and not m.error():
            got.append(m)
    end = time.time() + settle
    while time.time() < end:
        m = cons.poll(0.2)
        if m is not None and not m.error():
            got.append(m)
    return got


def rows(msgs):
    return [(m.partition(), m.offset(), m.key(), m.value(), m.headers() or []) for m in msgs]


def read_assigned(b, topic, want, partitions=PARTITIONS, **extra):
    cons = consumer(b, **extra)
    cons.assign([TopicPartition(topic, p, -2) for p in range(partitions)])  # -2 = beginning
    got = poll_n(cons, want, settle=0.5)
    cons.close()
    return got


def codec_scenario(c, b, codec):
    topic = f"ck-codec-{codec}"
    p = producer(b, **{"compression.codec": codec})
    placed = produce(c, p, topic)
    common.check_placement(c, placed, N)
    common.write_expect(topic, codec, placed)
    common.check_read(c, placed, rows(read_assigned(b, topic, len(placed))))


def group_resume(c, b, protocol=None):
    topic, group = "ck-group", "ck-group-g"
    extra = {"group.id": group}
    if protocol == "consumer":
        # KIP-848: the broker assigns; the classic timeouts are the broker's to set.
        topic, group = "ck-kip848", "ck-kip848-g"
        extra = {"group.id": group, "group.protocol": "consumer",
                 "session.timeout.ms": None, "heartbeat.interval.ms": None}
    per = 20
    p = producer(b)
    produce(c, p, topic, PARTITIONS * per, partition_of=lambda i: i % PARTITIONS)
    a = consumer(b, **extra)
    a.subscribe([topic])
    got = poll_n(a, PARTITIONS * per, timeout=20 if protocol else 30, settle=0)
    c.check(len(got) == PARTITIONS * per, "member A reads all 60 records through the group",
            f"{len(got)}")
    if protocol == "consumer":
        # The group must really be a KIP-848 one (not a classic fallback): ListGroups v5
        # filtered on type "consumer" lists it.
        from kafkawire import Connection
        with Connection(b) as w:
            r = w.request("ListGroups", 5, {"states_filter": [], "types_filter": ["consumer"]})
        types = {g["group_id"]: g.get("group_type") for g in r["groups"]}
        c.check(r["error_code"] == 0 and types.get(group) == "consumer",
                "ListGroups v5 (types filter consumer) lists it with type consumer", f"{r}")
    commit = {pt: 5 + 3 * pt for pt in range(PARTITIONS)}
    a.commit(offsets=[TopicPartition(topic, pt, o) for pt, o in commit.items()],
             asynchronous=False)
    a.close()
    bm = consumer(b, **extra)
    committed = {tp.partition: tp.offset for tp in
                 bm.committed([TopicPartition(topic, pt) for pt in range(PARTITIONS)], 10)}
    c.check(committed == commit, "committed() in a new consumer shows 5/8/11", f"{committed}")
    bm.subscribe([topic])
    want = sum(per - o for o in commit.values())
    got = poll_n(bm, want)
    first = {}
    for m in got:
        first.setdefault(m.partition(), m.offset())
    c.check(first == commit, "member B starts each partition exactly at its committed offset",
            f"first offsets {first}")
    c.check(len(got) == want, f"member B reads exactly the {want} uncommitted records",
            f"{len(got)}")
    bm.commit(asynchronous=False)
    bm.close()
    more = produce(c, p, topic, PARTITIONS, partition_of=lambda i: i % PARTITIONS, first=1000,
                   what="more messages")
    cm = consumer(b, **extra)
    cm.subscribe([topic])
    got = poll_n(cm, PARTITIONS)
    c.check(sorted((m.partition(), m.offset()) for m in got) == sorted(more.values()),
            "member C reads only the 3 records produced after B's commit",
            f"{[(m.partition(), m.offset()) for m in got]} want {sorted(more.values())}")
    cm.close()


def kip848_resume(c, b):
    """group-resume with group.protocol=consumer (KIP-848, ConsumerGroupHeartbeat): needs a
    librdkafka that has it (run.py loads the compat-tests build of 2.15.1)."""
    import confluent_kafka
    ver = confluent_kafka.libversion()
    if ver[1] < 0x02040000:
        print(f"  librdkafka {ver[0]} has no group.protocol=consumer")
        sys.exit(77)
    print(f"  librdkafka {ver[0]}")
    # Without ConsumerGroupHeartbeat (API 68) librdkafka just waits: fail fast instead.
    from kafkawire import Connection
    with Connection(b) as w:
        keys = {a["api_key"] for a in w.request("ApiVersions", 3, {
            "client_software_name": "fjord-matrix", "client_software_version": "1"})["api_keys"]}
    if not c.check(68 in keys, "the broker advertises ConsumerGroupHeartbeat (API 68)"):
        return
    group_resume(c, b, protocol="consumer")


def idempotent(c, b):
    topic = "ck-idempotent"
    fatal = []
    p = producer(b, **{"enable.idempotence": True,
                       "error_cb": lambda e: fatal.append(str(e)) if e.fatal() else None})
    placed = produce(c, p, topic)
    c.check(not fatal, "no fatal producer error", f"{fatal[:2]}")
    common.check_placement(c, placed, N)
    common.check_read(c, placed, rows(read_assigned(b, topic, len(placed))))


def txn_producer(b, tid):
    return producer(b, **{"transactional.id": tid, "transaction.timeout.ms": 30000})


def txn_commit(c, b):
    """consume-transform-produce: records read from an input topic are written to the output
    topic and the input offsets committed in the same transaction."""
    tin, tout, group = "ck-txn-in", "ck-txn-out", "ck-txn-g"
    p0 = producer(b)
    produce(c, p0, tin, 10, partition_of=lambda i: 0, what="input records")
    cons = consumer(b, **{"group.id": group})
    cons.subscribe([tin])
    got = poll_n(cons, 10, settle=0)
    c.check(len(got) == 10, "input consumer reads 10 records", f"{len(got)}")
    tp = producer(b, **{"transactional.id": "ck-txn-commit", "transaction.timeout.ms": 30000})
    tp.init_transactions(15)
    c.check(True, "init_transactions")
    tp.begin_transaction()
    placed = produce(c, tp, tout, 10, partition_of=lambda i: 0, what="transactional records")
    tp.send_offsets_to_transaction([TopicPartition(tin, 0, 10)],
                                   cons.consumer_group_metadata(), 15)
    tp.commit_transaction(15)
    c.check(True, "send_offsets_to_transaction and commit_transaction")
    cons.close()
    got = read_assigned(b, tout, 10, partitions=1, **{"isolation.level": "read_committed"})
    common.check_read(c, placed, rows(got))
    chk = consumer(b, **{"group.id": group})
    committed = chk.committed([TopicPartition(tin, 0)], 10)
    c.check(committed[0].offset == 10, "the transaction committed the group's offset 10",
            f"{committed}")
    lo, hi = chk.get_watermark_offsets(TopicPartition(tout, 0), 10)
    c.check((lo, hi) == (0, 11), "output high watermark 11: 10 records + the commit marker",
            f"{lo},{hi}")
    chk.close()


def txn_abort(c, b):
    topic = "ck-txn-abort"
    tp = txn_producer(b, "ck-txn-abort")
    tp.init_transactions(15)
    tp.begin_transaction()
    first = produce(c, tp, topic, 5, partition_of=lambda i: 0, what="committed records")
    tp.commit_transaction(15)
    tp.begin_transaction()
    produce(c, tp, topic, 4, partition_of=lambda i: 0, first=100, what="aborted records")
    tp.abort_transaction(15)
    tp.begin_transaction()
    last = produce(c, tp, topic, 3, partition_of=lambda i: 0, first=200, what="committed records")
    tp.commit_transaction(15)
    # Offsets: 0-4 data, 5 commit marker, 6-9 aborted, 10 abort marker, 11-13 data, 14 marker.
    c.check(sorted(o for _, o in first.values()) == [0, 1, 2, 3, 4] and
            sorted(o for _, o in last.values()) == [11, 12, 13],
            "offsets: 0-4, markers and the aborted 6-9 in between, then 11-13",
            f"{first} {last}")
    want = dict(first)
    want.update(last)
    got = read_assigned(b, topic, 8, partitions=1, **{"isolation.level": "read_committed"})
    common.check_read(c, want, rows(got), gaps=True)
    got = read_assigned(b, topic, 12, partitions=1, **{"isolation.level": "read_uncommitted"})
    c.check(len(got) == 12, "read_uncommitted also sees the 4 aborted records", f"{len(got)}")


def txn_fence(c, b):
    """A second producer with the same transactional.id fences the first."""
    topic = "ck-txn-fence"
    p1 = txn_producer(b, "ck-txn-fence")
    p1.init_transactions(15)
    p1.begin_transaction()
    produce(c, p1, topic, 2, partition_of=lambda i: 0, what="records from the first producer")
    p2 = txn_producer(b, "ck-txn-fence")
    p2.init_transactions(15)
    c.check(True, "the second producer's init_transactions aborts the first's transaction")
    try:
        p1.commit_transaction(15)
        c.check(False, "the first producer's commit fails as fenced")
    except KafkaException as e:
        err = e.args[0]
        c.check(err.fatal() or err.code() == KafkaError._FENCED,
                "the first producer's commit fails as fenced", f"{err}")
    p2.begin_transaction()
    mine = produce(c, p2, topic, 1, partition_of=lambda i: 0, first=300,
                   what="record from the second producer")
    p2.commit_transaction(15)
    got = read_assigned(b, topic, 1, partitions=1, **{"isolation.level": "read_committed"})
    c.check([m.value() for m in got] == [common.value(300)] and
            got[0].offset() == mine[300][1] and got[0].offset() >= 3,
            "read_committed sees only the second producer's record, after the abort marker",
            f"{[(m.offset(), m.value()[:10]) for m in got]}")


def admin_topics(c, b):
    a = AdminClient({"bootstrap.servers": b, "broker.address.family": "v4"})
    t = "ck-admin-topic"
    f = a.create_topics([NewTopic(t, 2, 1, config={"retention.ms": "3600000"})],
                        operation_timeout=10)
    try:
        f[t].result(15)
        c.check(True, "create_topics succeeds")
    except KafkaException as e:
        c.check(False, "create_topics succeeds", f"{e}")
    try:
        a.create_topics([NewTopic(t, 2, 1)])[t].result(15)
        c.check(False, "creating it again fails with TOPIC_ALREADY_EXISTS")
    except KafkaException as e:
        c.check(e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS,
                "creating it again fails with TOPIC_ALREADY_EXISTS", f"{e}")
    md = a.list_topics(timeout=10)
    c.check(t in md.topics and len(md.topics[t].partitions) == 2, "list_topics: 2 partitions")
    try:
        a.create_partitions([NewPartitions(t, 5)])[t].result(15)
        c.check(True, "create_partitions to 5")
    except KafkaException as e:
        c.check(False, "create_partitions to 5", f"{e}")
    try:
        a.create_partitions([NewPartitions(t, 3)])[t].result(15)
        c.check(False, "shrinking to 3 fails with INVALID_PARTITIONS")
    except KafkaException as e:
        c.check(e.args[0].code() == KafkaError.INVALID_PARTITIONS,
                "shrinking to 3 fails with INVALID_PARTITIONS", f"{e}")
    md = a.list_topics(t, timeout=10)
    c.check(len(md.topics[t].partitions) == 5, "list_topics: 5 partitions",
            f"{len(md.topics[t].partitions)}")
    try:
        a.delete_topics([t], operation_timeout=10)[t].result(15)
        c.check(True, "delete_topics succeeds")
    except KafkaException as e:
        c.check(False, "delete_topics succeeds", f"{e}")
    md = a.list_topics(timeout=10)
    c.check(t not in md.topics, "list_topics no longer includes it")
    try:
        a.delete_topics(["ck-no-such-topic"])["ck-no-such-topic"].result(15)
        c.check(False, "deleting an unknown topic fails with UNKNOWN_TOPIC_OR_PART")
    except KafkaException as e:
        c.check(e.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART,
                "deleting an unknown topic fails with UNKNOWN_TOPIC_OR_PART", f"{e}")


def admin_configs(c, b):
    a = AdminClient({"bootstrap.servers": b, "broker.address.family": "v4"})
    t = "ck-admin-configs"
    a.create_topics([NewTopic(t, 1, 1, config={"cleanup.policy": "compact"})])[t].result(15)

    def describe():
        res = ConfigResource(ConfigResource.Type.TOPIC, t)
        return a.describe_configs([res])[res].result(15)
    cfg = describe()
    c.check(cfg["cleanup.policy"].value == "compact" and not cfg["cleanup.policy"].is_default
            and cfg["retention.ms"].value == "604800000" and cfg["retention.ms"].is_default,
            "describe_configs: cleanup.policy=compact (override), retention.ms default",
            f"{cfg.get('cleanup.policy')} {cfg.get('retention.ms')}")
    res = ConfigResource(ConfigResource.Type.TOPIC, t, set_config={"retention.ms": "120000"})
    a.alter_configs([res])[res].result(15)
    cfg = describe()
    c.check(cfg["retention.ms"].value == "120000" and cfg["cleanup.policy"].value == "delete",
            "alter_configs replaces the overrides: retention.ms=120000, cleanup.policy default",
            f"{cfg['retention.ms'].value} {cfg['cleanup.policy'].value}")
    res = ConfigResource(ConfigResource.Type.TOPIC, t, set_config={"no.such.config": "1"})
    try:
        a.alter_configs([res])[res].result(15)
        c.check(False, "an unknown config fails with INVALID_CONFIG")
    except KafkaException as e:
        c.check(e.args[0].code() == KafkaError.INVALID_CONFIG,
                "an unknown config fails with INVALID_CONFIG", f"{e}")
    res = ConfigResource(ConfigResource.Type.BROKER, "1")
    bcfg = a.describe_configs([res])[res].result(15)
    c.check(bcfg["num.partitions"].value == str(PARTITIONS),
            f"broker describe_configs: num.partitions={PARTITIONS}",
            f"{bcfg.get('num.partitions')}")


def admin_groups(c, b):
    topic, group = "ck-admin-groups", "ck-admin-groups-g"
    p = producer(b)
    produce(c, p, topic, 9, partition_of=lambda i: i % PARTITIONS)
    cons = consumer(b, **{"group.id": group, "partition.assignment.strategy": "roundrobin"})
    cons.subscribe([topic])
    got = poll_n(cons, 9, settle=0)
    c.check(len(got) == 9, "a group member reads 9 records", f"{len(got)}")
    a = AdminClient({"bootstrap.servers": b, "broker.address.family": "v4"})
    groups = {g.id: g for g in a.list_groups(timeout=10)}
    g = groups.get(group)
    c.check(g is not None and g.state == "Stable" and g.protocol_type == "consumer"
            and g.protocol == "roundrobin" and len(g.members) == 1,
            "list_groups (ListGroups + DescribeGroups): Stable, consumer, roundrobin, 1 member",
            f"{g and (g.state, g.protocol_type, g.protocol, len(g.members))}")
    if g and g.members:
        c.check(g.members[0].client_id == "rdkafka" and len(g.members[0].assignment) > 0,
                "the member's client id and assignment are reported")
    cons.close()
    g = {g.id: g for g in a.list_groups(group, timeout=10)}.get(group)
    c.check(g is not None and g.state == "Empty" and not g.members,
            "after close() the group is Empty", f"{g and g.state}")


def offsets(c, b):
    topic = "ck-offsets"
    p = producer(b)
    t0 = int(time.time() * 1000) - 100000
    for i in range(10):
        p.produce(topic, key=common.key(i), value=common.value(i), partition=0,
                  timestamp=t0 + i * 1000)
    c.check(p.flush(30) == 0, "10 records delivered")
    cons = consumer(b)
    tp = TopicPartition(topic, 0)
    c.check(cons.get_watermark_offsets(tp, 10) == (0, 10), "watermarks (0, 10)",
            f"{cons.get_watermark_offsets(tp, 10)}")
    r = cons.offsets_for_times([TopicPartition(topic, 0, t0 + 4500)], 10)
    c.check(r[0].offset == 5, "offsets_for_times(t0+4.5s) = 5", f"{r}")
    r = cons.offsets_for_times([TopicPartition(topic, 0, t0 + 100000)], 10)
    c.check(r[0].offset == -1, "offsets_for_times after the last record = -1 (end)", f"{r}")
    cons.assign([TopicPartition(topic, 0, 7)])
    m = poll_n(cons, 1, settle=0)
    c.check(m and m[0].offset() == 7 and m[0].timestamp() == (1, t0 + 7000)
            and m[0].value() == common.value(7),
            "assign at offset 7 reads record 7 with its CreateTime",
            f"{m and (m[0].offset(), m[0].timestamp())}")
    c.check(cons.position([tp])[0].offset == 8, "position() 8 after it")
    cons.close()


def large(c, b):
    """3 records of 1.5 MB (topic max.message.bytes=4000000), read with the default
    max.partition.fetch.bytes (1 MB): the broker must hand out the whole batch (KIP-74)."""
    t = "ck-large"
    a = AdminClient({"bootstrap.servers": b, "broker.address.family": "v4"})
    a.create_topics([NewTopic(t, 1, 1, config={"max.message.bytes": "4000000"})])[t].result(15)
    p = producer(b, **{"message.max.bytes": 4_000_000})
    placed = {}
    for i in range(3):
        p.produce(t, key=b"large-%d" % i, value=common.large_value(i), partition=0,
                  on_delivery=lambda err, m, i=i: placed.__setitem__(i, (err, m.offset())))
    p.flush(60)
    c.check([placed.get(i) for i in range(3)] == [(None, i) for i in range(3)],
            "3 records of 1.5 MB delivered at 0, 1, 2", f"{placed}")
    got = read_assigned(b, t, 3, partitions=1)
    c.check([(m.offset(), m.key()) for m in got] == [(i, b"large-%d" % i) for i in range(3)],
            "read back in order with the default 1 MB partition fetch size",
            f"{[(m.offset(), m.key()) for m in got]}")
    c.check(all(m.value() == common.large_value(m.offset()) for m in got), "values byte-equal")


def main():
    scenario, b = sys.argv[1], sys.argv[2]
    c = Checks(f"confluent-kafka {scenario}")
    try:
        if scenario.startswith("codec-"):
            codec_scenario(c, b, scenario[len("codec-"):])
        else:
            {"group-resume": group_resume, "kip848-resume": kip848_resume,
             "idempotent": idempotent, "txn-commit": txn_commit,
             "txn-abort": txn_abort, "txn-fence": txn_fence, "admin-topics": admin_topics,
             "admin-configs": admin_configs, "admin-groups": admin_groups,
             "offsets": offsets, "large": large}[scenario](c, b)
    except KafkaException as e:
        c.check(False, "no client exception", f"{e}")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
