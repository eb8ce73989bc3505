#!/usr/bin/python3
"""Incremental fetch sessions (KIP-227) and topic ids over the raw protocol.

Fetch v12 (topics by name) through a session's life: a full fetch opens it; incremental
fetches return only partitions with new records or a moved high watermark; a replayed
epoch gets INVALID_FETCH_SESSION_EPOCH and an unknown id FETCH_SESSION_ID_NOT_FOUND;
forgotten partitions stop appearing and come back when listed again; epoch -1 closes it.
Then Fetch v13-17 (topics by id): ids echo back, an unknown id gets UNKNOWN_TOPIC_ID, a
v13 request on a v12 session gets FETCH_SESSION_TOPIC_ID_ERROR, and a leader epoch newer
than the partition's gets UNKNOWN_LEADER_EPOCH.
Records are produced with kafka-python.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kafka import KafkaProducer  # noqa: E402
from fjordtest import Broker, Checks  # noqa: E402
from fetchproto import Conn, batches, partitions_of  # noqa: E402

TOPIC = "sessions"
MAX = 1 << 20
UNKNOWN_TOPIC_ID = 100
FETCH_SESSION_ID_NOT_FOUND = 70
INVALID_FETCH_SESSION_EPOCH = 71
FETCH_SESSION_TOPIC_ID_ERROR = 106
UNKNOWN_LEADER_EPOCH = 75


def offsets(p):
    """The offsets a partition's records cover."""
    return [o for base, last, _ in batches(p["records"] or b"") for o in range(base, last + 1)]


def produce(producer, counts):
    for partition, n in counts.items():
        for i in range(n):
            producer.send(TOPIC, value=b"v%d-%d" % (partition, i), partition=partition)
    producer.flush()


def name_sessions(c, conn, producer):
    print("-- Fetch v12 sessions (topics by name)")
    produce(producer, {0: 5, 1: 5})
    everything = [(TOPIC, [(0, 0, MAX), (1, 0, MAX), (2, 0, MAX)])]
    r = conn.fetch(12, everything, session_id=0, session_epoch=0)
    sid = r["session_id"]
    parts = partitions_of(r)
    c.check(r["error_code"] == 0 and sid > 0, "full fetch with epoch 0 opens a session", r)
    c.check(sorted(parts) == [(TOPIC, 0), (TOPIC, 1), (TOPIC, 2)],
            "the full response carries every partition", sorted(parts))
    c.check(offsets(parts[(TOPIC, 0)]) == list(range(5)) and
            offsets(parts[(TOPIC, 1)]) == list(range(5)) and offsets(parts[(TOPIC, 2)]) == [],
            "full response: offsets 0-4 of p0 and p1, none of p2")

    # The consumer moves its positions to 5 and says so; nothing new: empty response.
    r = conn.fetch(12, [(TOPIC, [(0, 5, MAX), (1, 5, MAX)])], session_id=sid, session_epoch=1)
    c.check(r["error_code"] == 0 and r["session_id"] == sid, "incremental epoch 1 accepted", r)
    c.check(partitions_of(r) == {}, "nothing changed: no partition in the response",
            sorted(partitions_of(r)))

    # New records on p1 only: only p1 comes back, from the cached position 5.
    produce(producer, {1: 3})
    r = conn.fetch(12, [], session_id=sid, session_epoch=2)
    parts = partitions_of(r)
    c.check(sorted(parts) == [(TOPIC, 1)], "only the partition with new data is sent",
            sorted(parts))
    p1 = parts.get((TOPIC, 1), {"records": b"", "high_watermark": -1})
    c.check(offsets(p1) == [5, 6, 7] and p1["high_watermark"] == 8,
            "p1 carries offsets 5-7 and high watermark 8", (offsets(p1), p1["high_watermark"]))

    # Epoch errors: the used epoch 2 again, a future epoch, an unknown id.
    r = conn.fetch(12, [], session_id=sid, session_epoch=2)
    c.check(r["error_code"] == INVALID_FETCH_SESSION_EPOCH and r["topics"] == [] and
            r["session_id"] == 0, "a replayed epoch gets INVALID_FETCH_SESSION_EPOCH", r)
    r = conn.fetch(12, [], session_id=sid, session_epoch=9)
    c.check(r["error_code"] == INVALID_FETCH_SESSION_EPOCH, "a future epoch too", r)
    other = sid + 1 if sid < 2**31 - 1 else sid - 1
    r = conn.fetch(12, [], session_id=other, session_epoch=1)
    c.check(r["error_code"] == FETCH_SESSION_ID_NOT_FOUND and r["session_id"] == 0,
            "an unknown session id gets FETCH_SESSION_ID_NOT_FOUND", r)

    # The session survived the errors: epoch 3 works. p1 moves to 8 and p0 is forgotten.
    r = conn.fetch(12, [(TOPIC, [(1, 8, MAX)])], session_id=sid, session_epoch=3,
                   forgotten=[(TOPIC, [0])])
    c.check(r["error_code"] == 0 and partitions_of(r) == {},
            "epoch 3 after the errors: p0 forgotten, nothing new", r)
    produce(producer, {0: 2, 1: 1})
    r = conn.fetch(12, [], session_id=sid, session_epoch=4)
    parts = partitions_of(r)
    c.check(sorted(parts) == [(TOPIC, 1)] and offsets(parts[(TOPIC, 1)]) == [8],
            "a forgotten partition is not fetched: p1's offset 8 only", sorted(parts))

    # Listing p0 again adds it back at the offset given (and p1 moves past offset 8).
    r = conn.fetch(12, [(TOPIC, [(0, 5, MAX), (1, 9, MAX)])], session_id=sid, session_epoch=5)
    parts = partitions_of(r)
    c.check(sorted(parts) == [(TOPIC, 0)] and offsets(parts[(TOPIC, 0)]) == [5, 6],
            "a partition added back returns from its offset (5-6)",
            {k: offsets(v) for k, v in parts.items()})

    # Epoch -1 closes the session: a sessionless full answer, then the id is gone.
    r = conn.fetch(12, [(TOPIC, [(2, 0, MAX)])], session_id=sid, session_epoch=-1)
    c.check(r["error_code"] == 0 and r["session_id"] == 0 and
            sorted(partitions_of(r)) == [(TOPIC, 2)], "epoch -1 closes: sessionless answer", r)
    r = conn.fetch(12, [], session_id=sid, session_epoch=6)
    c.check(r["error_code"] == FETCH_SESSION_ID_NOT_FOUND, "the closed session is gone", r)

    # Epoch 0 with an id replaces that session with a new one.
    r = conn.fetch(12, everything, session_id=0, session_epoch=0)
    first = r["session_id"]
    r = conn.fetch(12, everything, session_id=first, session_epoch=0)
    second = r["session_id"]
    c.check(second > 0 and second != first and len(partitions_of(r)) == 3,
            "epoch 0 naming a session closes it and opens another", (first, second))
    r = conn.fetch(12, [], session_id=first, session_epoch=1)
    c.check(r["error_code"] == FETCH_SESSION_ID_NOT_FOUND, "the replaced session is gone", r)
    return second


