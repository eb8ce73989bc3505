#!/usr/bin/python3
"""Admin APIs end to end: real admin clients and raw requests against a live broker.

Clients: confluent_kafka's AdminClient (librdkafka 2.0.2: CreateTopics v4, DeleteTopics v1,
CreatePartitions v0, DescribeConfigs v1, AlterConfigs v0), kafka-python's KafkaAdminClient
(CreateTopics v3, DeleteTopics v3, CreatePartitions v1, DescribeConfigs v0/v1, AlterConfigs
v1), kcat -L, and raw requests (kafkawire.py) for every other version and for the APIs the
installed clients cannot send (IncrementalAlterConfigs, DeleteRecords, DescribeCluster,
DescribeLogDirs, OffsetForLeaderEpoch).

Checked: exact error codes for each failure Kafka defines (TOPIC_ALREADY_EXISTS,
INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG,
INVALID_TOPIC_EXCEPTION, INVALID_REQUEST, POLICY_VIOLATION, UNKNOWN_TOPIC_OR_PARTITION,
UNKNOWN_TOPIC_ID, TOPIC_DELETION_DISABLED, OFFSET_OUT_OF_RANGE, UNKNOWN_LEADER_EPOCH, ...);
that validate-only requests change nothing; config values, sources and synonyms as
described; that altered configs act at once (max.message.bytes rejects then accepts a
produce); partition sizes against the files on disk; and, after a restart, that created
partitions, altered configs, deletions and the advanced log start offset survived.
"""

import os
import subprocess
import json
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
from kafkawire import ZERO_UUID, Connection  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import (AdminClient, ConfigResource, ConfigSource,  # noqa: E402
                                   NewPartitions, NewTopic)
from kafka.admin import ConfigResource as KpConfigResource  # noqa: E402
from kafka.admin import ConfigResourceType, KafkaAdminClient  # noqa: E402
from kafka.admin import NewPartitions as KpNewPartitions  # noqa: E402
from kafka.admin import NewTopic as KpNewTopic  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402

NODE = 1
# Static broker settings visible in DescribeConfigs (STATIC_BROKER_CONFIG) and as topic
# defaults: retention.ms of a topic without an override is 100 hours.
OVERRIDES = {"num.partitions": "2", "log.retention.hours": "100"}
RETENTION_100H = str(100 * 3600 * 1000)

NONE, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC = 0, 1, 3
INVALID_TOPIC, TOPIC_EXISTS, INVALID_PARTITIONS, INVALID_RF = 17, 36, 37, 38
INVALID_ASSIGNMENT, INVALID_CONFIG, INVALID_REQUEST, POLICY_VIOLATION = 39, 40, 42, 44
MESSAGE_TOO_LARGE, DELETION_DISABLED, UNKNOWN_LEADER_EPOCH = 10, 73, 75
UNKNOWN_TOPIC_ID, MISMATCHED_ENDPOINT_TYPE = 100, 114
TOPIC_RES, BROKER_RES, LOGGER_RES, GROUP_RES = 2, 4, 8, 32
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3

c = Checks("admin APIs")


# -- helpers -------------------------------------------------------------------------------

def outcomes(futures):
    """confluent futures -> {key: error code (0 = success)}."""
    out = {}
    for k, f in futures.items():
        try:
            f.result(timeout=30)
            out[k] = NONE
        except KafkaException as e:
            out[k] = e.args[0].code()
    return out


def cf_admin(b):
    return AdminClient({"bootstrap.servers": b.bootstrap})


def cf_topics(b):
    """{topic: partition count} from librdkafka's metadata."""
    md = cf_admin(b).list_topics(timeout=30)
    return {n: len(t.partitions) for n, t in md.topics.items()}


def cf_describe(b, restype, name):
    admin = cf_admin(b)  # must outlive the future: destroying it fails the request
    res = ConfigResource(restype, name)
    return admin.describe_configs([res])[res].result(timeout=30)


def kcat_topics(b):
    r = subprocess.run(["kcat", "-L", "-J", "-b", b.bootstrap], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    md = json.loads(r.stdout)
    return {t["topic"]: len(t["partitions"]) for t in md["topics"]}


def raw(b, api, version, body):
    with Connection(b.bootstrap) as conn:
        return conn.request(api, version, body)


def raw_create(b, topics, version=5, validate_only=False):
    r = raw(b, "CreateTopics", version, {"topics": topics, "validate_only": validate_only})
    return {t["name"]: t for t in r["topics"]}


def topic(name, partitions=1, rf=1, configs=None, assignments=None):
    return {"name": name, "num_partitions": partitions, "replication_factor": rf,
            "configs": [{"name": k, "value": v} for k, v in (configs or {}).items()],
            "assignments": [{"partition_index": i, "broker_ids": ids}
                            for i, ids in (assignments or [])]}


def raw_configs(b, name, version=4, restype=TOPIC_RES, **kw):
    body = {"resources": [{"resource_type": restype, "resource_name": name,
                           "configuration_keys": kw.pop("keys", None)}]}
    body.update(kw)
    return raw(b, "DescribeConfigs", version, body)["results"][0]


def config_values(b, name):
    return {e["name"]: e["value"] for e in raw_configs(b, name)["configs"]}


def overrides(b, name):
    """The topic's own overrides as stored: DYNAMIC_TOPIC_CONFIG synonyms (DescribeConfigs
    renders some effective values canonically, e.g. cleanup.policy)."""
    r = raw_configs(b, name, 1, include_synonyms=True)
    return {s["name"]: s["value"] for e in r["configs"] for s in e["synonyms"]
            if s["source"] == 1}


def incremental(b, resources, version=1, validate_only=False):
    body = {"validate_only": validate_only, "resources": [
        {"resource_type": rt, "resource_name": rn,
         "configs": [{"name": k, "config_operation": op, "value": v} for k, op, v in ops]}
        for rt, rn, ops in resources]}
    return raw(b, "IncrementalAlterConfigs", version, body)["responses"]


def produce(b, topic_name, values, partition=0):
    """Produces values one by one; returns the delivery error codes."""
    codes = []
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 0, "retries": 0})

    def done(err, msg):
        codes.append(err.code() if err else NONE)

    for v in values:
        p.produce(topic_name, v, partition=partition, on_delivery=done)
        p.flush(30)
    return codes


