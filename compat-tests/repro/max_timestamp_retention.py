#!/usr/bin/python3
"""Reproduces freshly produced records being deleted by time retention (FINDINGS.md, F2).

librdkafka sends records without a timestamp (CreateTime -1) in a v2 batch whose MaxTimestamp
header field is 0. Kafka recomputes the batch's MaxTimestamp from its records (-1: none) before
appending; a segment without timestamps then ages by its file's mtime. Fjord keeps the client's
0, so the segment looks 56 years old and the first retention check deletes it.

Usage: max_timestamp_retention.py FJORD_BIN   (starts its own broker; exit 0 = records kept)
"""
import os
import re
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, Producer, TopicPartition

fjord = sys.argv[1]
data = tempfile.mkdtemp(prefix="fjord-repro-")
log = open(os.path.join(data, "broker.log"), "w+")
broker = subprocess.Popen([fjord, "--override", "listeners=PLAINTEXT://127.0.0.1:0",
                           "--override", f"log.dirs={data}/d",
                           "--override", "log.retention.check.interval.ms=1000"],
                          stdout=log, stderr=subprocess.STDOUT)
try:
    port = None
    for _ in range(100):
        time.sleep(0.1)
        log.seek(0)
        m = re.search(r"Listening on PLAINTEXT://127.0.0.1:(\d+)", log.read())
        if m:
            port = m.group(1)
            break
    bootstrap = f"127.0.0.1:{port}"
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(10):
        p.produce("no-timestamps", f"m{i}".encode(), partition=0, timestamp=-1)
    p.flush(10)
    time.sleep(3)  # three retention checks
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "repro",
                  "enable.auto.commit": False})
    low, high = c.get_watermark_offsets(TopicPartition("no-timestamps", 0), timeout=10)
    c.close()
    print(f"log start offset {low}, end offset {high}")
    log.seek(0)
    print("".join(line for line in log if "deleting segment" in line), end="")
    sys.exit(0 if low == 0 else 1)
finally:
    broker.terminate()
    broker.wait()