def id_sessions(c, conn, name_session):
    print("-- Fetch v13-17 (topics by id)")
    tid = conn.topic_ids([TOPIC])[TOPIC]
    c.check(tid != b"\0" * 16, "metadata v12 gives the topic a non-zero id")
    for version in (13, 15, 16, 17):
        r = conn.fetch(version, [(tid, [(0, 0, MAX)])], session_id=0, session_epoch=-1)
        t = r["topics"][0] if r["topics"] else {"topic": None, "partitions": []}
        p = t["partitions"][0] if t["partitions"] else {"records": b"", "error_code": -1}
        c.check(r["error_code"] == 0 and t["topic"] == tid and p["error_code"] == 0 and
                offsets(p) == list(range(7)),
                f"v{version}: the response names the topic by id, p0 offsets 0-6",
                (t["topic"], p["error_code"], offsets(p)))

    unknown = bytes(range(1, 17))
    r = conn.fetch(13, [(unknown, [(0, 0, MAX), (1, 0, MAX)])], session_id=0, session_epoch=-1)
    errs = [(t["topic"], p["error_code"]) for t in r["topics"] for p in t["partitions"]]
    c.check(errs == [(unknown, UNKNOWN_TOPIC_ID)] * 2,
            "an unknown topic id gets UNKNOWN_TOPIC_ID on each partition", errs)

    r = conn.fetch(13, [(tid, [(1, 0, MAX)])], session_id=0, session_epoch=0)
    sid = r["session_id"]
    p1 = partitions_of(r).get((tid, 1), {"records": b""})
    c.check(sid > 0 and offsets(p1) == list(range(9)),
            "v13 full fetch opens a session (p1 offsets 0-8)", r["session_id"])
    r = conn.fetch(13, [(tid, [(1, 9, MAX)])], session_id=sid, session_epoch=1)
    c.check(r["error_code"] == 0 and partitions_of(r) == {},
            "v13 incremental at the end: nothing new", r)
    r = conn.fetch(13, [], session_id=sid, session_epoch=2, forgotten=[(tid, [1])])
    c.check(r["error_code"] == 0 and r["session_id"] == 0,
            "forgetting the last partition (by id) ends the session", r)

    r = conn.fetch(13, [], session_id=name_session, session_epoch=1)
    c.check(r["error_code"] == FETCH_SESSION_TOPIC_ID_ERROR,
            "v13 on a session opened with v12 gets FETCH_SESSION_TOPIC_ID_ERROR", r)

    r = conn.fetch(16, [(tid, [(0, 0, MAX)])], leader_epoch=7)
    p = partitions_of(r).get((tid, 0), {})
    c.check(p.get("error_code") == UNKNOWN_LEADER_EPOCH and "current_leader" not in p,
            "a leader epoch from the future gets UNKNOWN_LEADER_EPOCH", p)


def main():
    c = Checks("fetch sessions and topic ids")
    with Broker() as b:
        b.start({"num.partitions": "3"})
        producer = KafkaProducer(bootstrap_servers=b.bootstrap, linger_ms=0, acks=1)
        conn = Conn(b.bootstrap)
        conn.topic_ids([TOPIC])  # creates the topic
        name_session = name_sessions(c, conn, producer)
        id_sessions(c, conn, name_session)
        producer.close()
        conn.close()
        c.check(b.running(), "the broker is still running")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