def watermarks(b, topic_name, partition):
    cons = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "admin-it"})
    try:
        return cons.get_watermark_offsets(TopicPartition(topic_name, partition), timeout=30)
    finally:
        cons.close()


# -- confluent_kafka (librdkafka) ----------------------------------------------------------

def confluent_create(b):
    print("-- confluent_kafka create_topics", flush=True)
    a = cf_admin(b)
    got = outcomes(a.create_topics([
        NewTopic("cf-plain", 4, 1),
        NewTopic("cf-conf", 1, 1, config={"retention.ms": "3600000", "cleanup.policy": "compact"}),
        NewTopic("cf-assign", 3, replica_assignment=[[NODE], [NODE], [NODE]]),
    ], operation_timeout=30))
    c.check(got == {"cf-plain": 0, "cf-conf": 0, "cf-assign": 0}, "three topics created", got)
    t = cf_topics(b)
    c.check((t.get("cf-plain"), t.get("cf-conf"), t.get("cf-assign")) == (4, 1, 3),
            "metadata shows 4, 1 and 3 partitions", t)

    got = outcomes(a.create_topics([NewTopic("cf-validate", 3, 1)], validate_only=True))
    c.check(got == {"cf-validate": 0}, "validate_only create succeeds", got)
    c.check("cf-validate" not in cf_topics(b), "validate_only created nothing")

    got = outcomes(a.create_topics([
        NewTopic("cf-plain", 1, 1),
        NewTopic("cf-badkey", 1, 1, config={"no.such.config": "1"}),
        NewTopic("cf-badval", 1, 1, config={"retention.ms": "abc"}),
        NewTopic("cf-rf3", 1, 3),
        NewTopic("bad name!", 1, 1),
        NewTopic("cf-badassign", 1, replica_assignment=[[7]]),
    ]))
    want = {"cf-plain": TOPIC_EXISTS, "cf-badkey": INVALID_CONFIG, "cf-badval": INVALID_CONFIG,
            "cf-rf3": INVALID_RF, "bad name!": INVALID_TOPIC, "cf-badassign": INVALID_ASSIGNMENT}
    c.check(got == want, "create errors: exists/config/value/rf/name/assignment", got)
    left = set(cf_topics(b)) & {"cf-badkey", "cf-badval", "cf-rf3", "cf-badassign"}
    c.check(not left, "failed creations left no topic", left)


def confluent_partitions_and_delete(b):
    print("-- confluent_kafka create_partitions / delete_topics", flush=True)
    a = cf_admin(b)
    got = outcomes(a.create_partitions([NewPartitions("cf-plain", 6)]))
    c.check(got == {"cf-plain": 0}, "create_partitions 4 -> 6", got)
    got = outcomes(a.create_partitions([NewPartitions("cf-assign", 5)], validate_only=True))
    c.check(got == {"cf-assign": 0}, "validate_only create_partitions succeeds", got)
    got = outcomes(a.create_partitions([NewPartitions("cf-plain", 3),
                                        NewPartitions("cf-nope", 3)]))
    c.check(got == {"cf-plain": INVALID_PARTITIONS, "cf-nope": UNKNOWN_TOPIC},
            "create_partitions errors: decrease, unknown topic", got)
    t = cf_topics(b)
    c.check((t.get("cf-plain"), t.get("cf-assign")) == (6, 3),
            "partition counts 6 and 3 (validate_only added none)", t)
    c.check(all(os.path.isdir(b.partition_dir("cf-plain", p)) for p in range(6)),
            "directories for cf-plain-0..5 exist")

    outcomes(a.create_topics([NewTopic("cf-doomed", 2, 1)]))
    got = outcomes(a.delete_topics(["cf-doomed", "cf-never"], operation_timeout=30))
    c.check(got == {"cf-doomed": 0, "cf-never": UNKNOWN_TOPIC},
            "delete_topics: deleted, unknown", got)
    c.check("cf-doomed" not in cf_topics(b), "deleted topic gone from metadata")
    c.check(not os.path.exists(b.partition_dir("cf-doomed", 0)), "its log directory removed")


