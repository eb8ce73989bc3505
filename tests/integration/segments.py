"""Reads the record batches stored in a partition directory (docs/storage.md, section 2.1).

Only batch headers are parsed: enough to see which codec and magic a client really sent,
where each batch starts (to tear or corrupt one on purpose) and which offsets it holds.
"""

import os
import struct
from dataclasses import dataclass

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
HEADER = 61  # bytes of a v2 batch header, up to the first record


@dataclass
class Batch:
    path: str           # the .log file
    position: int       # byte position of the batch in that file
    size: int           # bytes the batch occupies (12 + batchLength)
    base_offset: int
    last_offset: int
    magic: int
    attributes: int
    base_timestamp: int
    max_timestamp: int
    record_count: int

    @property
    def codec(self):
        return CODECS.get(self.attributes & 7, f"codec{self.attributes & 7}")


def segment_files(partition_dir):
    """The partition's .log files, oldest first."""
    names = sorted(n for n in os.listdir(partition_dir) if n.endswith(".log"))
    return [os.path.join(partition_dir, n) for n in names]


def read_batches(path):
    """Every whole batch of one .log file; a torn tail is ignored."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    pos = 0
    while pos + HEADER <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        size = 12 + length
        if length < HEADER - 12 or pos + size > len(data):
            break
        magic = data[pos + 16]
        attrs, last_delta, base_ts, max_ts = struct.unpack_from(">hiqq", data, pos + 21)
        count, = struct.unpack_from(">i", data, pos + 57)
        out.append(Batch(path, pos, size, base, base + last_delta, magic, attrs, base_ts, max_ts,
                         count))
        pos += size
    return out


def partition_batches(partition_dir):
    """Every batch of the partition, in offset order."""
    out = []
    for path in segment_files(partition_dir):
        out.extend(read_batches(path))
    return out


def check_codec(partition_dirs, codec, small=10):
    """Whether the batches of these partitions were stored with `codec`.

    Producers (librdkafka, kafka-python) send a batch uncompressed when compressing did not
    make it smaller, which happens for batches of a few records: uncompressed batches of at
    most `small` records are tolerated, provided at least one batch carries the codec.
    Returns (ok, detail)."""
    counts = {}
    big_plain = []
    for d in partition_dirs:
        for bt in partition_batches(d):
            counts[(bt.magic, bt.codec)] = counts.get((bt.magic, bt.codec), 0) + 1
            if codec != "none" and bt.codec == "none" and bt.record_count > small:
                big_plain.append(f"{os.path.basename(d)}@{bt.base_offset}: "
                                 f"{bt.record_count} records")
    ok = (set(counts) <= {(2, codec), (2, "none")} and (2, codec) in counts and not big_plain)
    detail = f"batches by (magic, codec): {counts}"
    if big_plain:
        detail += f"; uncompressed batches of many records: {big_plain[:3]}"
    return ok, detail
