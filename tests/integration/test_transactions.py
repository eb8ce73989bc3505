#!/usr/bin/python3
"""Transactions with confluent_kafka (librdkafka 2.0.2) against a real broker.

1. A transactional producer commits, aborts and commits again across 3 partitions. Every
   partition gets one control record per transaction (the high watermark counts them), a
   read_committed consumer sees exactly the committed records in order, a read_uncommitted
   consumer sees the aborted ones too. DescribeTransactions and ListTransactions (raw wire)
   report the id as CompleteCommit with its producer id and epoch.
2. send_offsets_to_transaction: the group's offsets are invisible (OffsetFetch answers -1)
   while the transaction is open, visible after the commit, unchanged after an abort.
3. Fencing: a second producer with the same transactional.id fences the first, whose commit
   then fails with a fatal fenced error; the second commits.
4. Crash: a producer process leaves a transaction open and is SIGKILLed with the broker. After
   the restart the transaction is still Ongoing (state replayed from __transaction_state),
   is aborted by the coordinator once transaction.timeout.ms passes (epoch bumped, markers
   written), and read_committed consumers never see its records. A second open transaction is
   aborted by the next InitProducerId of its transactional id instead. Producer ids handed
   out after the restart are above every id handed out before (fjord-producer-ids).
5. InitProducerId errors: a timeout above transaction.max.timeout.ms is
   INVALID_TRANSACTION_TIMEOUT, unknown transactional ids in EndTxn are
   INVALID_PRODUCER_ID_MAPPING, DescribeTransactions of an unknown id TRANSACTIONAL_ID_NOT_FOUND.
6. AddPartitionsToTxn on the wire: unknown topics (UNKNOWN_TOPIC_OR_PARTITION, the others
   OPERATION_NOT_ATTEMPTED), an old epoch (PRODUCER_FENCED), the v4 batched verify form
   (INVALID_TXN_STATE for a partition outside the transaction, INVALID_PRODUCER_ID_MAPPING for an
   unknown id); EndTxn abort then commit (INVALID_TXN_STATE).
"""

import os
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
import kafkawire  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "txn-out"
INPUT = "txn-in"
PARTS = 3

# Kafka error codes.
NONE = 0
INVALID_PRODUCER_ID_MAPPING = 49
INVALID_TRANSACTION_TIMEOUT = 50
CONCURRENT_TRANSACTIONS = 51
TRANSACTIONAL_ID_NOT_FOUND = 105


def create_topics(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    fs = admin.create_topics([NewTopic(TOPIC, PARTS, 1), NewTopic(INPUT, 2, 1)])
    for f in fs.values():
        f.result(30)


def txn_producer(bootstrap, txn_id, **extra):
    cfg = {"bootstrap.servers": bootstrap, "transactional.id": txn_id,
           "transaction.timeout.ms": 60000, "linger.ms": 5}
    cfg.update(extra)
    return Producer(cfg)


def consume_all(bootstrap, isolation, topic=TOPIC, parts=PARTS, idle=3.0, limit=30.0):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{time.time()}",
                  "isolation.level": isolation, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "enable.partition.eof": True})
    c.assign([TopicPartition(topic, p, 0) for p in range(parts)])
    out = {p: [] for p in range(parts)}
    eof = set()
    deadline = time.time() + limit
    last = time.time()
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            if len(eof) == parts and time.time() - last > idle:
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


def watermarks(bootstrap, topic=TOPIC, parts=PARTS):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "wm"})
    out = [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(parts)]
    c.close()
    return out


def describe(bootstrap, ids):
    with kafkawire.Connection(bootstrap) as conn:
        return conn.request("DescribeTransactions", 0, {"transactional_ids": ids})


def offset_fetch(bootstrap, group, topic, partition):
    with kafkawire.Connection(bootstrap) as conn:
        r = conn.request("OffsetFetch", 1, {"group_id": group, "topics": [
            {"name": topic, "partition_indexes": [partition]}]})
    return r["topics"][0]["partitions"][0]["committed_offset"]


def init_pid(bootstrap, txn_id=None, timeout_ms=60000):
    with kafkawire.Connection(bootstrap) as conn:
        return conn.request("InitProducerId", 1, {"transactional_id": txn_id,
                                                  "transaction_timeout_ms": timeout_ms})


OPEN_TXN_SCRIPT = textwrap.dedent("""
    import sys, time
    from confluent_kafka import Producer
    bootstrap, txn_id, topic, prefix, timeout = sys.argv[1:6]
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id,
                  "transaction.timeout.ms": int(timeout)})
    p.init_transactions(30)
    p.begin_transaction()
    for i in range(9):
        p.produce(topic, value=f"{prefix}-{i}".encode(), partition=i % 3)
    p.flush(30)
    print("ready", flush=True)
    time.sleep(600)
""")