def confluent_configs(b):
    print("-- confluent_kafka describe_configs / alter_configs", flush=True)
    conf = cf_describe(b, "topic", "cf-conf")
    e = conf.get("retention.ms")
    c.check(e is not None and e.value == "3600000" and
            e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value and not e.is_read_only,
            "topic override: retention.ms=3600000 DYNAMIC_TOPIC_CONFIG", e)
    c.check(conf["cleanup.policy"].value == "compact", "cleanup.policy=compact")
    seg = conf["segment.bytes"]
    c.check(seg.value == "1073741824" and seg.source == ConfigSource.DEFAULT_CONFIG.value,
            "segment.bytes default, DEFAULT_CONFIG", seg)
    plain = cf_describe(b, "topic", "cf-plain")["retention.ms"]
    c.check(plain.value == RETENTION_100H and
            plain.source == ConfigSource.STATIC_BROKER_CONFIG.value,
            "retention.ms from log.retention.hours=100: STATIC_BROKER_CONFIG", plain)
    # confluent_kafka keys synonyms by name, so log.retention.hours' DEFAULT_CONFIG entry
    # (168) hides its STATIC_BROKER_CONFIG one (100); the raw DescribeConfigs check below
    # looks at the whole list.
    c.check("log.retention.hours" in plain.synonyms, "synonyms include log.retention.hours",
            plain.synonyms)
    over = conf["retention.ms"].synonyms
    c.check(list(over)[:1] == ["retention.ms"] and
            over["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
            "override's first synonym is itself (DYNAMIC_TOPIC_CONFIG)", list(over))

    broker = cf_describe(b, "broker", str(NODE))
    np = broker.get("num.partitions")
    c.check(np is not None and np.value == "2" and np.is_read_only and
            np.source == ConfigSource.STATIC_BROKER_CONFIG.value,
            "broker num.partitions=2 STATIC_BROKER_CONFIG read-only", np)
    c.check(broker["log.dirs"].value == b.data_dir, "broker log.dirs is the data dir",
            broker["log.dirs"].value)
    mmb = broker.get("message.max.bytes")
    c.check(mmb is not None and mmb.source == ConfigSource.DEFAULT_CONFIG.value,
            "broker message.max.bytes DEFAULT_CONFIG", mmb)
    c.check(all(x.value is None for x in broker.values() if x.is_sensitive),
            "sensitive broker configs have no value")

    try:
        cf_describe(b, "topic", "cf-nope")
        c.check(False, "describe unknown topic fails")
    except KafkaException as ex:
        c.check(ex.args[0].code() == UNKNOWN_TOPIC, "describe unknown topic", ex)

    a = cf_admin(b)
    res = ConfigResource("topic", "cf-conf",
                         set_config={"retention.ms": "7200000", "max.message.bytes": "1000"})
    c.check(outcomes(a.alter_configs([res])) == {res: 0}, "alter_configs topic")
    conf = cf_describe(b, "topic", "cf-conf")
    c.check((conf["retention.ms"].value, conf["max.message.bytes"].value) == ("7200000", "1000"),
            "new values set")
    c.check(conf["cleanup.policy"].value == "delete" and
            conf["cleanup.policy"].source == ConfigSource.DEFAULT_CONFIG.value,
            "alter_configs replaced the set: cleanup.policy back to its default")

    res = ConfigResource("topic", "cf-conf", set_config={"retention.ms": "5"})
    c.check(outcomes(a.alter_configs([res], validate_only=True)) == {res: 0},
            "validate_only alter_configs succeeds")
    c.check(cf_describe(b, "topic", "cf-conf")["retention.ms"].value == "7200000",
            "validate_only changed nothing")
    bad = ConfigResource("topic", "cf-conf", set_config={"retention.ms": "soon"})
    c.check(outcomes(a.alter_configs([bad])) == {bad: INVALID_CONFIG}, "bad value: INVALID_CONFIG")
    unknown = ConfigResource("topic", "cf-nope", set_config={"retention.ms": "1"})
    c.check(outcomes(a.alter_configs([unknown])) == {unknown: UNKNOWN_TOPIC}, "unknown topic")
    br = ConfigResource("broker", str(NODE), set_config={"log.retention.ms": "1000"})
    c.check(outcomes(a.alter_configs([br])) == {br: INVALID_REQUEST},
            "broker config change: INVALID_REQUEST")

    # max.message.bytes=1000 is live: a 5000-byte record is refused, then accepted once raised.
    codes = produce(b, "cf-conf", [b"x" * 5000])
    c.check(codes == [MESSAGE_TOO_LARGE], "max.message.bytes=1000 refuses 5000 bytes", codes)
    res = ConfigResource("topic", "cf-conf",
                         set_config={"retention.ms": "7200000", "max.message.bytes": "100000"})
    outcomes(a.alter_configs([res]))
    codes = produce(b, "cf-conf", [b"x" * 5000])
    c.check(codes == [NONE], "after raising it to 100000 the record is accepted", codes)


# -- kafka-python ----------------------------------------------------------------------------

def kp_error(call):
    """kafka-python raises for any per-topic error of Create/DeleteTopics and
    CreatePartitions; returns the error code it raised (0 if none)."""
    try:
        call()
        return NONE
    except KafkaError as e:
        return e.errno


def kafka_python(b):
    print("-- kafka-python KafkaAdminClient", flush=True)
    a = KafkaAdminClient(bootstrap_servers=b.bootstrap, request_timeout_ms=30000)
    try:
        r = a.create_topics([KpNewTopic("kp-a", 3, 1, topic_configs={"segment.bytes": "1048576"})])
        c.check(r.API_VERSION == 3 and [t[:2] for t in r.topic_errors] == [("kp-a", 0)],
                "CreateTopics v3 creates kp-a", r)
        code = kp_error(lambda: a.create_topics([KpNewTopic("cf-plain", 1, 1)]))
        c.check(code == TOPIC_EXISTS, "cf-plain exists: TOPIC_ALREADY_EXISTS", code)
        code = kp_error(lambda: a.create_topics([KpNewTopic("kp-rf", 1, 2)]))
        c.check(code == INVALID_RF, "replication factor 2: INVALID_REPLICATION_FACTOR", code)
        r = a.create_topics([KpNewTopic("kp-v", 1, 1)], validate_only=True)
        c.check(r.topic_errors[0][1] == 0 and "kp-v" not in cf_topics(b),
                "validate_only create changed nothing", r.topic_errors)

        for synonyms in (False, True):
            r = a.describe_configs([KpConfigResource(ConfigResourceType.TOPIC, "kp-a")],
                                   include_synonyms=synonyms)[0]
            err, _, _, name, entries = r.resources[0]
            seg = [e for e in entries if e[0] == "segment.bytes"]
            c.check(err == 0 and name == "kp-a" and seg and seg[0][1] == "1048576",
                    f"describe_configs v{r.API_VERSION}: segment.bytes=1048576", seg)
        r = a.describe_configs([KpConfigResource(ConfigResourceType.TOPIC, "kp-none")])[0]
        c.check(r.resources[0][0] == UNKNOWN_TOPIC, "describe unknown topic", r.resources)
        r = a.describe_configs([KpConfigResource(ConfigResourceType.BROKER, str(NODE))])[0]
        err, _, _, _, entries = r.resources[0]
        np = [e for e in entries if e[0] == "num.partitions"]
        c.check(err == 0 and np and np[0][1] == "2" and np[0][2],
                "describe broker: num.partitions=2, read-only", np)

        r = a.create_partitions({"kp-a": KpNewPartitions(5)})
        c.check(r.topic_errors[0][:2] == ("kp-a", 0), "create_partitions 3 -> 5", r.topic_errors)
        code = kp_error(lambda: a.create_partitions({"kp-a": KpNewPartitions(5)}))
        c.check(code == INVALID_PARTITIONS, "same count: INVALID_PARTITIONS", code)
        c.check(cf_topics(b).get("kp-a") == 5, "kp-a has 5 partitions")

        r = a.alter_configs([KpConfigResource(ConfigResourceType.TOPIC, "kp-a",
                                              configs={"retention.ms": "60000"})])
        c.check(r.resources[0][0] == 0, "alter_configs kp-a", r.resources)
        c.check(config_values(b, "kp-a").get("retention.ms") == "60000", "retention.ms=60000")
        r = a.alter_configs([KpConfigResource(ConfigResourceType.TOPIC, "kp-a",
                                              configs={"retention.ms": "x"})])
        c.check(r.resources[0][0] == INVALID_CONFIG, "bad value: INVALID_CONFIG", r.resources)

        r = a.delete_topics(["kp-a"])
        c.check(list(r.topic_error_codes) == [("kp-a", 0)], "delete kp-a", r.topic_error_codes)
        code = kp_error(lambda: a.delete_topics(["kp-none"]))
        c.check(code == UNKNOWN_TOPIC, "delete unknown: UNKNOWN_TOPIC_OR_PARTITION", code)
        c.check("kp-a" not in cf_topics(b), "kp-a gone")
    finally:
        a.close()


# -- raw protocol ----------------------------------------------------------------------------

def raw_create_topics(b):
    print("-- CreateTopics v0-7 (raw)", flush=True)
    r = raw_create(b, [topic("raw-a", -1, -1, {"compression.type": "gzip"})], version=7)["raw-a"]
    c.check(r["error_code"] == 0 and r["error_message"] is None, "v7 create with defaults", r)
    c.check((r["num_partitions"], r["replication_factor"]) == (2, 1),
            "echo: num.partitions=2 default, replication factor 1", r)
    cfg = {x["name"]: x for x in r["configs"]}
    c.check(cfg.get("compression.type", {}).get("value") == "gzip" and
            cfg["compression.type"]["config_source"] == 1, "echo: compression.type=gzip DYNAMIC")
    c.check(cfg.get("retention.ms", {}).get("config_source") == 4 and
            cfg["retention.ms"]["value"] == RETENTION_100H, "echo: retention.ms STATIC_BROKER")
    c.check(r["topic_id"] != ZERO_UUID, "v7 returns a topic id")
    raw_a_id = r["topic_id"]

    for v in (0, 1, 2, 3, 4, 6):
        r = raw_create(b, [topic(f"raw-v{v}", 2)], version=v)[f"raw-v{v}"]
        c.check(r["error_code"] == 0, f"v{v} create", r)
    c.check(all(cf_topics(b).get(f"raw-v{v}") == 2 for v in (0, 1, 2, 3, 4, 6)),
            "v0-6 topics exist with 2 partitions")
    r = raw_create(b, [topic("raw-val", 3)], version=1, validate_only=True)["raw-val"]
    c.check(r["error_code"] == 0 and "raw-val" not in cf_topics(b), "v1 validate_only", r)
    r = raw_create(b, [topic("raw-val", 3)], version=7, validate_only=True)["raw-val"]
    c.check(r["error_code"] == 0 and r["num_partitions"] == 3 and r["topic_id"] == ZERO_UUID,
            "v7 validate_only echoes 3 partitions, zero id", r)

    cases = [
        (topic("raw-p0", 0), INVALID_PARTITIONS),
        (topic("raw-pm2", -2), INVALID_PARTITIONS),
        (topic("raw-rf0", 1, 0), INVALID_RF),
        (topic("raw-rfm2", 1, -2), INVALID_RF),
        (topic("raw-rf2", 1, 2), INVALID_RF),
        (topic("raw-asg-np", 2, -1, assignments=[(0, [NODE])]), INVALID_REQUEST),
        (topic("raw-asg-rf", -1, 1, assignments=[(0, [NODE])]), INVALID_REQUEST),
        (topic("raw-asg-broker", -1, -1, assignments=[(0, [9])]), INVALID_ASSIGNMENT),
        (topic("raw-asg-twice", -1, -1, assignments=[(0, [NODE, NODE])]), INVALID_ASSIGNMENT),
        (topic("raw-asg-gap", -1, -1, assignments=[(0, [NODE]), (2, [NODE])]),
         INVALID_ASSIGNMENT),
        (topic("raw-asg-dup", -1, -1, assignments=[(0, [NODE]), (0, [NODE])]),
         INVALID_ASSIGNMENT),
        ({**topic("raw-null"), "configs": [{"name": "retention.ms", "value": None}]},
         INVALID_CONFIG),
        (topic(""), INVALID_TOPIC),
        (topic("x" * 250), INVALID_TOPIC),
        (topic("raw-a"), TOPIC_EXISTS),
    ]
    got = raw_create(b, [t for t, _ in cases])
    for t, want in cases:
        r = got.get(t["name"], {})
        c.check(r.get("error_code") == want, f"{t['name'][:20] or '(empty)'}: error {want}", r)
    c.check(got["raw-rf2"]["error_message"].startswith("Unable to replicate the partition 2"),
            "rf 2: Kafka's placement message", got["raw-rf2"]["error_message"])
    c.check(got["raw-p0"]["num_partitions"] == -1, "failed result echoes -1 partitions")

    r = raw_create(b, [topic("raw-asg", -1, -1, assignments=[(1, [NODE]), (0, [NODE])])])
    c.check(r["raw-asg"]["error_code"] == 0 and cf_topics(b).get("raw-asg") == 2,
            "explicit assignments (out of order) create 2 partitions", r)

    r = raw(b, "CreateTopics", 5, {"topics": [topic("raw-dup"), topic("raw-dup", 2),
                                              topic("raw-single")]})["topics"]
    c.check([(x["name"], x["error_code"]) for x in r] ==
            [("raw-dup", INVALID_REQUEST), ("raw-single", 0)],
            "duplicate name: one INVALID_REQUEST result, the other topic created", r)
    c.check("raw-dup" not in cf_topics(b), "duplicate name created nothing")

    raw_create(b, [topic("raw.col")])
    r = raw_create(b, [topic("raw_col")])["raw_col"]
    c.check(r["error_code"] == INVALID_TOPIC and "collides" in r["error_message"],
            "raw_col collides with raw.col", r)

    r = raw_create(b, [topic("raw-big", 10001), topic("raw-small", 1)])
    c.check(r["raw-big"]["error_code"] == POLICY_VIOLATION and
            r["raw-small"]["error_code"] == POLICY_VIOLATION,
            "10001 partitions: POLICY_VIOLATION for the whole request", r)
    t = cf_topics(b)
    c.check("raw-big" not in t and "raw-small" not in t, "nothing created")
    return raw_a_id


def raw_delete_topics(b, raw_a_id):
    print("-- DeleteTopics v0-6 (raw)", flush=True)
    r = raw(b, "DeleteTopics", 6, {"topics": [
        {"name": None, "topic_id": raw_a_id},
        {"name": None, "topic_id": b"\x01" * 16},
        {"name": "raw-v0", "topic_id": b"\x02" * 16},
        {"name": None, "topic_id": ZERO_UUID},
        {"name": "raw-v1", "topic_id": ZERO_UUID},
        {"name": "raw-v2", "topic_id": ZERO_UUID},
        {"name": "raw-v2", "topic_id": ZERO_UUID},
    ], "timeout_ms": 30000})["responses"]
    by = [(x["name"], x["topic_id"] == raw_a_id, x["error_code"]) for x in r]
    c.check(("raw-a", True, 0) in by, "v6 delete by id returns the name and id", by)
    c.check((None, False, UNKNOWN_TOPIC_ID) in by, "unknown id: UNKNOWN_TOPIC_ID")
    c.check(("raw-v0", False, INVALID_REQUEST) in by, "name and id together: INVALID_REQUEST")
    c.check((None, False, INVALID_REQUEST) in by, "neither name nor id: INVALID_REQUEST")
    c.check(("raw-v1", False, 0) in by, "v6 delete by name")
    c.check(by.count(("raw-v2", False, INVALID_REQUEST)) == 1,
            "duplicate name: one INVALID_REQUEST result")
    t = cf_topics(b)
    c.check("raw-a" not in t and "raw-v1" not in t and "raw-v0" in t and "raw-v2" in t,
            "exactly raw-a and raw-v1 deleted", sorted(t))
    for v in (0, 3, 5):
        name = {0: "raw-v0", 3: "raw-v3", 5: "raw-v4"}[v]
        r = raw(b, "DeleteTopics", v, {"topic_names": [name, "raw-missing"], "timeout_ms": 1000})
        codes = [(x["name"], x["error_code"]) for x in r["responses"]]
        c.check(sorted(x[1] for x in codes) == [0, UNKNOWN_TOPIC], f"v{v} delete by name", codes)


def raw_incremental(b):
    print("-- IncrementalAlterConfigs v0-1 (raw)", flush=True)
    raw_create(b, [topic("inc-t")])
    r = incremental(b, [(TOPIC_RES, "inc-t", [("cleanup.policy", APPEND, "compact")])], 0)
    c.check(r[0]["error_code"] == 0, "v0 APPEND cleanup.policy compact", r)
    vals = overrides(b, "inc-t")
    c.check(vals == {"cleanup.policy": "delete,compact"}, "override delete,compact", vals)
    c.check(set(config_values(b, "inc-t")["cleanup.policy"].split(",")) == {"compact", "delete"},
            "effective cleanup.policy compact and delete")
    r = incremental(b, [(TOPIC_RES, "inc-t", [("cleanup.policy", SUBTRACT, "delete")])])
    c.check(r[0]["error_code"] == 0 and overrides(b, "inc-t") == {"cleanup.policy": "compact"},
            "SUBTRACT delete -> compact", r)
    r = incremental(b, [(TOPIC_RES, "inc-t", [("retention.ms", SET, "1234"),
                                              ("cleanup.policy", DELETE, None),
                                              ("segment.ms", DELETE, None)])])
    vals = config_values(b, "inc-t")
    c.check(r[0]["error_code"] == 0 and overrides(b, "inc-t") == {"retention.ms": "1234"} and
            vals["cleanup.policy"] == "delete", "SET retention.ms, DELETE cleanup.policy", r)
    src = {e["name"]: e["config_source"] for e in raw_configs(b, "inc-t")["configs"]}
    c.check((src["retention.ms"], src["cleanup.policy"]) == (1, 5), "sources DYNAMIC / DEFAULT")

    r = incremental(b, [(TOPIC_RES, "inc-t", [("retention.ms", SET, "999")])], validate_only=True)
    c.check(r[0]["error_code"] == 0 and config_values(b, "inc-t")["retention.ms"] == "1234",
            "validate_only changes nothing", r)

    cases = [
        ("APPEND to a non-list key", [(TOPIC_RES, "inc-t", [("retention.ms", APPEND, "1")])],
         [INVALID_CONFIG]),
        ("unknown key", [(TOPIC_RES, "inc-t", [("no.such", SET, "1")])], [INVALID_CONFIG]),
        ("bad value", [(TOPIC_RES, "inc-t", [("retention.ms", SET, "x")])], [INVALID_CONFIG]),
        ("null SET value", [(TOPIC_RES, "inc-t", [("retention.ms", SET, None)])],
         [INVALID_REQUEST]),
        ("duplicate key", [(TOPIC_RES, "inc-t", [("retention.ms", SET, "1"),
                                                 ("retention.ms", DELETE, None)])],
         [INVALID_REQUEST]),
        ("unknown operation", [(TOPIC_RES, "inc-t", [("retention.ms", 9, "1")])],
         [INVALID_REQUEST]),
        ("unknown topic", [(TOPIC_RES, "inc-none", [("retention.ms", SET, "1")])],
         [UNKNOWN_TOPIC]),
        ("broker SET", [(BROKER_RES, str(NODE), [("log.retention.ms", SET, "1")])],
         [INVALID_REQUEST]),
        ("cluster-default broker SET", [(BROKER_RES, "", [("num.partitions", SET, "3")])],
         [INVALID_REQUEST]),
        ("broker DELETE is a no-op", [(BROKER_RES, str(NODE), [("num.partitions", DELETE, None)])],
         [0]),
        ("other broker id", [(BROKER_RES, "2", [("num.partitions", DELETE, None)])],
         [INVALID_REQUEST]),
        ("broker logger SET", [(LOGGER_RES, str(NODE), [("root", SET, "DEBUG")])],
         [INVALID_CONFIG]),
        ("unknown resource type", [(3, "g", [("x", SET, "1")])], [INVALID_REQUEST]),
        ("same resource twice", [(TOPIC_RES, "inc-t", [("retention.ms", SET, "1")]),
                                 (TOPIC_RES, "inc-t", [("segment.ms", SET, "1")])],
         [INVALID_REQUEST, INVALID_REQUEST]),
    ]
    for what, resources, want in cases:
        r = incremental(b, resources)
        c.check([x["error_code"] for x in r] == want, f"incremental: {what}", r)
    c.check(overrides(b, "inc-t") == {"retention.ms": "1234"}, "failed requests changed nothing")
    return overrides(b, "inc-t")


def raw_alter_configs(b):
    print("-- AlterConfigs v0-2 / CreatePartitions v0-3 (raw)", flush=True)
    for v in (0, 2):
        def alter(resources):
            return [x["error_code"] for x in raw(b, "AlterConfigs", v, {"resources": [
                {"resource_type": rt, "resource_name": rn,
                 "configs": [{"name": k, "value": val} for k, val in cfg]}
                for rt, rn, cfg in resources]})["responses"]]
        c.check(alter([(TOPIC_RES, "raw-v2", [("retention.ms", "777")])]) == [0],
                f"v{v} topic alter")
        c.check(config_values(b, "raw-v2")["retention.ms"] == "777", f"v{v} value applied")
        c.check(alter([(BROKER_RES, str(NODE), [])]) == [0], f"v{v} empty broker set: no-op")
        c.check(alter([(BROKER_RES, str(NODE), [("log.retention.ms", "1")])]) == [INVALID_REQUEST],
                f"v{v} broker key: INVALID_REQUEST")
        c.check(alter([(TOPIC_RES, "raw-v2", [("retention.ms", None)])]) == [INVALID_REQUEST],
                f"v{v} null value: INVALID_REQUEST")
        c.check(alter([(LOGGER_RES, str(NODE), [])]) == [INVALID_REQUEST],
                f"v{v} BROKER_LOGGER: INVALID_REQUEST")
        c.check(alter([(TOPIC_RES, "raw-v2", []), (TOPIC_RES, "raw-v2", [])]) ==
                [INVALID_REQUEST, INVALID_REQUEST], f"v{v} duplicate resources")
    c.check(config_values(b, "raw-v2")["retention.ms"] == "777", "failed alters changed nothing")

    def create_parts(v, topics, validate_only=False):
        r = raw(b, "CreatePartitions", v, {"topics": topics, "timeout_ms": 1000,
                                            "validate_only": validate_only})
        return {x["name"]: (x["error_code"], x["error_message"]) for x in r["results"]}
    for v in range(4):
        name = "raw-v6" if v % 2 else "raw-v2"
        before = cf_topics(b)[name]
        r = create_parts(v, [{"name": name, "count": before + 1,
                              "assignments": [{"broker_ids": [NODE]}]}])
        c.check(r[name][0] == 0 and cf_topics(b)[name] == before + 1,
                f"v{v} +1 partition with an assignment", r)
    r = create_parts(3, [{"name": "raw-v2", "count": cf_topics(b)["raw-v2"], "assignments": None}])
    c.check(r["raw-v2"][0] == INVALID_PARTITIONS and "already has" in r["raw-v2"][1],
            "same count: INVALID_PARTITIONS 'Topic already has'", r)
    n = cf_topics(b)["raw-v2"]
    cases = [
        ([{"name": "raw-v2", "count": n + 2, "assignments": [{"broker_ids": [NODE]}]}],
         {"raw-v2": INVALID_ASSIGNMENT}),
        ([{"name": "raw-v2", "count": n + 1, "assignments": [{"broker_ids": [5]}]}],
         {"raw-v2": INVALID_ASSIGNMENT}),
        ([{"name": "raw-v2", "count": n + 1, "assignments": None},
          {"name": "raw-v2", "count": n + 2, "assignments": None}], {"raw-v2": INVALID_REQUEST}),
        ([{"name": "raw-v2", "count": n + 10001, "assignments": None}],
         {"raw-v2": POLICY_VIOLATION}),
    ]
    for topics, want in cases:
        r = create_parts(3, topics)
        c.check({k: v[0] for k, v in r.items()} == want, f"create_partitions error {want}", r)
    r = create_parts(3, [{"name": "raw-v2", "count": n + 3, "assignments": None}], True)
    c.check(r["raw-v2"][0] == 0 and cf_topics(b)["raw-v2"] == n, "validate_only adds nothing")


def raw_records_and_epochs(b):
    print("-- DeleteRecords v0-2 / OffsetForLeaderEpoch v0-4 (raw)", flush=True)
    raw_create(b, [topic("dr-t", 2), topic("dr-compact", 1, 1, {"cleanup.policy": "compact"})])
    codes = produce(b, "dr-t", [b"record-%d" % i for i in range(10)])
    c.check(codes == [0] * 10, "10 records produced to dr-t-0", codes)

    def delete(v, name, partition, offset):
        r = raw(b, "DeleteRecords", v, {"topics": [{"name": name, "partitions": [
            {"partition_index": partition, "offset": offset}]}], "timeout_ms": 1000})
        p = r["topics"][0]["partitions"][0]
        return p["error_code"], p["low_watermark"]
    c.check(delete(0, "dr-t", 0, 4) == (0, 4), "v0 delete before 4: low watermark 4")
    c.check(watermarks(b, "dr-t", 0) == (4, 10), "ListOffsets earliest is 4",
            watermarks(b, "dr-t", 0))
    c.check(delete(1, "dr-t", 0, 2) == (0, 4), "v1 offset below the start: unchanged, 4")
    c.check(delete(2, "dr-t", 0, 11) == (OFFSET_OUT_OF_RANGE, -1), "v2 beyond HW: out of range")
    c.check(delete(2, "dr-t", 0, -5) == (OFFSET_OUT_OF_RANGE, -1), "negative offset: out of range")
    c.check(delete(2, "dr-t", 9, 0) == (UNKNOWN_TOPIC, -1), "unknown partition")
    c.check(delete(2, "dr-compact", 0, 0) == (POLICY_VIOLATION, -1),
            "compacted topic: POLICY_VIOLATION")
    c.check(delete(2, "__consumer_offsets", 0, 0) == (INVALID_TOPIC, -1), "internal topic")
    c.check(delete(2, "dr-t", 0, -1) == (0, 10), "-1 means the high watermark: 10")
    c.check(watermarks(b, "dr-t", 0) == (10, 10), "earliest is now 10")

    for v in range(5):
        body = {"replica_id": -1, "topics": [{"topic": "dr-t", "partitions": [
            {"partition": 0, "current_leader_epoch": -1, "leader_epoch": 0},
            {"partition": 1, "current_leader_epoch": -1, "leader_epoch": 0},
            {"partition": 0, "current_leader_epoch": -1, "leader_epoch": 3},
            {"partition": 7, "current_leader_epoch": -1, "leader_epoch": 0}]}]}
        parts = raw(b, "OffsetForLeaderEpoch", v, body)["topics"][0]["partitions"]
        got = [(p["error_code"], p.get("leader_epoch", 0), p["end_offset"]) for p in parts]
        want = [(0, 0, 10), (0, 0, 0), (0, -1 if v else 0, -1), (UNKNOWN_TOPIC, -1 if v else 0, -1)]
        c.check(got == want, f"v{v} epoch 0 ends at 10 (empty partition: 0), epoch 3 unknown",
                got)
    body = {"topics": [{"topic": "dr-t", "partitions": [
        {"partition": 0, "current_leader_epoch": 5, "leader_epoch": 0},
        {"partition": 0, "current_leader_epoch": 0, "leader_epoch": 0}]}]}
    parts = raw(b, "OffsetForLeaderEpoch", 4, body)["topics"][0]["partitions"]
    c.check([p["error_code"] for p in parts] == [UNKNOWN_LEADER_EPOCH, 0],
            "current_leader_epoch 5: UNKNOWN_LEADER_EPOCH; 0: fine", parts)


def raw_cluster_and_dirs(b):
    print("-- DescribeCluster v0-1 / DescribeLogDirs v0-4 (raw)", flush=True)
    cluster_id = cf_admin(b).list_topics(timeout=30).cluster_id
    for v in (0, 1):
        r = raw(b, "DescribeCluster", v, {"include_cluster_authorized_operations": False})
        brokers = [(x["broker_id"], x["host"], x["port"]) for x in r["brokers"]]
        c.check(r["error_code"] == 0 and r["cluster_id"] == cluster_id and
                r["controller_id"] == NODE and brokers == [(NODE, "127.0.0.1", b.port)] and
                r["cluster_authorized_operations"] == -2**31,
                f"v{v} cluster id, controller, one broker", r)
    r = raw(b, "DescribeCluster", 1, {"include_cluster_authorized_operations": True,
                                      "endpoint_type": 1})
    c.check(r["endpoint_type"] == 1 and r["cluster_authorized_operations"] == 8096,
            "authorized operations: every CLUSTER operation", r["cluster_authorized_operations"])
    r = raw(b, "DescribeCluster", 1, {"endpoint_type": 2})
    c.check(r["error_code"] == MISMATCHED_ENDPOINT_TYPE, "controller endpoints: MISMATCHED", r)

    def on_disk(name, p):
        d = b.partition_dir(name, p)
        return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
                   if f.endswith(".log"))
    for v in range(5):
        r = raw(b, "DescribeLogDirs", v, {"topics": None})
        res = r["results"]
        c.check(len(res) == 1 and res[0]["error_code"] == 0 and
                res[0]["log_dir"] == os.path.abspath(b.data_dir), f"v{v} one log dir", res)
        parts = {(t["name"], p["partition_index"]): p for t in res[0]["topics"]
                 for p in t["partitions"]}
        p0 = parts.get(("dr-t", 0), {})
        c.check(p0.get("partition_size") == on_disk("dr-t", 0) > 0 and
                p0.get("offset_lag") == 0 and p0.get("is_future_key") is False,
                f"v{v} dr-t-0 size matches the segment files", p0)
        c.check(parts.get(("dr-t", 1), {}).get("partition_size") == 0 and
                ("cf-plain", 5) in parts, f"v{v} every partition listed")
        if v >= 4:
            tot, use = res[0]["total_bytes"], res[0]["usable_bytes"]
            st = os.statvfs(b.data_dir)
            c.check(tot == st.f_blocks * st.f_frsize and 0 < use <= tot,
                    "v4 total/usable bytes from statvfs", (tot, use))
    r = raw(b, "DescribeLogDirs", 4, {"topics": [{"topic": "dr-t", "partitions": [1, 42]},
                                                 {"topic": "nope", "partitions": [0]}]})
    got = [(t["name"], [p["partition_index"] for p in t["partitions"]])
           for t in r["results"][0]["topics"]]
    c.check(got == [("dr-t", [1])], "filter: only dr-t-1", got)


