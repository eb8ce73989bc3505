#!/usr/bin/python3
"""producer.id.expiration.ms: the broker forgets idle producers on its
producer.id.expiration.check.interval.ms timer (Kafka's ProducerExpiration task).

With producer.id.expiration.ms=4000 and a 300 ms check interval:
- an idempotent producer (confluent_kafka) writes 5 records: DescribeProducers lists it (last
  sequence 4); one second later it is still listed; within a few seconds after 4 s of
  idleness it is gone, and the broker logs the removal;
- a transactional producer with an open transaction is kept past the expiration (Kafka
  never expires a producer whose transaction is open); after its commit it expires too;
- the idempotent producer writes again after its state expired: the broker accepts its next
  sequence (Kafka accepts any sequence from a producer it has no state for), the records are
  in the log once each, and DescribeProducers lists it again.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
import kafkawire  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "expiry"
EXPIRATION_MS = 4000


def producers(bootstrap, partition):
    with kafkawire.Connection(bootstrap) as conn:
        r = conn.request("DescribeProducers", 0, {"topics": [
            {"name": TOPIC, "partition_indexes": [partition]}]})
    part = r["topics"][0]["partitions"][0]
    return {p["producer_id"]: p for p in part["active_producers"]}


def wait_gone(bootstrap, partition, pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pid not in producers(bootstrap, partition):
            return True
        time.sleep(0.1)
    return False


def main():
    c = Checks("producer id expiration")
    with Broker({"producer.id.expiration.ms": str(EXPIRATION_MS),
                 "producer.id.expiration.check.interval.ms": "300",
                 "transaction.state.log.num.partitions": "1"}) as b:
        b.start()
        bs = b.bootstrap
        admin = AdminClient({"bootstrap.servers": bs})
        for f in admin.create_topics([NewTopic(TOPIC, 2, 1)]).values():
            f.result(30)

        idem = Producer({"bootstrap.servers": bs, "enable.idempotence": True, "linger.ms": 0})
        before = time.time()  # the records' timestamps (CreateTime) are later than this
        for i in range(5):
            idem.produce(TOPIC, value=f"a{i}".encode(), partition=0)
        c.check(idem.flush(30) == 0, "the idempotent producer wrote 5 records")
        ps = producers(bs, 0)
        c.check(len(ps) == 1 and next(iter(ps.values()))["last_sequence"] == 4,
                "DescribeProducers lists it with last sequence 4", ps)
        pid = next(iter(ps)) if ps else None

        time.sleep(max(0.0, before + 1.0 - time.time()))
        listed = pid in producers(bs, 0)
        c.check(listed or time.time() - before > EXPIRATION_MS / 1000,
                "still listed 1 s after its last write")

        txn = Producer({"bootstrap.servers": bs, "transactional.id": "expiry-txn",
                        "transaction.timeout.ms": 60000})
        txn.init_transactions(30)
        txn.begin_transaction()
        txn_before = time.time()
        txn.produce(TOPIC, value=b"t0", partition=1)
        txn.flush(30)
        tps = producers(bs, 1)
        c.check(len(tps) == 1 and next(iter(tps.values()))["current_txn_start_offset"] == 0,
                "the transactional producer is listed with its open transaction", tps)
        txn_pid = next(iter(tps)) if tps else None

        gone = wait_gone(bs, 0, pid, 15)
        idle = time.time() - before
        c.check(gone and idle >= EXPIRATION_MS / 1000 - 0.05,
                "gone from DescribeProducers after producer.id.expiration.ms", f"after {idle:.1f}s")
        c.check("expired producer id" in b.log_text(), "the broker logged the removal")
        # Well past its expiration and a few checks later, the open transaction keeps it.
        time.sleep(max(0.0, txn_before + EXPIRATION_MS / 1000 + 1.0 - time.time()))
        c.check(txn_pid in producers(bs, 1),
                "a producer with an open transaction is not expired")
        txn.commit_transaction(30)
        c.check(wait_gone(bs, 1, txn_pid, 15), "after its commit it expires too")

        for i in range(5, 8):
            idem.produce(TOPIC, value=f"a{i}".encode(), partition=0)
        c.check(idem.flush(30) == 0, "the expired idempotent producer writes again")
        ps = producers(bs, 0)
        c.check(list(ps) == [pid] and ps[pid]["last_sequence"] == 7,
                "listed again with last sequence 7", ps)
        cons = Consumer({"bootstrap.servers": bs, "group.id": "check",
                         "enable.partition.eof": True})
        cons.assign([TopicPartition(TOPIC, 0, 0)])
        got = []
        deadline = time.time() + 20
        while time.time() < deadline:
            m = cons.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:
                    break
                continue
            got.append(m.value().decode())
        cons.close()
        c.check(got == [f"a{i}" for i in range(8)], "the partition holds a0..a7 once each", got)
        if c.failed:
            print(b.log_tail(40))
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
