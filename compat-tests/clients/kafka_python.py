#!/usr/bin/python3
"""kafka-python 2.0.2 scenarios of the client matrix (compat-tests/clients/scenarios.tsv).

    kafka_python.py SCENARIO BOOTSTRAP        exit 0 = every check passed

Scenarios: codec-{none,gzip,snappy,lz4,zstd}, group-resume, group-resume-legacy,
admin-topics, admin-configs, admin-groups, offsets, large, large-legacy. kafka-python 2.0.2
has no idempotent or transactional producer and no DeleteRecords. Older message formats
(api_version 0.9 / 0.10.1) are covered by tests/integration/test_kafka_python.py.
"""

import sys
import time

import common
from common import PARTITIONS, Checks
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions,
                         NewTopic)
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

N = 400


def produce(b, topic, codec, n=N, partition_of=None):
    producer = KafkaProducer(bootstrap_servers=b, acks="all", linger_ms=5,
                             compression_type=None if codec == "none" else codec,
                             max_block_ms=20000, request_timeout_ms=20000)
    futures = {}
    for i in range(n):
        futures[i] = producer.send(topic, key=common.key(i), value=common.value(i),
                                   headers=common.headers(i) or None,
                                   partition=partition_of(i) if partition_of else None)
    producer.flush(60)
    placed = {}
    for i, f in futures.items():
        try:
            md = f.get(timeout=30)
            placed[i] = (md.partition, md.offset)
        except Exception as e:  # noqa: BLE001
            print(f"  send {i}: {e!r}")
    producer.close(10)
    return placed


def read_assigned(b, topic, want, timeout=30):
    consumer = KafkaConsumer(bootstrap_servers=b, group_id=None, enable_auto_commit=False,
                             fetch_max_wait_ms=100)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    got = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        for tp, records in consumer.poll(timeout_ms=300).items():
            got.extend((r.partition, r.offset, r.key, r.value, list(r.headers)) for r in records)
    consumer.close()
    return got


def codec_scenario(c, b, codec):
    topic = f"kp-codec-{codec}"
    placed = produce(b, topic, codec)
    common.check_placement(c, placed, N)
    common.write_expect(topic, codec, placed)
    common.check_read(c, placed, read_assigned(b, topic, len(placed)))


GROUP_API_VERSION = None  # group-resume-legacy: (0, 10, 0)


def group_consumer(b, topic, group):
    kw = {"api_version": GROUP_API_VERSION} if GROUP_API_VERSION else {}
    return KafkaConsumer(topic, bootstrap_servers=b, group_id=group, enable_auto_commit=False,
                         auto_offset_reset="earliest", fetch_max_wait_ms=100,
                         session_timeout_ms=10000, heartbeat_interval_ms=1000, **kw)


def poll_n(consumer, want, timeout=30, settle=1.0):
    """Polls until `want` records arrived, then `settle` seconds more for extra ones."""
    got = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        for tp, records in consumer.poll(timeout_ms=300).items():
            got.extend(records)
    end = time.time() + settle
    while time.time() < end:
        for tp, records in consumer.poll(timeout_ms=200).items():
            got.extend(records)
    return got


