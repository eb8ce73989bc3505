"""Just enough of the Kafka wire protocol, by hand, to drive Fetch v12-17 and Metadata v12
from the integration tests (kafka-python 2.0.2 stops at Fetch v11 and has no flexible
versions). Plain blocking sockets; one request at a time per connection.

    c = Conn(bootstrap)
    ids = c.topic_ids(["t"])                       # Metadata v12: {name: 16-byte id}
    r = c.fetch(12, [("t", [(0, 0, 1 << 20)])], session_id=0, session_epoch=0)
    r["session_id"], r["topics"][0]["partitions"][0]["records"]
"""

import socket
import struct
import time


# -- encoding ----------------------------------------------------------------------------

def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def cstring(s):  # compact (nullable) string
    if s is None:
        return uvarint(0)
    b = s.encode()
    return uvarint(len(b) + 1) + b


def carray(items):  # compact array of already encoded items
    return uvarint(len(items) + 1) + b"".join(items)


NO_TAGS = uvarint(0)


# -- decoding ----------------------------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        if self.p + n > len(self.d):
            raise ValueError(f"short response: need {n} at {self.p} of {len(self.d)}")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uuid(self):
        return self.take(16)

    def uvarint(self):
        n = shift = 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def cstring(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def cbytes(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1)

    def carray(self, item):
        n = self.uvarint()
        return None if n == 0 else [item(self) for _ in range(n - 1)]

    def tags(self):
        """Tagged fields as {tag: raw bytes}."""
        out = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            out[tag] = self.take(self.uvarint())
        return out


def batches(records):
    """(base offset, last offset, magic) of each v2 batch or legacy message in a records blob."""
    out = []
    p = 0
    while records and p + 17 <= len(records):
        base, length = struct.unpack(">qi", records[p:p + 12])
        magic = records[p + 16]
        if p + 12 + length > len(records):
            break  # a partial trailing batch
        last = base
        if magic == 2:
            last = base + struct.unpack(">i", records[p + 23:p + 27])[0]
        out.append((base, last, magic))
        p += 12 + length
    return out


# -- connection --------------------------------------------------------------------------

class Conn:
    def __init__(self, bootstrap, timeout=30):
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.correlation = 0

    def close(self):
        self.sock.close()

    def _recv(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return bytes(buf)

    def request(self, key, version, body, flexible=True):
        """Sends one request and returns the response body (after the header)."""
        self.correlation += 1
        client = b"fjord-it"
        header = struct.pack(">hhih", key, version, self.correlation, len(client)) + client
        if flexible:
            header += NO_TAGS
        frame = header + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", self._recv(4))[0]
        r = Reader(self._recv(size))
        if r.i32() != self.correlation:
            raise ValueError("correlation id mismatch")
        if flexible and key != 18:
            r.tags()
        return r

    # Metadata v12: topic name -> (topic id, partition count, leader epoch of partition 0).
    def metadata(self, topics):
        body = carray([b"\0" * 16 + cstring(t) + NO_TAGS for t in topics])
        body += b"\x01\x00" + NO_TAGS  # allow auto creation, no authorized operations
        r = self.request(3, 12, body)
        r.i32()  # throttle

        def broker(r):
            node = (r.i32(), r.cstring(), r.i32(), r.cstring())
            r.tags()
            return node

        self.brokers = r.carray(broker)
        r.cstring()
        r.i32()

        def partition(r):
            err, idx, leader, epoch = r.i16(), r.i32(), r.i32(), r.i32()
            r.carray(lambda r: r.i32())
            r.carray(lambda r: r.i32())
            r.carray(lambda r: r.i32())
            r.tags()
            return (err, idx, leader, epoch)

        def topic(r):
            err, name, tid, _internal = r.i16(), r.cstring(), r.uuid(), r.i8()
            parts = r.carray(partition)
            r.i32()
            r.tags()
            return name, (err, tid, parts)

        return dict(r.carray(topic))

    def topic_ids(self, topics, timeout=10):
        deadline = time.time() + timeout
        while True:
            md = self.metadata(topics)
            if all(md.get(t, (1,))[0] == 0 for t in topics):
                return {t: md[t][1] for t in topics}
            if time.time() > deadline:
                raise TimeoutError(f"metadata for {topics}: {md}")
            time.sleep(0.1)

    def fetch(self, version, topics, session_id=0, session_epoch=-1, forgotten=(),
              max_wait_ms=0, min_bytes=1, max_bytes=64 << 20, leader_epoch=-1):
        """topics: [(name or 16-byte id, [(partition, fetch_offset, partition_max_bytes)])];
        forgotten: [(name or id, [partitions])]. Returns the decoded response as a dict."""
        assert version >= 12

        def topic_ref(t):
            return t if isinstance(t, bytes) else cstring(t)

        def part(p):
            idx, offset, pmax = p
            return (struct.pack(">iiqiqi", idx, leader_epoch, offset, -1, -1, pmax) + NO_TAGS)

        body = b""
        if version <= 14:
            body += struct.pack(">i", -1)  # replica_id (a tagged ReplicaState from v15)
        body += struct.pack(">iiibii", max_wait_ms, min_bytes, max_bytes, 0, session_id,
                            session_epoch)
        body += carray([topic_ref(t) + carray([part(p) for p in ps]) + NO_TAGS
                        for t, ps in topics])
        body += carray([topic_ref(t) + carray([struct.pack(">i", p) for p in ps]) + NO_TAGS
                        for t, ps in forgotten])
        body += cstring("")  # rack_id
        body += NO_TAGS
        r = self.request(1, version, body)
        resp = {"throttle_time_ms": r.i32(), "error_code": r.i16(), "session_id": r.i32()}

        def partition(r):
            p = {"partition": r.i32(), "error_code": r.i16(), "high_watermark": r.i64(),
                 "last_stable_offset": r.i64(), "log_start_offset": r.i64()}
            p["aborted"] = r.carray(lambda r: (r.i64(), r.i64(), r.tags()))
            p["preferred_read_replica"] = r.i32()
            p["records"] = r.cbytes()
            tags = r.tags()
            if 1 in tags:  # CurrentLeader
                lr = Reader(tags[1])
                p["current_leader"] = (lr.i32(), lr.i32())
            return p

        def topic(r):
            t = {"topic": r.uuid() if version >= 13 else r.cstring()}
            t["partitions"] = r.carray(partition)
            r.tags()
            return t

        resp["topics"] = r.carray(topic)
        tags = r.tags()
        resp["node_endpoints"] = []
        if 0 in tags:
            tr = Reader(tags[0])

            def node(r):
                n = (r.i32(), r.cstring(), r.i32(), r.cstring())
                r.tags()
                return n

            resp["node_endpoints"] = tr.carray(node)
        return resp


def partitions_of(resp):
    """{(topic, partition): partition dict} of a decoded Fetch response."""
    return {(t["topic"], p["partition"]): p for t in resp["topics"] for p in t["partitions"]}
