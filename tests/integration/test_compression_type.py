#!/usr/bin/python3
"""compression.type (topic and broker) and key validation on compacted topics.

compression.type other than `producer` makes the broker recompress each produced batch to that
codec (Kafka's LogValidator). Checks, with real clients and the segment files read back:
  - kcat -P -z none into a topic with compression.type=gzip: every stored batch says gzip, and
    kcat -C reads every key and value back byte for byte, offsets 0..n-1;
  - the same for snappy, lz4 and zstd topics (producer codec different from the topic's), and
    compression.type=uncompressed turns lz4 batches into uncompressed ones;
  - record timestamps and an idempotent producer's id/epoch/sequence survive recompression;
  - kafka-python with api_version (0, 10) (Produce v2, magic 1 message sets, lz4) into a
    zstd topic: stored as zstd v2 batches, read back equal;
  - broker-level compression.type=snappy applies to a topic without an override, and a topic
    override (producer) wins over it;
  - cleanup.policy=compact: a batch holding records without a key fails as a whole with
    INVALID_RECORD (87), record_errors naming each keyless record's batch index and
    error_message set (Produce v8+), CORRUPT_MESSAGE (2) on Produce v7; nothing is stored;
    keyed records are accepted; librdkafka 2.0.2 (Produce v7) reports CORRUPT_MESSAGE.
"""

import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
from kafkawire import Connection  # noqa: E402
from kcatutil import consume as kcat_consume  # noqa: E402
import segments  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

N = 3000
INVALID_RECORD = 87
CORRUPT_MESSAGE = 2


def messages(tag, n=N):
    out = []
    for i in range(n):
        key = b"%s-key-%05d" % (tag.encode(), i)
        if i % 3 == 0:
            value = b"text value %d " % i * (1 + i % 7)
        elif i % 3 == 1:
            value = bytes((i * 31 + j) % 256 for j in range(1 + i % 90)) + b"\x00\n\xff"
        else:
            value = b"v%d" % i
        out.append((key, value))
    return out


def create_topics(b, topics):
    """topics: {name: {config: value}}; one partition each."""
    body = {"topics": [{"name": name, "num_partitions": 1, "replication_factor": 1,
                        "configs": [{"name": k, "value": v} for k, v in cfg.items()]}
                       for name, cfg in topics.items()], "timeout_ms": 30000}
    with Connection(b.bootstrap) as c:
        r = c.request("CreateTopics", 5, body)
    return {t["name"]: t["error_code"] for t in r["topics"]}


def kcat_produce(b, topic, msgs, codec):
    # Delimiters whose bytes are all distinct (and not hex digits after a \x escape).
    data = b"".join(k + b"\x02#KEY#\x03" + v + b"\x1f#EOM#\x1e" for k, v in msgs)
    r = subprocess.run(["kcat", "-P", "-b", b.bootstrap, "-t", topic, "-p", "0", "-z", codec,
                        "-K", "\\x02#KEY#\\x03", "-D", "\\x1f#EOM#\\x1e", "-X", "linger.ms=20"],
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r


def stored_codecs(b, topic):
    bs = segments.partition_batches(b.partition_dir(topic, 0))
    return {x.codec for x in bs}, bs


def check_roundtrip(c, b, topic, msgs, what):
    recs, r = kcat_consume(b.bootstrap, topic, partition=0)
    got = [(k, v) for _, _, k, v, _ in recs]
    c.check(r.returncode == 0, f"{what}: kcat -C exits 0", r.stderr.decode()[-300:])
    c.check(len(got) == len(msgs), f"{what}: {len(msgs)} records read back", str(len(got)))
    c.check(got == msgs, f"{what}: keys and values byte for byte",
            next((f"first difference at {i}" for i, (x, y) in enumerate(zip(got, msgs))
                  if x != y), "lengths differ"))
    c.check([o for _, o, _, _, _ in recs] == list(range(len(msgs))),
            f"{what}: offsets 0..{len(msgs) - 1}")
    return recs


# -- raw v2 batches (for the compacted-topic checks) ---------------------------------------

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for x in data:
        c = _CRC_TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        x = n & 0x7F
        n >>= 7
        if n:
            out.append(x | 0x80)
        else:
            out.append(x)
            return bytes(out)


def batch(records):
    """One uncompressed v2 batch; records = [(key or None, value)]."""
    ts = int(time.time() * 1000)
    recs = b""
    for i, (k, v) in enumerate(records):
        kb = varint(-1) if k is None else varint(len(k)) + k
        body = b"\x00" + varint(0) + varint(i) + kb + varint(len(v)) + v + varint(0)
        recs += varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(records) - 1, ts, ts, -1, -1, -1,
                            len(records)) + recs
    body = struct.pack(">iB", -1, 2) + struct.pack(">I", crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(body)) + body