def group_resume(c, b, legacy=False):
    """20 records per partition; member A reads them all and commits 5/8/11; member B (a new
    consumer in the same group) resumes exactly there; after B commits the end, 3 new records
    are all member C reads. legacy: api_version (0, 10, 0), i.e. JoinGroup v0, SyncGroup v0,
    OffsetCommit v2, OffsetFetch v1, Fetch v2."""
    global GROUP_API_VERSION
    topic, group = "kp-group", "kp-group-g"
    if legacy:
        GROUP_API_VERSION = (0, 10, 0)
        topic, group = "kp-group-legacy", "kp-group-legacy-g"
    per = 20
    placed = produce(b, topic, "none", PARTITIONS * per, partition_of=lambda i: i % PARTITIONS)
    c.check(len(placed) == PARTITIONS * per, "60 records produced")
    a = group_consumer(b, topic, group)
    got = poll_n(a, PARTITIONS * per, settle=0)
    c.check(len(got) == PARTITIONS * per, "member A reads all 60 records through the group",
            f"{len(got)}")
    commit = {p: 5 + 3 * p for p in range(PARTITIONS)}
    a.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "kp-meta") for p, o in commit.items()})
    a.close()
    bm = group_consumer(b, topic, group)
    committed = {p: bm.committed(TopicPartition(topic, p)) for p in range(PARTITIONS)}
    c.check(committed == commit, "committed() in a new consumer shows 5/8/11", f"{committed}")
    admin = KafkaAdminClient(bootstrap_servers=b)
    offs = admin.list_consumer_group_offsets(group)
    admin.close()
    c.check({tp.partition: (om.offset, om.metadata) for tp, om in offs.items()}
            == {p: (o, "kp-meta") for p, o in commit.items()},
            "list_consumer_group_offsets: the offsets with their metadata", f"{offs}")
    want = sum(per - o for o in commit.values())
    got = poll_n(bm, want)
    first = {}
    for r in got:
        first.setdefault(r.partition, r.offset)
    c.check(first == commit, "member B starts each partition exactly at its committed offset",
            f"first offsets {first}")
    c.check(len(got) == want and len({(r.partition, r.offset) for r in got}) == want,
            f"member B reads exactly the {want} uncommitted records", f"{len(got)}")
    bm.commit()
    bm.close()
    more = produce(b, topic, "none", PARTITIONS, partition_of=lambda i: i % PARTITIONS)
    cm = group_consumer(b, topic, group)
    got = poll_n(cm, PARTITIONS)
    c.check(sorted((r.partition, r.offset) for r in got) == sorted(more.values()),
            "member C reads only the 3 records produced after B's commit",
            f"{[(r.partition, r.offset) for r in got]} want {sorted(more.values())}")
    cm.close()


def admin_topics(c, b):
    admin = KafkaAdminClient(bootstrap_servers=b, request_timeout_ms=20000)
    t = "kp-admin-topic"
    r = admin.create_topics([NewTopic(t, 2, 1, topic_configs={"retention.ms": "3600000"})])
    c.check(all(e[1] == 0 for e in r.topic_errors), "create_topics succeeds", f"{r}")
    try:
        admin.create_topics([NewTopic(t, 2, 1)])
        c.check(False, "creating it again raises TopicAlreadyExistsError")
    except TopicAlreadyExistsError:
        c.check(True, "creating it again raises TopicAlreadyExistsError")
    c.check(t in admin.list_topics(), "list_topics includes it")
    desc = admin.describe_topics([t])
    c.check(len(desc) == 1 and len(desc[0]["partitions"]) == 2 and desc[0]["error_code"] == 0,
            "describe_topics: 2 partitions", f"{desc}")
    r = admin.create_partitions({t: NewPartitions(5)})
    c.check(all(e[1] == 0 for e in r.topic_errors), "create_partitions to 5", f"{r}")
    desc = admin.describe_topics([t])
    c.check(len(desc[0]["partitions"]) == 5, "describe_topics: now 5 partitions",
            f"{len(desc[0]['partitions'])}")
    placed = produce(b, t, "none", 10, partition_of=lambda i: 4)
    c.check(sorted(placed.values()) == [(4, i) for i in range(10)],
            "the new partition 4 takes records at offsets 0..9", f"{sorted(placed.values())}")
    r = admin.delete_topics([t])
    c.check(all(e[1] == 0 for e in r.topic_error_codes), "delete_topics succeeds", f"{r}")
    deadline = time.time() + 10
    while t in admin.list_topics() and time.time() < deadline:
        time.sleep(0.2)
    c.check(t not in admin.list_topics(), "list_topics no longer includes it")
    admin.close()


