"""A raw Kafka protocol client for integration tests: any API, any version.

Requests and responses are plain dicts keyed by the snake_case field names (Kafka's
CamelCase names converted as the C++ generator does: ThrottleTimeMs -> throttle_time_ms).
Encoding follows Fjord's message definitions (protocol/messages/*.def), parsed with
protocol/gen/fjorddefs.py; missing request fields take their declared defaults.

    with Connection(b.bootstrap) as c:
        r = c.request("CreateTopics", 7, {"topics": [{"name": "t", "num_partitions": 3,
                                                       "replication_factor": -1}]})
        r["topics"][0]["error_code"]   # 0

Use it for versions and fields that the installed clients cannot send. It checks framing
(the correlation id, that the whole response was read), not semantics.
"""

import os
import re
import socket
import struct
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "protocol", "gen"))
from fjorddefs import load_dir  # noqa: E402

ZERO_UUID = bytes(16)
_MESSAGES = None


def messages():
    global _MESSAGES
    if _MESSAGES is None:
        _MESSAGES = {m.name: m for m in load_dir(os.path.join(REPO, "protocol", "messages"))}
    return _MESSAGES


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


class WireError(Exception):
    pass


# -- encoding ------------------------------------------------------------------------------

_FIXED = {"bool": "?", "int8": "b", "int16": "h", "uint16": "H", "int32": "i",
          "uint32": "I", "int64": "q", "float64": "d"}


def _uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _default(f):
    if f.is_array:
        return None if f.default == "null" else []
    if f.is_struct:
        return {}
    d = f.default
    if d == "null":
        return None
    if f.type == "bool":
        return d == "true"
    if f.type in _FIXED:
        return int(d, 0) if d is not None else 0
    if f.type == "uuid":
        return ZERO_UUID
    if f.type in ("bytes", "records"):
        return b""
    return d if d is not None else ""


class _Enc:
    def __init__(self, msg, version):
        self.msg = msg
        self.version = version
        self.flex = msg.flexible is not None and msg.flexible.contains(version)
        self.out = bytearray()

    def length(self, n, null, wide):
        if self.flex:
            self.out += _uvarint(0 if null else n + 1)
        else:
            self.out += struct.pack(">i" if wide else ">h", -1 if null else n)

    def prim(self, typ, v, flex_none=False):
        if typ in _FIXED:
            self.out += struct.pack(">" + _FIXED[typ], v)
        elif typ == "uuid":
            self.out += v
        elif typ == "string":
            if flex_none:
                self.out += struct.pack(">h", -1) if v is None else struct.pack(">h", len(v.encode()))
                if v is not None:
                    self.out += v.encode()
                return
            data = None if v is None else v.encode()
            self.length(len(data or b""), data is None, False)
            self.out += data or b""
        else:  # bytes, records
            self.length(len(v or b""), v is None, True)
            self.out += v or b""

    def value(self, f, v):
        if f.is_array:
            self.length(len(v or []), v is None, True)
            for item in v or []:
                self.elem(f, item)
        elif f.is_struct and f.nullable_in(self.version):  # nullable struct: int8 -1 / 1
            self.out += struct.pack(">b", -1 if v is None else 1)
            if v is not None:
                self.elem(f, v)
        else:
            self.elem(f, v)

    def elem(self, f, v):
        if f.is_struct:
            self.struct(self.fields_of(f), v)
        else:
            self.prim(f.elem_type, v, f.flex_none)

    def fields_of(self, f):
        if f.fields:
            return f.fields
        return self.msg.commons[f.elem_type].fields

    def struct(self, fields, d):
        tagged = []
        for f in fields:
            key = snake(f.name)
            if f.tagged is not None and f.tagged.contains(self.version):
                if self.flex and key in d:
                    tagged.append((f, d[key]))
                continue
            if not f.exists_in(self.version):
                continue
            self.value(f, d.get(key, _default(f)))
        if self.flex:
            self.out += _uvarint(len(tagged))
            for f, v in sorted(tagged, key=lambda t: t[0].tag):
                sub = _Enc(self.msg, self.version)
                sub.value(f, v)
                self.out += _uvarint(f.tag) + _uvarint(len(sub.out)) + sub.out


