"""kcat helpers shared by the integration tests: binary-safe consumption of a topic."""

import subprocess

# Header line with partition, offset, key length, value length and timestamp, then the raw
# key and value bytes: nothing in a key or value can confuse the parser.
FORMAT = "%p %o %K %S %T\\n%k%s"


def parse(raw):
    """kcat -f FORMAT output -> list of (partition, offset, key, value, timestamp).
    A NULL key or value (length -1) comes back as None."""
    out = []
    pos = 0
    while pos < len(raw):
        nl = raw.index(b"\n", pos)
        p, o, klen, vlen, ts = (int(x) for x in raw[pos:nl].split())
        pos = nl + 1
        key = raw[pos:pos + klen] if klen >= 0 else None
        pos += max(klen, 0)
        value = raw[pos:pos + vlen] if vlen >= 0 else None
        pos += max(vlen, 0)
        out.append((p, o, key, value, ts))
    return out


def consume(bootstrap, topic, partition=None, extra=(), timeout=120):
    """Reads a topic (or one partition) from the beginning to its end with `kcat -C -e`,
    verifying CRCs. Returns (records, CompletedProcess)."""
    args = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
            "-X", "check.crcs=true", "-m", "10", "-f", FORMAT]
    if partition is not None:
        args += ["-p", str(partition)]
    r = subprocess.run(args + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return parse(r.stdout), r


def by_partition(records):
    """{partition: [(offset, key, value, timestamp), ...]} in the order read."""
    out = {}
    for p, o, k, v, ts in records:
        out.setdefault(p, []).append((o, k, v, ts))
    return out