def raw_describe_configs(b):
    print("-- DescribeConfigs v0-4 (raw)", flush=True)
    for v in range(5):
        r = raw_configs(b, "cf-conf", v, include_synonyms=True, include_documentation=True)
        e = {x["name"]: x for x in r["configs"]}
        ret, pol = e["retention.ms"], e["cleanup.policy"]
        c.check(r["error_code"] == 0 and ret["value"] == "7200000", f"v{v} retention.ms", ret)
        if v == 0:
            c.check(pol["is_default"] and not ret["is_default"], "v0 is_default", (pol, ret))
        else:
            c.check(ret["config_source"] == 1 and pol["config_source"] == 5 and
                    [s["name"] for s in ret["synonyms"]][:1] == ["retention.ms"],
                    f"v{v} sources and synonyms", ret)
        if v >= 3:
            c.check(ret["config_type"] == 5 and pol["config_type"] == 7 and ret["documentation"],
                    f"v{v} config types LONG/LIST, documentation", ret)
    r = raw_configs(b, "cf-plain", 1, keys=["retention.ms"], include_synonyms=True)
    syn = [(s["name"], s["value"], s["source"]) for s in r["configs"][0]["synonyms"]]
    c.check(("log.retention.hours", "100", 4) in syn and ("log.retention.hours", "168", 5) in syn
            and syn.index(("log.retention.hours", "100", 4)) <
            syn.index(("log.retention.hours", "168", 5)),
            "synonyms: log.retention.hours 100 STATIC before 168 DEFAULT", syn)
    c.check(r["configs"][0]["config_source"] == 4 and
            r["configs"][0]["value"] == RETENTION_100H, "retention.ms STATIC_BROKER_CONFIG")
    r = raw_configs(b, "cf-conf", 4)
    e = {x["name"]: x for x in r["configs"]}
    c.check(e["retention.ms"]["documentation"] is None and e["retention.ms"]["synonyms"] == [],
            "no documentation or synonyms unless asked", e["retention.ms"])
    r = raw_configs(b, "cf-conf", 4, keys=["retention.ms", "no.such.key"])
    c.check([x["name"] for x in r["configs"]] == ["retention.ms"], "configuration_keys filter")
    r = raw_configs(b, "cf-conf", 4, keys=[])
    c.check(len(r["configs"]) > 20, "empty key list means all", len(r["configs"]))

    cases = [
        (TOPIC_RES, "cf-none", UNKNOWN_TOPIC, None),
        (TOPIC_RES, "bad name!", INVALID_TOPIC, None),
        (BROKER_RES, "", 0, 0),
        (BROKER_RES, "two", INVALID_REQUEST, None),
        (BROKER_RES, "9", INVALID_REQUEST, None),
        (LOGGER_RES, str(NODE), 0, 0),
        (LOGGER_RES, "", INVALID_REQUEST, None),
        (GROUP_RES, "g", INVALID_REQUEST, None),
    ]
    for restype, name, code, count in cases:
        r = raw_configs(b, name, 4, restype)
        ok = r["error_code"] == code and (count is None or len(r["configs"]) == count)
        c.check(ok, f"describe type {restype} '{name}': error {code}", r)
    r = raw_configs(b, "9", 4, BROKER_RES)
    c.check(r["error_message"] == f"Unexpected broker id, expected {NODE} or empty string, "
            "but received 9", "Kafka's wrong-broker message", r["error_message"])


