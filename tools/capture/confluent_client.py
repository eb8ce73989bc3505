#!/usr/bin/python3
"""confluent-kafka (librdkafka 2.0.2) scenarios for the fixture capture.

  produce BROKER TOPIC CODEC   3 keyed messages with a header
  consume BROKER TOPIC N       assign() consumer from the beginning (no group join)
  admin   BROKER TOPIC         AdminClient: create_topics, list_topics, create_partitions,
                               describe_configs, alter_configs, list_groups, delete_topics
  group   BROKER TOPIC N       subscribe() consumer: join, sync, heartbeat, commit, leave
  txn     BROKER TOPIC         transactional producer: commit one transaction (with
                               send_offsets_to_transaction), abort another
"""
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

CLIENT_ID = "fjord-fx-confluent"


def produce(broker, topic, codec):
    p = Producer({"bootstrap.servers": broker, "client.id": CLIENT_ID, "linger.ms": 50,
                  "compression.codec": codec})
    errors = []
    for i in range(3):
        p.produce(topic, key=f"key-{i}", value=f"ck-{codec}-{i}", partition=0,
                  headers=[("hdr", str(i).encode())],
                  on_delivery=lambda err, msg: errors.append(err) if err else None)
    left = p.flush(15)
    if left or errors:
        sys.exit(f"produce failed: {left} undelivered, errors {errors}")
    print("produced 3")


def consume(broker, topic, n):
    c = Consumer({"bootstrap.servers": broker, "client.id": CLIENT_ID, "group.id": "fx-ck",
                  "enable.auto.commit": False, "enable.auto.offset.store": False})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = 0
    for _ in range(40):
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        print(f"offset {m.offset()} key {m.key()} value {m.value()}")
        got += 1
        if got >= n:
            break
    c.close()
    if got < n:
        sys.exit(f"consumed {got} of {n}")


def admin(broker, topic):
    a = AdminClient({"bootstrap.servers": broker, "client.id": CLIENT_ID})
    futures = a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1,
                                        config={"retention.ms": "3600000"})],
                              request_timeout=10)
    for name, f in futures.items():
        try:
            f.result()
            print(f"created {name}")
        except Exception as e:  # captured even when the broker does not serve it yet
            print(f"create {name}: {e}")
    md = a.list_topics(timeout=10)
    print("topics:", sorted(md.topics))

    def wait(what, futures):
        for k, f in futures.items():
            try:
                print(f"{what} {k}: {str(f.result())[:200]}")
            except Exception as e:  # the request is captured whatever the answer
                print(f"{what} {k}: {e}")

    wait("create_partitions", a.create_partitions([NewPartitions(topic, 4)], request_timeout=10))
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    wait("describe_configs", a.describe_configs([res], request_timeout=10))
    wait("alter_configs", a.alter_configs(
        [ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"retention.ms": "7200000"})],
        request_timeout=10))
    wait("describe_configs(broker)", a.describe_configs(
        [ConfigResource(ConfigResource.Type.BROKER, "1")], request_timeout=10))
    print("groups:", [g.id for g in a.list_groups(timeout=10)])
    wait("delete_topics", a.delete_topics([topic], request_timeout=10))


def group(broker, topic, n):
    p = Producer({"bootstrap.servers": broker, "client.id": CLIENT_ID})
    for i in range(n):
        p.produce(topic, key=f"key-{i}", value=f"ck-group-{i}", partition=0)
    p.flush(15)
    c = Consumer({"bootstrap.servers": broker, "client.id": CLIENT_ID, "group.id": "fx-ck-group",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    c.subscribe([topic])
    got = 0
    for _ in range(60):
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        got += 1
        if got >= n:
            break
    time.sleep(1.5)  # a few heartbeats
    if got:
        c.commit(asynchronous=False)
        print("committed:", c.committed(c.assignment(), timeout=10))
    c.close()
    if got < n:
        sys.exit(f"consumed {got} of {n}")
    print(f"group consumed {got}")


def txn(broker, topic):
    p = Producer({"bootstrap.servers": broker, "client.id": CLIENT_ID,
                  "transactional.id": "fx-ck-txn", "transaction.timeout.ms": 10000})
    p.init_transactions(15)
    p.begin_transaction()
    for i in range(3):
        p.produce(topic, key=f"key-{i}", value=f"ck-txn-commit-{i}", partition=0)
    c = Consumer({"bootstrap.servers": broker, "client.id": CLIENT_ID, "group.id": "fx-ck-txn"})
    p.send_offsets_to_transaction([TopicPartition(topic, 0, 3)], c.consumer_group_metadata(), 15)
    p.commit_transaction(15)
    p.begin_transaction()
    p.produce(topic, key="key-x", value="ck-txn-abort", partition=0)
    p.flush(15)
    p.abort_transaction(15)
    c.close()
    print("one transaction committed, one aborted")


def main():
    a = sys.argv[1:]
    if a[0] == "produce":
        produce(a[1], a[2], a[3])
    elif a[0] == "consume":
        consume(a[1], a[2], int(a[3]))
    elif a[0] == "admin":
        admin(a[1], a[2])
    elif a[0] == "group":
        group(a[1], a[2], int(a[3]))
    elif a[0] == "txn":
        txn(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
