#!/usr/bin/python3
"""Picks golden fixtures out of raw captures made by tools/capture_proxy.py.

  select_fixtures.py [--add] RAW_DIR FIXTURES_DIR SEEDS_DIR

RAW_DIR/<client>/ holds the frames of one client and its capture.tsv (file, scenario,
connection, size). For each client, frames that repeat an earlier one (correlation id aside)
are dropped, and only the first few of each API version are kept (more for Produce, whose
frames differ by codec and message format). FIXTURES_DIR is rewritten: <client>/<frame>.bin
and MANIFEST.tsv. SEEDS_DIR gets the fuzz seed corpora:
  fuzz_request/       every kept frame
  fuzz_record_batch/  the records of every Produce partition (knob byte 0x02 first)
  fuzz_decompress/    the compressed payloads inside those records
Seed files written here start with "capture-"; other seeds are left alone.

--add keeps every fixture already in FIXTURES_DIR (and its MANIFEST.tsv row, and all seeds)
and adds only frames of an API key and version that client has no fixture for yet. The frame
numbers of librdkafka clients shift from one capture to the next (they depend on timing), so
this is how new scenarios are captured without rewriting the fixtures that
protocol/codec/tests/fixtures_test.cc names.
"""
import collections
import csv
import hashlib
import os
import shutil
import struct
import sys

KEEP = {0: 8, 3: 3}  # per API key: distinct frames kept per version (default 2)
KEEP_DEFAULT = 2
CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


class Cursor:
    def __init__(self, data, pos=0):
        self.d, self.p = data, pos

    def take(self, n):
        if n < 0 or self.p + n > len(self.d):
            raise ValueError("truncated")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self, compact=False):
        n = self.uvarint() - 1 if compact else self.i16()
        return None if n < 0 else self.take(n).decode("utf-8", "replace")

    def array_len(self, compact=False):
        return self.uvarint() - 1 if compact else self.i32()

    def bytes_(self, compact=False):
        n = self.uvarint() - 1 if compact else self.i32()
        return None if n < 0 else self.take(n)

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def parse_header(frame):
    c = Cursor(frame)
    key, version, corr = c.i16(), c.i16(), c.i32()
    client_id = c.string()
    return key, version, corr, client_id, c


def parse_produce(frame):
    """(acks, [(topic, partition, records bytes)]) of a Produce request, any version."""
    key, version, _, _, c = parse_header(frame)
    flexible = version >= 9
    if flexible:
        c.skip_tags()
    if version >= 3:
        c.string(flexible)
    acks = c.i16()
    c.i32()
    parts = []
    for _ in range(c.array_len(flexible)):
        topic = c.string(flexible)
        for _ in range(c.array_len(flexible)):
            index = c.i32()
            records = c.bytes_(flexible)
            parts.append((topic, index, records or b""))
            if flexible:
                c.skip_tags()
        if flexible:
            c.skip_tags()
    return acks, parts


def legacy_entries(records):
    """Yields (magic, codec, key, value) for each top-level entry of a magic 0/1 set."""
    c = Cursor(records)
    while c.p + 12 <= len(records):
        c.take(8)
        size = c.i32()
        m = Cursor(c.take(size))
        m.take(4)
        magic, attrs = m.i8(), m.i8()
        if magic == 1:
            m.take(8)
        yield magic, attrs & 7, m.bytes_(), m.bytes_()


def describe_records(records):
    """A short description and the compressed payloads of a records field."""
    if len(records) < 17:
        return "empty records", []
    magic = records[16]
    if magic == 2:
        out, payloads, pos = [], [], 0
        while pos + 61 <= len(records):
            length = struct.unpack(">i", records[pos + 8:pos + 12])[0]
            batch = records[pos:pos + 12 + length]
            attrs = struct.unpack(">h", batch[21:23])[0]
            count = struct.unpack(">i", batch[57:61])[0]
            out.append(f"v2 batch {CODECS.get(attrs & 7, attrs & 7)} {count} records")
            if attrs & 7:
                payloads.append(batch[61:])
            pos += 12 + length
        return ", ".join(out), payloads
    entries = list(legacy_entries(records))
    payloads = [v for _, codec, _, v in entries if codec and v]
    codecs = {CODECS.get(codec, codec) for _, codec, _, _ in entries}
    kind = "wrapper" if payloads else "messages"
    return f"magic {magic} set, {len(entries)} {kind} {'/'.join(sorted(codecs))}", payloads


# First flexible version of the APIs described below (the header then has a tag buffer).
FLEXIBLE_FROM = {0: 9, 1: 12, 2: 6, 3: 9, 10: 3, 18: 3}


