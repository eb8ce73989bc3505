#!/usr/bin/python3
"""confluent-kafka (librdkafka 2.0.2) scenarios for the fixture capture.

  produce BROKER TOPIC CODEC   3 keyed messages with a header
  consume BROKER TOPIC N       assign() consumer from the beginning (no group join)
  admin   BROKER TOPIC         AdminClient: create_topics, then list_topics
"""
import sys

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

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


def main():
    a = sys.argv[1:]
    if a[0] == "produce":
        produce(a[1], a[2], a[3])
    elif a[0] == "consume":
        consume(a[1], a[2], int(a[3]))
    elif a[0] == "admin":
        admin(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