def raw_produce(b, topic, records, version):
    with Connection(b.bootstrap) as conn:
        r = conn.request("Produce", version, {
            "transactional_id": None, "acks": -1, "timeout_ms": 10000,
            "topic_data": [{"name": topic, "partition_data": [{"index": 0,
                                                               "records": batch(records)}]}]})
    return r["responses"][0]["partition_responses"][0]


def end_offset(b, topic):
    with Connection(b.bootstrap) as conn:
        r = conn.request("ListOffsets", 1, {"replica_id": -1, "topics": [
            {"name": topic, "partitions": [{"partition_index": 0, "timestamp": -1}]}]})
    return r["topics"][0]["partitions"][0]["offset"]


# -- the checks ----------------------------------------------------------------------------

def recompression(c, b):
    print("-- topic compression.type", flush=True)
    cases = [("ct-gzip", "gzip", "none"), ("ct-snappy", "snappy", "gzip"),
             ("ct-lz4", "lz4", "zstd"), ("ct-zstd", "zstd", "snappy"),
             ("ct-uncompressed", "uncompressed", "lz4"), ("ct-producer", "producer", "lz4")]
    created = create_topics(b, {t: {"compression.type": ct} for t, ct, _ in cases})
    c.check(all(e == 0 for e in created.values()), "CreateTopics with compression.type",
            str(created))
    for topic, ct, sent in cases:
        msgs = messages(topic)
        r = kcat_produce(b, topic, msgs, sent)
        c.check(r.returncode == 0, f"{topic}: kcat -P -z {sent} succeeds",
                r.stderr.decode()[-300:])
        want = {"uncompressed": "none", "producer": sent}.get(ct, ct)
        codecs, bs = stored_codecs(b, topic)
        c.check(codecs == {want} and len(bs) > 0,
                f"{topic}: producer sent {sent}, the {len(bs)} stored batches say {want}",
                str(codecs))
        check_roundtrip(c, b, topic, msgs, topic)


def timestamps_and_idempotence(c, b):
    print("-- timestamps and producer state survive recompression", flush=True)
    topic = "ct-idem"
    create_topics(b, {topic: {"compression.type": "gzip"}})
    p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True,
                  "compression.codec": "lz4", "linger.ms": 50})
    errors = []
    msgs = messages(topic, 500)
    base_ts = 1_700_000_000_000
    for i, (k, v) in enumerate(msgs):
        p.produce(topic, v, k, partition=0, timestamp=base_ts + i * 7,
                  on_delivery=lambda err, m: errors.append(err) if err else None)
    c.check(p.flush(60) == 0 and not errors, "idempotent lz4 producer: all delivered",
            str(errors[:3]))
    codecs, bs = stored_codecs(b, topic)
    c.check(codecs == {"gzip"}, "idempotent batches stored as gzip", str(codecs))
    # producer id / epoch / base sequence straight from the segment file
    seqs = []
    ok = True
    for x in bs:
        with open(x.path, "rb") as f:
            f.seek(x.position + 43)
            pid, epoch, seq = struct.unpack(">qhi", f.read(14))
        ok = ok and pid >= 0 and epoch >= 0
        seqs.append((x.base_offset, seq))
    c.check(ok, "stored batches keep the producer id and epoch")
    c.check(all(seq == base for base, seq in seqs),
            "stored batches keep their base sequence (= base offset for one producer)",
            str(seqs[:5]))
    recs = check_roundtrip(c, b, topic, msgs, topic)
    c.check([ts for *_, ts in recs] == [base_ts + i * 7 for i in range(len(msgs))],
            f"{topic}: every record keeps its timestamp")


