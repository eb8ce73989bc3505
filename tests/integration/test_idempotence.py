#!/usr/bin/python3
"""Idempotent and transactional producer state in the log, over the raw wire.

Batches are built here (v2 record batches with producer id, epoch and base sequence) and
sent with Produce v9, so the producer ids are chosen by the test; no InitProducerId needed.

(a) Sequence rules: a retried batch (same producer, epoch and sequence range) is answered
    with error 0 and its ORIGINAL base offset and is not written again; a gap answers 45
    OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch 47 INVALID_PRODUCER_EPOCH; a new epoch that
    does not start at sequence 0 answers 45.
(b) Restarts: after a SIGTERM restart and after a SIGKILL restart the retried batches are
    still recognised (snapshot + replay), the next sequence is accepted, a gap still fails,
    and the partition holds every accepted record exactly once (read back with Fetch and
    from the .log files: each (producer, sequence) once, offsets dense).
(c) Transactions without markers: after InitProducerId and AddPartitionsToTxn (a
    transactional batch before AddPartitionsToTxn is refused with 48 INVALID_TXN_STATE,
    KIP-890 verification), a transactional batch holds the last stable offset:
    Fetch read_committed returns nothing at or after it and reports it as
    last_stable_offset, ListOffsets read_committed answers it, read_uncommitted sees all.
    A transactional write arriving after its transaction was aborted (the "hanging
    transaction" of KIP-890) is refused with 48 and opens nothing.
(d) DescribeProducers lists the producers with epoch, last sequence and the open
    transaction's start offset.
(e) .snapshot files exist in the partition directory after a clean stop.
"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
from kafkawire import Connection  # noqa: E402
import segments  # noqa: E402

TOPIC = "idem"

# -- v2 batches ---------------------------------------------------------------------------

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(n):
    n = (n << 1) ^ (n >> 63)  # zigzag
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def batch(pid, epoch, seq, values, transactional=False, ts=None):
    ts = ts if ts is not None else int(time.time() * 1000)
    recs = b""
    for i, v in enumerate(values):
        body = b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v + varint(0)
        recs += varint(len(body)) + body
    attrs = 0x10 if transactional else 0
    after_crc = struct.pack(">hiqqqhii", attrs, len(values) - 1, ts, ts, pid, epoch, seq,
                            len(values)) + recs
    head = struct.pack(">iB", -1, 2)  # partition leader epoch, magic
    crc = struct.pack(">I", crc32c(after_crc))
    body = head + crc + after_crc
    return struct.pack(">qi", 0, len(body)) + body


def parse_batches(data):
    """(base_offset, record_count, pid, epoch, seq, attributes, values) of each batch."""
    out = []
    pos = 0
    while pos + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break
        attrs, = struct.unpack_from(">h", data, pos + 21)
        pid, epoch, seq, count = struct.unpack_from(">qhii", data, pos + 43)
        out.append((base, count, pid, epoch, seq, attrs))
        pos = end
    return out


# -- wire helpers --------------------------------------------------------------------------

def produce(b, raw, version=9, txn_id=None):
    with Connection(b.bootstrap) as c:
        r = c.request("Produce", version, {
            "transactional_id": txn_id, "acks": -1, "timeout_ms": 10000,
            "topic_data": [{"name": TOPIC, "partition_data": [{"index": 0, "records": raw}]}]})
    p = r["responses"][0]["partition_responses"][0]
    return p["error_code"], p["base_offset"]


def fetch(b, offset, isolation):
    with Connection(b.bootstrap) as c:
        r = c.request("Fetch", 11, {
            "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20,
            "isolation_level": isolation, "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": TOPIC, "partitions": [{
                "partition": 0, "current_leader_epoch": -1, "fetch_offset": offset,
                "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}]})
    return r["responses"][0]["partitions"][0]


def latest(b, isolation):
    with Connection(b.bootstrap) as c:
        r = c.request("ListOffsets", 5, {"replica_id": -1, "isolation_level": isolation,
                                          "topics": [{"name": TOPIC, "partitions": [{
                                              "partition_index": 0, "current_leader_epoch": -1,
                                              "timestamp": -1}]}]})
    return r["topics"][0]["partitions"][0]["offset"]


def describe_producers(b):
    with Connection(b.bootstrap) as c:
        r = c.request("DescribeProducers", 0, {"topics": [{"name": TOPIC,
                                                           "partition_indexes": [0, 7]}]})
    return r["topics"][0]["partitions"]


def init_producer_id(b, txn_id, timeout=30):
    deadline = time.time() + timeout
    while True:
        with Connection(b.bootstrap) as c:
            r = c.request("InitProducerId", 4, {"transactional_id": txn_id,
                                                "transaction_timeout_ms": 60000,
                                                "producer_id": -1, "producer_epoch": -1})
        if r["error_code"] == 0 or time.time() > deadline:
            return (r["producer_id"], r["producer_epoch"]) if r["error_code"] == 0 else (-1, -1)
        time.sleep(0.2)  # the coordinator may still be loading __transaction_state


def add_partitions(b, txn_id, pid, epoch):
    with Connection(b.bootstrap) as c:
        r = c.request("AddPartitionsToTxn", 3, {
            "v3_and_below_transactional_id": txn_id, "v3_and_below_producer_id": pid,
            "v3_and_below_producer_epoch": epoch,
            "v3_and_below_topics": [{"name": TOPIC, "partitions": [0]}]})
    return r["results_by_topic_v3_and_below"][0]["results_by_partition"][0]["partition_error_code"]


def end_txn(b, txn_id, pid, epoch, commit):
    with Connection(b.bootstrap) as c:
        r = c.request("EndTxn", 3, {"transactional_id": txn_id, "producer_id": pid,
                                    "producer_epoch": epoch, "committed": commit})
    return r["error_code"]


def create_topic(b):
    with Connection(b.bootstrap) as c:
        r = c.request("CreateTopics", 7, {"topics": [{"name": TOPIC, "num_partitions": 1,
                                                       "replication_factor": -1}],
                                          "timeout_ms": 10000})
    return r["topics"][0]["error_code"]


def values(tag, n):
    return [b"%s-%d" % (tag.encode(), i) for i in range(n)]


def main():
    c = Checks("idempotent producer state")
    with Broker({"num.partitions": "1"}, name="idem") as b:
        b.start()
        c.check(create_topic(b) == 0, "topic created")
        PID = 4242
        accepted = {}  # (pid, epoch, seq) -> (base offset, count)

        def send(pid, epoch, seq, n, what, want_err=0, want_offset=None, txn=False,
                 txn_id="it-txn"):
            err, off = produce(b, batch(pid, epoch, seq, values(f"{pid}.{epoch}.{seq}", n), txn),
                               txn_id=txn_id if txn else None)
            ok = err == want_err and (want_offset is None or off == want_offset)
            c.check(ok, what, f"error {err}, base offset {off}")
            if err == 0 and (pid, epoch, seq) not in accepted:
                accepted[(pid, epoch, seq)] = (off, n)
            return off

        # (a)
        send(PID, 0, 0, 3, "first batch at offset 0", 0, 0)
        send(PID, 0, 3, 2, "next batch at offset 3", 0, 3)
        send(PID, 0, 0, 3, "retry of the first batch: NONE with its original offset 0", 0, 0)
        send(PID, 0, 3, 2, "retry of the second batch: NONE with offset 3", 0, 3)
        c.check(latest(b, 0) == 5, "retries wrote nothing (log end 5)", str(latest(b, 0)))
        send(PID, 0, 9, 1, "sequence gap -> 45 OUT_OF_ORDER_SEQUENCE_NUMBER", 45)
        send(PID, 0, 1, 2, "overlapping sequence -> 45", 45)
        send(PID, 1, 4, 1, "new epoch not at sequence 0 -> 45", 45)
        send(PID, 1, 0, 2, "new epoch at sequence 0 accepted at offset 5", 0, 5)
        send(PID, 0, 5, 1, "old epoch -> 47 INVALID_PRODUCER_EPOCH", 47)
        send(PID, 1, 2, 1, "epoch 1 continues at offset 7", 0, 7)
        # Another producer interleaved: unknown producers may start anywhere (KIP-360).
        send(5151, 3, 100, 2, "unknown producer starting at sequence 100 accepted", 0, 8)
        c.check(latest(b, 0) == 10, "log end 10", str(latest(b, 0)))

        # (b) SIGTERM restart
        b.stop()
        snaps = [n for n in os.listdir(b.partition_dir(TOPIC, 0)) if n.endswith(".snapshot")]
        c.check("00000000000000000010.snapshot" in snaps, "(e) clean stop wrote 10.snapshot",
                str(snaps))
        b.start()
        send(PID, 1, 2, 1, "after SIGTERM restart: retry answers original offset 7", 0, 7)
        send(5151, 3, 100, 2, "after SIGTERM restart: other producer's retry -> 8", 0, 8)
        send(PID, 1, 5, 1, "after SIGTERM restart: gap still 45", 45)
        send(PID, 1, 3, 2, "after SIGTERM restart: next sequence at offset 10", 0, 10)

        # (b) SIGKILL restart, with no clean-shutdown snapshot covering the last batches
        send(PID, 1, 5, 4, "batch before SIGKILL at offset 12", 0, 12)
        b.kill()
        b.start()
        send(PID, 1, 5, 4, "after SIGKILL restart: retry answers original offset 12", 0, 12)
        send(PID, 1, 3, 2, "after SIGKILL restart: older retry still known -> 10", 0, 10)
        send(PID, 0, 9, 1, "after SIGKILL restart: old epoch still 47", 47)
        send(PID, 1, 9, 1, "after SIGKILL restart: next sequence at 16", 0, 16)
        end = latest(b, 0)
        c.check(end == 17, "log end 17 after all retries", str(end))

        # Everything exactly once, read back over Fetch.
        f = fetch(b, 0, 0)
        got = parse_batches(f["records"] or b"")
        seen = [(pid, ep, seq) for (_, _, pid, ep, seq, _) in got]
        c.check(len(seen) == len(set(seen)), "fetch: no batch stored twice", str(seen))
        c.check(sorted(seen) == sorted(accepted), "fetch: exactly the accepted batches",
                f"{sorted(seen)} vs {sorted(accepted)}")
        offsets_ok = all(accepted[(pid, ep, seq)] == (base, n)
                         for (base, n, pid, ep, seq, _) in got if (pid, ep, seq) in accepted)
        c.check(offsets_ok, "fetch: each batch at its acknowledged offset")
        c.check(sum(n for (_, n, *_r) in got) == 17, "fetch: 17 records, dense offsets")

        # (c) an open transaction holds the LSO (markers come from the coordinator)
        TXN, TXN_EPOCH = init_producer_id(b, "it-txn")
        c.check(TXN >= 0 and TXN_EPOCH == 0, "InitProducerId(it-txn) gives an id, epoch 0",
                f"{TXN}/{TXN_EPOCH}")
        send(TXN, 0, 0, 2, "KIP-890: transactional batch before AddPartitionsToTxn -> 48", 48,
             txn=True)
        c.check(add_partitions(b, "it-txn", TXN, TXN_EPOCH) == 0, "AddPartitionsToTxn -> 0")
        err, _ = produce(b, batch(TXN, 0, 0, values("x", 1), True))
        c.check(err == 53, "transactional batch without transactional id -> 53", str(err))
        err, _ = produce(b, batch(PID, 1, -1, values("x", 1)))
        c.check(err == 87, "producer id without a sequence -> 87 INVALID_RECORD", str(err))
        send(TXN, 0, 0, 2, "transactional batch at offset 17", 0, 17, txn=True)
        send(PID, 1, 10, 1, "plain batch after it at offset 19", 0, 19)
        c.check(latest(b, 1) == 17, "ListOffsets read_committed: LSO 17", str(latest(b, 1)))
        c.check(latest(b, 0) == 20, "ListOffsets read_uncommitted: 20", str(latest(b, 0)))
        fc = fetch(b, 0, 1)
        rc = parse_batches(fc["records"] or b"")
        c.check(fc["last_stable_offset"] == 17, "fetch read_committed: last_stable_offset 17",
                str(fc["last_stable_offset"]))
        c.check(rc and max(base + n for (base, n, *_r) in rc) == 17,
                "fetch read_committed: data stops at the LSO",
                str([(base, n) for (base, n, *_r) in rc]))
        c.check(fc["aborted_transactions"] == [], "fetch read_committed: no aborted txns")
        fc = fetch(b, 17, 1)
        c.check(not fc["records"], "fetch read_committed at the LSO: no records")
        fu = fetch(b, 17, 0)
        c.check(len(parse_batches(fu["records"] or b"")) == 2,
                "fetch read_uncommitted at 17: the open transaction and the batch after it")
        send(TXN, 0, 2, 1, "non-transactional write during its transaction -> 48", 48)
        send(TXN, 0, 2, 1, "transactional continuation at 20", 0, 20, txn=True)

        # (d)
        parts = describe_producers(b)
        by_pid = {p["producer_id"]: p for p in parts[0]["active_producers"]}
        c.check(parts[0]["error_code"] == 0 and set(by_pid) == {PID, 5151, TXN},
                "DescribeProducers: three producers", str(parts))
        c.check(by_pid.get(PID, {}).get("producer_epoch") == 1 and
                by_pid.get(PID, {}).get("last_sequence") == 10 and
                by_pid.get(PID, {}).get("current_txn_start_offset") == -1,
                "DescribeProducers: epoch 1, last sequence 10, no transaction",
                str(by_pid.get(PID)))
        c.check(by_pid.get(TXN, {}).get("current_txn_start_offset") == 17,
                "DescribeProducers: open transaction starts at 17", str(by_pid.get(TXN)))
        c.check(parts[1]["error_code"] == 3, "DescribeProducers: unknown partition -> 3")

        # KIP-890 part 1, the hanging transaction: a transactional write that arrives after its
        # transaction was aborted (a delayed retry) must not open a transaction nothing will
        # ever end.
        HANG, HANG_EPOCH = init_producer_id(b, "it-hang")
        c.check(add_partitions(b, "it-hang", HANG, HANG_EPOCH) == 0, "it-hang: partition added")
        c.check(end_txn(b, "it-hang", HANG, HANG_EPOCH, False) == 0, "it-hang: EndTxn abort -> 0")
        lso = latest(b, 1)
        send(HANG, HANG_EPOCH, 0, 1, "delayed write after the abort -> 48 INVALID_TXN_STATE", 48,
             txn=True, txn_id="it-hang")
        by_pid = {p["producer_id"]: p for p in describe_producers(b)[0]["active_producers"]}
        c.check(by_pid.get(HANG, {}).get("current_txn_start_offset") == -1,
                "the aborted producer has no open transaction in the partition",
                str(by_pid.get(HANG)))
        c.check(latest(b, 1) == lso, "the LSO did not move back", f"{latest(b, 1)} vs {lso}")

        # The open transaction survives SIGKILL too.
        b.kill()
        b.start()
        c.check(latest(b, 1) == 17, "after SIGKILL: LSO still 17", str(latest(b, 1)))
        b.stop()
        # On disk, every (producer, sequence) once.
        disk = segments.partition_batches(b.partition_dir(TOPIC, 0))
        data = [x for x in disk if not x.attributes & 0x20]
        control = [x for x in disk if x.attributes & 0x20]
        c.check(sum(x.last_offset - x.base_offset + 1 for x in data) == 21,
                "on disk: 21 data records in all", str([(x.base_offset, x.record_count) for x in data]))
        c.check(len(control) == 1 and control[0].record_count == 1,
                "on disk: one marker (it-hang's abort)", str(control))
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
