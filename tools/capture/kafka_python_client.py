#!/usr/bin/python3
"""kafka-python 2.0.2 scenarios for the fixture capture (tools/capture_fixtures.sh).

  produce BROKER TOPIC CODEC [API_VERSION]   3 keyed messages (headers from magic 2 on);
                                             API_VERSION like 0.10.0 skips the probe
  consume BROKER TOPIC N                     standalone consumer (assign, no group)
  group   BROKER TOPIC                       group consumer: sends the group APIs once
"""
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def version_arg(args, i):
    if len(args) > i and args[i] != "auto":
        return tuple(int(x) for x in args[i].split("."))
    return None


def produce(broker, topic, codec, api_version):
    kwargs = {"bootstrap_servers": broker, "linger_ms": 50, "client_id": "fjord-fx-kafka-python"}
    if codec != "none":
        kwargs["compression_type"] = codec
    if api_version:
        kwargs["api_version"] = api_version
    p = KafkaProducer(**kwargs)
    magic2 = p.config["api_version"] >= (0, 11)
    futures = []
    for i in range(3):
        headers = [("hdr", str(i).encode())] if magic2 else None
        # kafka-python sends a batch uncompressed when compressing does not make it
        # smaller, so the values repeat a word.
        value = f"kpy-{codec}-{i}:" + "fjord" * 20
        futures.append(p.send(topic, key=f"key-{i}".encode(), value=value.encode(), partition=0,
                              headers=headers))
    for f in futures:
        md = f.get(timeout=15)
        print(f"produced offset {md.offset}")
    p.close()


def consume(broker, topic, n):
    c = KafkaConsumer(bootstrap_servers=broker, client_id="fjord-fx-kafka-python",
                      auto_offset_reset="earliest", enable_auto_commit=False,
                      consumer_timeout_ms=10000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = 0
    for m in c:
        print(f"offset {m.offset} key {m.key} value {m.value}")
        got += 1
        if got >= n:
            break
    c.close()
    if got < n:
        sys.exit(f"consumed {got} of {n}")


def group(broker, topic):
    c = KafkaConsumer(topic, bootstrap_servers=broker, client_id="fjord-fx-kafka-python",
                      group_id="fx-kpy-group", auto_offset_reset="earliest",
                      consumer_timeout_ms=4000, session_timeout_ms=6000,
                      request_timeout_ms=7000)
    for m in c:
        print(f"offset {m.offset}")
    c.close()


def main():
    a = sys.argv[1:]
    if a[0] == "produce":
        produce(a[1], a[2], a[3], version_arg(a, 4))
    elif a[0] == "consume":
        consume(a[1], a[2], int(a[3]))
    elif a[0] == "group":
        group(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