def encode(message_name, version, body):
    m = messages()[message_name]
    e = _Enc(m, version)
    e.struct(m.fields, body)
    return bytes(e.out)


# -- decoding ------------------------------------------------------------------------------

class _Dec:
    def __init__(self, msg, version, data):
        self.msg = msg
        self.version = version
        self.flex = msg.flexible is not None and msg.flexible.contains(version)
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise WireError(f"{self.msg.name} v{self.version}: truncated at {self.pos}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def uvarint(self):
        shift = n = 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def length(self, wide):
        if self.flex:
            return self.uvarint() - 1
        return struct.unpack(">i" if wide else ">h", self.take(4 if wide else 2))[0]

    def prim(self, typ):
        if typ in _FIXED:
            fmt = ">" + _FIXED[typ]
            return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        if typ == "uuid":
            return self.take(16)
        n = self.length(typ != "string")
        if n < 0:
            return None
        raw = self.take(n)
        return raw.decode("utf-8") if typ == "string" else raw

    def value(self, f):
        if f.is_array:
            n = self.length(True)
            return None if n < 0 else [self.elem(f) for _ in range(n)]
        if f.is_struct and f.nullable_in(self.version):  # nullable struct: int8 -1 / 1
            if struct.unpack(">b", self.take(1))[0] < 0:
                return None
        return self.elem(f)

    def elem(self, f):
        if f.is_struct:
            return self.struct(f.fields or self.msg.commons[f.elem_type].fields)
        return self.prim(f.elem_type)

    def struct(self, fields):
        d = {}
        by_tag = {}
        for f in fields:
            if f.tagged is not None and f.tagged.contains(self.version):
                by_tag[f.tag] = f
                d[snake(f.name)] = _default(f)
            elif f.exists_in(self.version):
                d[snake(f.name)] = self.value(f)
        if self.flex:
            for _ in range(self.uvarint()):
                tag, size = self.uvarint(), self.uvarint()
                end = self.pos + size
                if tag in by_tag:
                    d[snake(by_tag[tag].name)] = self.value(by_tag[tag])
                self.pos = end
        return d


def decode(message_name, version, data):
    m = messages()[message_name]
    dec = _Dec(m, version, data)
    d = dec.struct(m.fields)
    if dec.pos != len(data):
        raise WireError(f"{message_name} v{version}: {len(data) - dec.pos} bytes left over")
    return d


# -- connection ----------------------------------------------------------------------------

class Connection:
    """One TCP connection to a broker; request() sends and waits for the response."""

    def __init__(self, bootstrap, client_id="fjord-it", timeout=30):
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.client_id = client_id
        self.correlation_id = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _read(self, n):
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise WireError("connection closed by the broker")
            out += chunk
        return bytes(out)

    def request(self, api, version, body):
        """Sends API request `api` ("CreateTopics") at `version`; returns the response dict."""
        req = messages()[api + "Request"]
        flex = req.flexible is not None and req.flexible.contains(version)
        self.correlation_id += 1
        cid = self.client_id.encode()
        header = struct.pack(">hhih", req.api_key, version, self.correlation_id, len(cid)) + cid
        if flex:
            header += b"\x00"  # empty tag buffer (request header v2)
        payload = header + encode(req.name, version, body)
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)
        size = struct.unpack(">i", self._read(4))[0]
        data = self._read(size)
        corr = struct.unpack(">i", data[:4])[0]
        if corr != self.correlation_id:
            raise WireError(f"correlation id {corr}, expected {self.correlation_id}")
        pos = 4
        if flex and api != "ApiVersions":  # response header v1 (ApiVersions: always v0)
            if data[pos] != 0:
                raise WireError("unexpected tags in the response header")
            pos += 1
        return decode(api + "Response", version, data[pos:])