def admin_configs(c, b):
    admin = KafkaAdminClient(bootstrap_servers=b, request_timeout_ms=20000)
    t = "kp-admin-configs"
    admin.create_topics([NewTopic(t, 1, 1, topic_configs={"cleanup.policy": "compact"})])

    def topic_configs():
        r = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t)])
        return {e[0]: e[1] for e in r[0].resources[0][4]}
    cfg = topic_configs()
    c.check(cfg.get("cleanup.policy") == "compact" and cfg.get("retention.ms") == "604800000",
            "describe_configs: cleanup.policy=compact (set), retention.ms default 604800000",
            f"cleanup.policy={cfg.get('cleanup.policy')} retention.ms={cfg.get('retention.ms')}")
    r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t,
                                            configs={"retention.ms": "120000"})])
    c.check(r.resources[0][0] == 0, "alter_configs retention.ms=120000", f"{r}")
    cfg = topic_configs()
    # AlterConfigs replaces the whole set of overrides, as Kafka does.
    c.check(cfg.get("retention.ms") == "120000" and cfg.get("cleanup.policy") == "delete",
            "describe_configs shows the new value and the dropped override back at its default",
            f"retention.ms={cfg.get('retention.ms')} cleanup.policy={cfg.get('cleanup.policy')}")
    r = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
    bcfg = {e[0]: e[1] for e in r[0].resources[0][4]}
    c.check(bcfg.get("num.partitions") == str(PARTITIONS), "broker describe_configs: "
            f"num.partitions={PARTITIONS}", f"{bcfg.get('num.partitions')}")
    admin.close()


def admin_groups(c, b):
    topic, group = "kp-admin-groups", "kp-admin-groups-g"
    produce(b, topic, "none", 9, partition_of=lambda i: i % PARTITIONS)
    cons = group_consumer(b, topic, group)
    got = poll_n(cons, 9, settle=0)
    c.check(len(got) == 9, "a group member reads 9 records", f"{len(got)}")
    cons.commit()
    admin = KafkaAdminClient(bootstrap_servers=b, request_timeout_ms=20000)
    groups = admin.list_consumer_groups()
    c.check((group, "consumer") in groups, "list_consumer_groups shows it (protocol type "
            "consumer)", f"{groups}")
    d = admin.describe_consumer_groups([group])[0]
    c.check(d.state == "Stable" and len(d.members) == 1 and d.protocol == "range",
            "describe_consumer_groups: Stable, 1 member, range", f"{d}")
    offs = admin.list_consumer_group_offsets(group)
    c.check({tp.partition: om.offset for tp, om in offs.items() if tp.topic == topic}
            == {0: 3, 1: 3, 2: 3}, "list_consumer_group_offsets: 3 per partition", f"{offs}")
    r = admin.delete_consumer_groups([group])
    c.check(len(r) == 1 and r[0][1].errno == 68,
            "delete_consumer_groups of the active group: NON_EMPTY_GROUP (68)", f"{r}")
    cons.close()
    r = admin.delete_consumer_groups([group])
    c.check(len(r) == 1 and r[0][1].errno == 0, "after the member left it is deleted", f"{r}")
    groups = admin.list_consumer_groups()
    c.check(all(g != group for g, _ in groups), "list_consumer_groups no longer shows it",
            f"{groups}")
    c.check(admin.list_consumer_group_offsets(group) == {},
            "its committed offsets are gone")
    admin.close()


def offsets(c, b):
    topic = "kp-offsets"
    producer = KafkaProducer(bootstrap_servers=b, acks="all")
    t0 = int(time.time() * 1000) - 100000
    for i in range(10):
        producer.send(topic, key=common.key(i), value=common.value(i), partition=0,
                      timestamp_ms=t0 + i * 1000)
    producer.flush(30)
    producer.close()
    cons = KafkaConsumer(bootstrap_servers=b, group_id=None)
    tp = TopicPartition(topic, 0)
    c.check(cons.beginning_offsets([tp]) == {tp: 0}, "beginning_offsets 0")
    c.check(cons.end_offsets([tp]) == {tp: 10}, "end_offsets 10", f"{cons.end_offsets([tp])}")
    r = cons.offsets_for_times({tp: t0 + 4500})
    c.check(r[tp] is not None and r[tp].offset == 5 and r[tp].timestamp == t0 + 5000,
            "offsets_for_times(t0+4.5s) = offset 5 with its timestamp", f"{r}")
    r = cons.offsets_for_times({tp: t0 + 100000})
    c.check(r[tp] is None, "offsets_for_times after the last record: None", f"{r}")
    cons.close()
    admin = KafkaAdminClient(bootstrap_servers=b)
    cl = admin.describe_cluster()
    c.check(len(cl["brokers"]) == 1 and cl["controller_id"] == cl["brokers"][0]["node_id"],
            "describe_cluster: one broker, the controller", f"{cl}")
    admin.close()