def describe_request(key, version, c):
    """A few words on the body of the APIs other than Produce (None if not described)."""
    flexible = version >= FLEXIBLE_FROM.get(key, 1 << 15)
    if flexible:
        c.skip_tags()
    if key == 18:
        return (f"software {c.string(True)} {c.string(True)}" if version >= 3
                else "empty body")
    if key == 10:
        return f"group {c.string(flexible)!r}"
    if flexible:
        return None
    if key == 3:
        n = c.array_len()
        topics = "all topics (null)" if n < 0 else (
            "topics [" + ", ".join(c.string() for _ in range(n)) + "]")
        if version >= 4:
            topics += f" allow_auto_create={bool(c.i8())}"
        return topics
    if key == 1:
        c.i32()
        wait, min_bytes = c.i32(), c.i32()
        if version >= 3:
            c.i32()
        iso = c.i8() if version >= 4 else 0
        if version >= 7:
            c.i32(), c.i32()
        parts = []
        for _ in range(c.array_len()):
            topic = c.string()
            for _ in range(c.array_len()):
                p = c.i32()
                if version >= 9:
                    c.i32()
                offset = struct.unpack(">q", c.take(8))[0]
                if version >= 5:
                    c.take(8)
                c.i32()
                parts.append(f"{topic}[{p}]@{offset}")
        return f"max_wait={wait} min_bytes={min_bytes} isolation={iso} " + " ".join(parts)
    if key == 2:
        c.i32()
        if version >= 2:
            c.i8()
        parts = []
        for _ in range(c.array_len()):
            topic = c.string()
            for _ in range(c.array_len()):
                p = c.i32()
                if version >= 4:
                    c.i32()
                ts = struct.unpack(">q", c.take(8))[0]
                if version == 0:
                    c.i32()
                parts.append(f"{topic}[{p}] timestamp {ts}")
        return " ".join(parts)
    return None


def summary(frame, client_id):
    key, version, _, _, c = parse_header(frame)
    text = f"client_id={client_id!r}"
    if key != 0:
        try:
            body = describe_request(key, version, c)
        except ValueError:
            body = None
        return (f"{text} {body}" if body else text), [], []
    acks, parts = parse_produce(frame)
    descs, seeds, payloads = [], [], []
    for topic, index, records in parts:
        d, p = describe_records(records)
        descs.append(f"{topic}[{index}]: {d}")
        seeds.append(records)
        payloads += p
    return f"{text} acks={acks} " + "; ".join(descs), seeds, payloads


def normalized(frame):
    return frame[:4] + b"\0\0\0\0" + frame[8:]  # correlation id aside


def select(raw_client_dir):
    rows = list(csv.reader(open(os.path.join(raw_client_dir, "capture.tsv")), delimiter="\t"))
    seen, per_version, kept = set(), collections.Counter(), []
    for fname, scenario, _conn, _size in rows:
        frame = open(os.path.join(raw_client_dir, fname), "rb").read()
        if len(frame) < 8:
            continue
        key, version = struct.unpack(">hh", frame[:4])
        norm = normalized(frame)
        if norm in seen:
            continue
        seen.add(norm)
        if per_version[(key, version)] >= KEEP.get(key, KEEP_DEFAULT):
            continue
        per_version[(key, version)] += 1
        kept.append((fname, scenario, frame))
    return kept


def write_seed(directory, prefix, data):
    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(directory, f"capture-{prefix}-{digest}"), "wb") as f:
        f.write(data)


def clear_seeds(seeds_dir):
    for name in ("fuzz_request", "fuzz_record_batch", "fuzz_decompress"):
        d = os.path.join(seeds_dir, name)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f.startswith("capture-"):
                    os.remove(os.path.join(d, f))


def main():
    args = sys.argv[1:]
    add = args[:1] == ["--add"]
    raw, fixtures, seeds = args[1:4] if add else args[0:3]
    manifest = [("file", "client", "api", "version", "contents")]
    have = set()  # (client, api key, version) with a fixture
    if add:
        with open(os.path.join(fixtures, "MANIFEST.tsv")) as f:
            for row in list(csv.reader(f, delimiter="\t"))[1:]:
                manifest.append(tuple(row))
                key = int(os.path.basename(row[0]).split("-")[1].split("_")[0])
                have.add((row[1], key, int(row[3])))
    else:
        if os.path.isdir(fixtures):
            shutil.rmtree(fixtures)
        os.makedirs(fixtures)
        clear_seeds(seeds)
    kept_before = len(manifest) - 1
    total = 0
    for client in sorted(os.listdir(raw)):
        if not os.path.isfile(os.path.join(raw, client, "capture.tsv")):
            continue
        os.makedirs(os.path.join(fixtures, client), exist_ok=True)
        for fname, scenario, frame in select(os.path.join(raw, client)):
            key, version, _, client_id, _ = parse_header(frame)
            if add and (client, key, version) in have:
                continue
            api = fname.split("_")[1]
            text, records, payloads = summary(frame, client_id)
            rel = f"{client}/{fname}"
            with open(os.path.join(fixtures, rel), "wb") as f:
                f.write(frame)
            total += len(frame)
            manifest.append((rel, client, api, str(version), f"{scenario}: {text}"))
            write_seed(os.path.join(seeds, "fuzz_request"), client, frame)
            for r in records:
                write_seed(os.path.join(seeds, "fuzz_record_batch"), client, b"\x02" + r)
            for p in payloads:
                write_seed(os.path.join(seeds, "fuzz_decompress"), client, p)
    head, rows = manifest[0], sorted(manifest[1:])
    with open(os.path.join(fixtures, "MANIFEST.tsv"), "w") as f:
        for row in [head] + rows:
            f.write("\t".join(row) + "\n")
    print(f"{len(rows)} fixtures ({len(rows) - kept_before} new, {total} bytes) in {fixtures}")


if __name__ == "__main__":
    main()