def legacy_kafka_python(c, b):
    print("-- kafka-python, Produce v2 (magic 1, lz4) into a zstd topic", flush=True)
    from kafka import KafkaProducer
    topic = "ct-legacy"
    create_topics(b, {topic: {"compression.type": "zstd"}})
    msgs = messages(topic, 400)
    p = KafkaProducer(bootstrap_servers=b.bootstrap, api_version=(0, 10),
                      compression_type="lz4", linger_ms=20)
    futs = [p.send(topic, value=v, key=k, partition=0) for k, v in msgs]
    p.flush(60)
    ok = all(f.succeeded() for f in futs)
    p.close()
    c.check(ok, "kafka-python (0.10 protocol) delivered every message")
    codecs, bs = stored_codecs(b, topic)
    c.check(codecs == {"zstd"} and all(x.magic == 2 for x in bs),
            "legacy message sets stored as zstd v2 batches", str(codecs))
    check_roundtrip(c, b, topic, msgs, topic)


def broker_level(c):
    print("-- broker compression.type=snappy", flush=True)
    with Broker({"compression.type": "snappy"}, name="ct-broker") as b:
        b.start()
        created = create_topics(b, {"bt-default": {}, "bt-producer": {"compression.type":
                                                                     "producer"}})
        c.check(all(e == 0 for e in created.values()), "topics created", str(created))
        for topic, want in (("bt-default", "snappy"), ("bt-producer", "zstd")):
            msgs = messages(topic, 1000)
            r = kcat_produce(b, topic, msgs, "zstd")
            c.check(r.returncode == 0, f"{topic}: kcat -P -z zstd succeeds")
            codecs, _ = stored_codecs(b, topic)
            c.check(codecs == {want}, f"{topic}: stored batches say {want}", str(codecs))
            check_roundtrip(c, b, topic, msgs, topic)


def compacted(c, b):
    print("-- cleanup.policy=compact needs keys", flush=True)
    topic = "ct-compact"
    create_topics(b, {topic: {"cleanup.policy": "compact", "compression.type": "gzip"}})
    recs = [(None if i % 4 == 1 else b"k%d" % i, b"value %d" % i) for i in range(10)]
    r = raw_produce(b, topic, recs, 9)
    c.check(r["error_code"] == INVALID_RECORD, "Produce v9 with keyless records: INVALID_RECORD",
            str(r))
    got = [(e["batch_index"], e["batch_index_error_message"]) for e in r["record_errors"]]
    c.check([i for i, _ in got] == [1, 5, 9], "record_errors name batch indexes 1, 5 and 9",
            str(got))
    c.check(all(m == "Compacted topic cannot accept message without key in topic partition "
                     f"{topic}-0." for _, m in got), "record error messages as Kafka's",
            str(got[:1]))
    c.check((r["error_message"] or "").startswith(
        "One or more records have been rejected due to 3 record errors"),
        "error_message set", str(r["error_message"]))
    r7 = raw_produce(b, topic, recs, 7)
    c.check(r7["error_code"] == CORRUPT_MESSAGE, "Produce v7: CORRUPT_MESSAGE", str(r7))
    c.check(end_offset(b, topic) == 0, "nothing was stored")
    ok = raw_produce(b, topic, [(b"k%d" % i, b"v") for i in range(5)], 9)
    c.check(ok["error_code"] == 0 and not ok["record_errors"] and end_offset(b, topic) == 5,
            "keyed records are accepted", str(ok))
    codecs, _ = stored_codecs(b, topic)
    c.check(codecs == {"gzip"}, "and stored as gzip", str(codecs))
    # librdkafka 2.0.2 sends Produce v7, so it gets CORRUPT_MESSAGE, as from Kafka.
    errs = []
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 0, "retries": 0})
    p.produce(topic, b"no key", partition=0,
              on_delivery=lambda err, m: errs.append(err.code() if err else 0))
    p.flush(30)  # one batch each: a batch with a keyless record fails as a whole
    p.produce(topic, b"keyed", b"key", partition=0,
              on_delivery=lambda err, m: errs.append(err.code() if err else 0))
    p.flush(30)
    c.check(errs == [CORRUPT_MESSAGE, 0],
            "confluent_kafka (Produce v7): the keyless message fails with CORRUPT_MESSAGE, the "
            "keyed one succeeds", str(errs))


def main():
    c = Checks("compression.type and compacted-topic keys")
    with Broker(name="ct") as b:
        b.start()
        recompression(c, b)
        timestamps_and_idempotence(c, b)
        legacy_kafka_python(c, b)
        compacted(c, b)
    broker_level(c)
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