def large(c, b):
    """3 records of 1.5 MB in a topic with max.message.bytes=4000000, read with the default
    max_partition_fetch_bytes (1 MB): the broker must hand out a whole batch larger than the
    limit (KIP-74)."""
    t = "kp-large"
    admin = KafkaAdminClient(bootstrap_servers=b)
    admin.create_topics([NewTopic(t, 1, 1, topic_configs={"max.message.bytes": "4000000"})])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=b, acks="all", max_request_size=4_000_000)
    fs = [producer.send(t, key=b"large-%d" % i, value=common.large_value(i), partition=0)
          for i in range(3)]
    producer.flush(60)
    offs = [f.get(30).offset for f in fs]
    producer.close()
    c.check(offs == [0, 1, 2], "3 records of 1.5 MB acknowledged at 0, 1, 2", f"{offs}")
    cons = KafkaConsumer(bootstrap_servers=b, group_id=None, fetch_max_wait_ms=100)
    cons.assign([TopicPartition(t, 0)])
    cons.seek_to_beginning()
    got = []
    deadline = time.time() + 30
    while len(got) < 3 and time.time() < deadline:
        for _, records in cons.poll(timeout_ms=300).items():
            got.extend(records)
    cons.close()
    c.check([(r.offset, r.key) for r in got] == [(i, b"large-%d" % i) for i in range(3)],
            "read back in order with the default 1 MB partition fetch size",
            f"{[(r.offset, r.key) for r in got]}")
    c.check(all(r.value == common.large_value(r.offset) for r in got), "values byte-equal")


def large_legacy(c, b):
    """The 1.5 MB records read by a consumer with api_version (0, 10, 0), which sends Fetch v2
    (no KIP-74: the partition limit is hard, even for the first message): with a big enough
    max_partition_fetch_bytes it reads them; with the default 1 MB Kafka answers an overflow
    message (KIP-283), which kafka-python reports as RecordTooLargeError, so the user learns
    to raise the fetch size instead of waiting forever."""
    t = "kp-large-legacy"
    admin = KafkaAdminClient(bootstrap_servers=b)
    admin.create_topics([NewTopic(t, 1, 1, topic_configs={"max.message.bytes": "4000000"})])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=b, acks="all", max_request_size=4_000_000)
    for i in range(3):
        producer.send(t, key=b"large-%d" % i, value=common.large_value(i), partition=0)
    producer.flush(60)
    producer.close()

    def reader(fetch_bytes):
        cons = KafkaConsumer(bootstrap_servers=b, group_id=None, fetch_max_wait_ms=100,
                             api_version=(0, 10, 0), max_partition_fetch_bytes=fetch_bytes)
        cons.assign([TopicPartition(t, 0)])
        cons.seek_to_beginning()
        return cons
    cons = reader(4_000_000)
    got = []
    deadline = time.time() + 20
    while len(got) < 3 and time.time() < deadline:
        for _, records in cons.poll(timeout_ms=300).items():
            got.extend(records)
    cons.close()
    c.check([(r.offset, r.value == common.large_value(r.offset)) for r in got] ==
            [(i, True) for i in range(3)],
            "Fetch v2 with max_partition_fetch_bytes 4 MB reads the 3 records byte-equal",
            f"{[r.offset for r in got]}")
    cons = reader(1 << 20)
    error = None
    deadline = time.time() + 6  # Kafka answers at once
    while error is None and time.time() < deadline:
        try:
            if cons.poll(timeout_ms=300):
                error = "records"
        except Exception as e:  # noqa: BLE001
            error = e
    cons.close()
    c.check(type(error).__name__ == "RecordTooLargeError",
            "with the default 1 MB: RecordTooLargeError (Kafka's overflow message), not a stall",
            f"{error!r}" if error else "nothing within 6 s")


def main():
    scenario, b = sys.argv[1], sys.argv[2]
    c = Checks(f"kafka-python {scenario}")
    if scenario.startswith("codec-"):
        codec_scenario(c, b, scenario[len("codec-"):])
    else:
        {"group-resume": group_resume,
         "group-resume-legacy": lambda c, b: group_resume(c, b, legacy=True),
         "admin-topics": admin_topics,
         "admin-configs": admin_configs, "admin-groups": admin_groups,
         "offsets": offsets, "large": large, "large-legacy": large_legacy}[scenario](c, b)
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