def open_txn_process(bootstrap, txn_id, prefix, timeout_ms):
    proc = subprocess.Popen([sys.executable, "-c", OPEN_TXN_SCRIPT, bootstrap, txn_id, TOPIC,
                             prefix, str(timeout_ms)], stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().strip()
    return proc, line == "ready"


def main():
    c = Checks("transactions")
    with Broker({"transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
                 "transaction.state.log.num.partitions": "5"}) as b:
        b.start()
        bs = b.bootstrap
        create_topics(bs)

        # ---- 1. commit, abort, commit across 3 partitions ----
        p = txn_producer(bs, "tx-main")
        p.init_transactions(30)
        committed = {i: [] for i in range(PARTS)}
        aborted = {i: [] for i in range(PARTS)}
        for round_, outcome in enumerate(["commit", "abort", "commit"]):
            p.begin_transaction()
            for i in range(12):
                v = f"{outcome}-{round_}-{i}"
                p.produce(TOPIC, value=v.encode(), partition=i % PARTS)
                (committed if outcome == "commit" else aborted)[i % PARTS].append(v)
            if outcome == "commit":
                p.commit_transaction(30)
            else:
                p.flush(30)
                p.abort_transaction(30)
        wm = watermarks(bs)
        # 12 records per partition (4 per round x 3) plus one marker per transaction.
        c.check(wm == [12 + 3] * PARTS, "each partition holds its records and 3 markers", wm)
        rc = consume_all(bs, "read_committed")
        c.check(rc == committed, "read_committed sees exactly the committed records in order",
                f"got {rc}")
        ru = consume_all(bs, "read_uncommitted")
        want_all = {i: sorted(committed[i] + aborted[i]) for i in range(PARTS)}
        c.check({i: sorted(v) for i, v in ru.items()} == want_all,
                "read_uncommitted sees committed and aborted records", f"got {ru}")
        d = describe(bs, ["tx-main", "no-such-id"])["transaction_states"]
        c.check(d[0]["error_code"] == NONE and d[0]["transaction_state"] == "CompleteCommit"
                and d[0]["producer_id"] >= 0 and d[0]["producer_epoch"] == 0
                and d[0]["topics"] == [], "DescribeTransactions: CompleteCommit", d[0])
        c.check(d[1]["error_code"] == TRANSACTIONAL_ID_NOT_FOUND,
                "DescribeTransactions: unknown id is TRANSACTIONAL_ID_NOT_FOUND", d[1])
        main_pid = d[0]["producer_id"]
        with kafkawire.Connection(bs) as conn:
            lt = conn.request("ListTransactions", 1, {"state_filters": ["CompleteCommit", "Nope"],
                                                      "producer_id_filters": [],
                                                      "duration_filter": -1})
        c.check(lt["error_code"] == NONE and lt["unknown_state_filters"] == ["Nope"]
                and [(t["transactional_id"], t["producer_id"]) for t in lt["transaction_states"]]
                == [("tx-main", main_pid)], "ListTransactions filters by state", lt)

        # ---- 2. offsets in a transaction ----
        feed = Producer({"bootstrap.servers": bs})
        for i in range(20):
            feed.produce(INPUT, value=f"in-{i}".encode(), partition=0)
        feed.flush(30)
        cons = Consumer({"bootstrap.servers": bs, "group.id": "eos-group",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "isolation.level": "read_committed"})
        cons.subscribe([INPUT])
        got = []
        deadline = time.time() + 30
        while len(got) < 10 and time.time() < deadline:
            m = cons.poll(0.5)
            if m is not None and not m.error():
                got.append(m)
        c.check(len(got) >= 10, "consumer read the input", len(got))
        p.begin_transaction()
        for m in got[:10]:
            p.produce(TOPIC, value=b"x-" + m.value(), partition=0)
        p.flush(30)  # the output partition is added to the transaction before delivery
        # Two partitions in one TxnOffsetCommit.
        p.send_offsets_to_transaction([TopicPartition(INPUT, 0, 10), TopicPartition(INPUT, 1, 3)],
                                      cons.consumer_group_metadata(), 30)
        before = offset_fetch(bs, "eos-group", INPUT, 0)
        c.check(before == -1, "offsets invisible while the transaction is open", before)
        d = describe(bs, ["tx-main"])["transaction_states"][0]
        topics = sorted(t["topic"] for t in d["topics"])
        c.check(d["transaction_state"] == "Ongoing" and topics == ["__consumer_offsets", TOPIC],
                "DescribeTransactions: Ongoing with the data and offsets partitions", d)
        p.commit_transaction(30)
        after = (offset_fetch(bs, "eos-group", INPUT, 0), offset_fetch(bs, "eos-group", INPUT, 1))
        c.check(after == (10, 3), "offsets visible after the commit", after)
        # A second transaction of the same producer moves them on (its offsets batch is not a
        # duplicate of the first: coordinator writes carry no sequence numbers).
        p.begin_transaction()
        p.produce(TOPIC, value=b"x-next", partition=0)
        p.send_offsets_to_transaction([TopicPartition(INPUT, 0, 12), TopicPartition(INPUT, 1, 4)],
                                      cons.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        after = (offset_fetch(bs, "eos-group", INPUT, 0), offset_fetch(bs, "eos-group", INPUT, 1))
        c.check(after == (12, 4), "a second transaction's offsets replace the first's", after)
        p.begin_transaction()
        p.produce(TOPIC, value=b"y", partition=0)
        p.send_offsets_to_transaction([TopicPartition(INPUT, 0, 15)],
                                      cons.consumer_group_metadata(), 30)
        p.abort_transaction(30)
        c.check(offset_fetch(bs, "eos-group", INPUT, 0) == 12,
                "offsets unchanged after an abort")
        cons.close()

        # ---- 3. fencing ----
        p2 = txn_producer(bs, "tx-main")
        p2.init_transactions(30)
        fenced = None
        try:
            p.begin_transaction()
            p.produce(TOPIC, value=b"zombie", partition=1)
            p.commit_transaction(10)
        except KafkaException as e:
            fenced = e.args[0]
        c.check(fenced is not None and fenced.fatal(),
                "the first producer is fenced (fatal error)", fenced)
        c.check(fenced is not None and fenced.code() in (-144, 90, 47),  # _FENCED / PRODUCER_FENCED / INVALID_PRODUCER_EPOCH
                "fenced error code", fenced)
        p2.begin_transaction()
        p2.produce(TOPIC, value=b"p2-commit", partition=1)
        p2.commit_transaction(30)
        rc = consume_all(bs, "read_committed")
        c.check("p2-commit" in rc[1] and "zombie" not in rc[1],
                "the new producer commits, the zombie's record is not visible")
        d = describe(bs, ["tx-main"])["transaction_states"][0]
        c.check(d["producer_id"] == main_pid and d["producer_epoch"] == 1,
                "the new producer has the same id with epoch 1", d)

        # ---- 4. open transactions across a broker SIGKILL ----
        pid_before = init_pid(bs)["producer_id"]
        proc_a, ok_a = open_txn_process(bs, "tx-timeout", "open-a", 8000)
        proc_b, ok_b = open_txn_process(bs, "tx-reinit", "open-b", 600000)
        c.check(ok_a and ok_b, "two producers left transactions open")
        b.kill()
        proc_a.kill()
        proc_b.kill()
        proc_a.wait()
        proc_b.wait()
        b.start()
        pid_after = init_pid(bs)["producer_id"]
        c.check(pid_after > pid_before and pid_after > main_pid,
                "producer ids after the restart are new", (pid_before, pid_after))
        deadline = time.time() + 20
        d = None
        while time.time() < deadline:
            d = describe(bs, ["tx-timeout", "tx-reinit"])["transaction_states"]
            if d[0]["error_code"] == NONE:
                break
            time.sleep(0.2)
        c.check(d[0]["transaction_state"] in ("Ongoing", "CompleteAbort")
                and d[1]["transaction_state"] == "Ongoing",
                "open transactions were replayed after the restart", d)
        epoch_a = d[0]["producer_epoch"]
        # The reinit path: a new producer with the same id aborts the open transaction.
        p3 = txn_producer(bs, "tx-reinit")
        p3.init_transactions(30)
        d = describe(bs, ["tx-reinit"])["transaction_states"][0]
        c.check(d["transaction_state"] == "Empty" and d["producer_epoch"] == 2,
                "InitProducerId aborted the open transaction (epoch bumped twice)", d)
        # The timeout path.
        deadline = time.time() + 20
        while time.time() < deadline:
            d = describe(bs, ["tx-timeout"])["transaction_states"][0]
            if d["transaction_state"] == "CompleteAbort":
                break
            time.sleep(0.3)
        c.check(d["transaction_state"] == "CompleteAbort" and d["producer_epoch"] == epoch_a + 1
                if epoch_a == 0 else d["transaction_state"] == "CompleteAbort",
                "the timed-out transaction was aborted with a bumped epoch", d)
        c.check("Aborting the transaction of transactional id tx-timeout" in b.log_text(),
                "the broker logged the timeout abort")
        rc = consume_all(bs, "read_committed")
        seen = [v for vs in rc.values() for v in vs]
        c.check(not any(v.startswith("open-") for v in seen),
                "read_committed never sees the aborted open transactions")
        c.check(committed[0][0] in rc[0] and "p2-commit" in rc[1],
                "committed data survived the crash")
        ru = consume_all(bs, "read_uncommitted")
        c.check(sum(v.startswith("open-a") for vs in ru.values() for v in vs) == 9,
                "the open transaction's records were in the log")

        # ---- 5. errors ----
        r = init_pid(bs, "tx-big", 900001)
        c.check(r["error_code"] == INVALID_TRANSACTION_TIMEOUT,
                "timeout above transaction.max.timeout.ms", r)
        with kafkawire.Connection(bs) as conn:
            r = conn.request("EndTxn", 1, {"transactional_id": "never-seen", "producer_id": 5,
                                           "producer_epoch": 0, "committed": True})
        c.check(r["error_code"] == INVALID_PRODUCER_ID_MAPPING, "EndTxn of an unknown id", r)
        p3.begin_transaction()
        p3.produce(TOPIC, value=b"after-crash", partition=2)
        p3.commit_transaction(30)
        rc = consume_all(bs, "read_committed")
        c.check("after-crash" in rc[2], "a producer commits after the crash")

        # ---- 6. AddPartitionsToTxn on the wire: client form and the v4 verify form ----
        d = describe(bs, ["tx-reinit"])["transaction_states"][0]
        pid, epoch = d["producer_id"], d["producer_epoch"]
        with kafkawire.Connection(bs) as conn:
            r = conn.request("AddPartitionsToTxn", 0, {
                "v3_and_below_transactional_id": "tx-reinit", "v3_and_below_producer_id": pid,
                "v3_and_below_producer_epoch": epoch, "v3_and_below_topics": [
                    {"name": TOPIC, "partitions": [0]}, {"name": "no-such-topic", "partitions": [0]}]})
            errs = {(t["name"], p["partition_index"]): p["partition_error_code"]
                    for t in r["results_by_topic_v3_and_below"] for p in t["results_by_partition"]}
            c.check(errs == {(TOPIC, 0): 55, ("no-such-topic", 0): 3},
                    "unknown topic: UNKNOWN_TOPIC_OR_PARTITION, the rest OPERATION_NOT_ATTEMPTED",
                    errs)
            r = conn.request("AddPartitionsToTxn", 3, {
                "v3_and_below_transactional_id": "tx-reinit", "v3_and_below_producer_id": pid,
                "v3_and_below_producer_epoch": epoch - 1, "v3_and_below_topics": [
                    {"name": TOPIC, "partitions": [0]}]})
            code = r["results_by_topic_v3_and_below"][0]["results_by_partition"][0]
            c.check(code["partition_error_code"] == 90, "an old epoch is PRODUCER_FENCED (v3)", r)
            r = conn.request("AddPartitionsToTxn", 3, {
                "v3_and_below_transactional_id": "tx-reinit", "v3_and_below_producer_id": pid,
                "v3_and_below_producer_epoch": epoch, "v3_and_below_topics": [
                    {"name": TOPIC, "partitions": [0]}]})
            code = r["results_by_topic_v3_and_below"][0]["results_by_partition"][0]
            c.check(code["partition_error_code"] == NONE, "partition added (v3)", r)
            r = conn.request("AddPartitionsToTxn", 4, {"transactions": [
                {"transactional_id": "tx-reinit", "producer_id": pid, "producer_epoch": epoch,
                 "verify_only": True, "topics": [{"name": TOPIC, "partitions": [0, 1]}]},
                {"transactional_id": "never-seen", "producer_id": 1, "producer_epoch": 0,
                 "verify_only": True, "topics": [{"name": TOPIC, "partitions": [0]}]}]})
            got = [(t["transactional_id"], [(p["partition_index"], p["partition_error_code"])
                                            for tr in t["topic_results"]
                                            for p in tr["results_by_partition"]])
                   for t in r["results_by_transaction"]]
            c.check(got == [("tx-reinit", [(0, NONE), (1, 48)]),
                            ("never-seen", [(0, INVALID_PRODUCER_ID_MAPPING)])],
                    "v4 verify_only: INVALID_TXN_STATE outside the transaction", got)
            r = conn.request("EndTxn", 3, {"transactional_id": "tx-reinit", "producer_id": pid,
                                           "producer_epoch": epoch, "committed": False})
            c.check(r["error_code"] == NONE, "EndTxn abort on the wire", r)
            r = conn.request("EndTxn", 3, {"transactional_id": "tx-reinit", "producer_id": pid,
                                           "producer_epoch": epoch, "committed": True})
            c.check(r["error_code"] == 48, "commit after the abort: INVALID_TXN_STATE", r)
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