# -- restart --------------------------------------------------------------------------------

def after_restart(b, inc_values):
    print("-- after a restart", flush=True)
    b.restart()
    t = cf_topics(b)
    c.check((t.get("cf-plain"), t.get("cf-assign"), t.get("raw-asg")) == (6, 3, 2),
            "partition counts survived (6, 3, 2)", t)
    c.check(not ({"cf-doomed", "kp-a", "raw-a", "raw-v1"} & set(t)), "deleted topics stay gone")
    conf = cf_describe(b, "topic", "cf-conf")
    c.check((conf["retention.ms"].value, conf["max.message.bytes"].value) ==
            ("7200000", "100000") and
            conf["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
            "cf-conf overrides survived")
    c.check(overrides(b, "inc-t") == inc_values, "incrementally altered configs survived")
    c.check(config_values(b, "raw-v2")["retention.ms"] == "777", "AlterConfigs value survived")
    c.check(watermarks(b, "dr-t", 0) == (10, 10), "log start offset 10 survived",
            watermarks(b, "dr-t", 0))
    codes = produce(b, "cf-conf", [b"y" * 200000])
    c.check(codes == [MESSAGE_TOO_LARGE], "max.message.bytes=100000 still enforced", codes)
    k = kcat_topics(b)
    c.check(k.get("cf-plain") == 6 and k.get("inc-t") == 1 and "cf-doomed" not in k,
            "kcat -L lists the topics with their partition counts", k)


def disabled_deletion():
    print("-- delete.topic.enable=false", flush=True)
    with Broker({"delete.topic.enable": "false"}, name="fjord-nodelete") as b:
        b.start()
        raw_create(b, [topic("keep")])
        for v, want in ((0, INVALID_REQUEST), (2, INVALID_REQUEST), (3, DELETION_DISABLED),
                        (5, DELETION_DISABLED)):
            r = raw(b, "DeleteTopics", v, {"topic_names": ["keep"], "timeout_ms": 1000})
            c.check([x["error_code"] for x in r["responses"]] == [want], f"v{v}: error {want}", r)
        r = raw(b, "DeleteTopics", 6, {"topics": [{"name": "keep", "topic_id": ZERO_UUID}]})
        c.check(r["responses"][0]["error_code"] == DELETION_DISABLED, "v6: disabled", r)
        c.check("keep" in cf_topics(b), "the topic is still there")
        b.stop()


def main():
    with Broker(OVERRIDES, name="fjord-admin") as b:
        b.start()
        confluent_create(b)
        confluent_partitions_and_delete(b)
        confluent_configs(b)
        kafka_python(b)
        raw_a_id = raw_create_topics(b)
        raw_delete_topics(b, raw_a_id)
        inc_values = raw_incremental(b)
        raw_alter_configs(b)
        raw_records_and_epochs(b)
        raw_cluster_and_dirs(b)
        raw_describe_configs(b)
        after_restart(b, inc_values)
        code = b.stop()
        c.check(code == 0, "clean shutdown", code)
    disabled_deletion()
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
