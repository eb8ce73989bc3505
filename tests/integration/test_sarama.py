#!/usr/bin/python3
"""sarama 1.22.1 (Go, Debian golang-github-shopify-sarama-dev) against Fjord.

Builds tests/integration/sarama (GOPATH mode, offline) into a temp dir, starts a broker
with 3 partitions per auto-created topic and runs the Go program once per case. Each run
produces 2,000 messages with a SyncProducer and reads them back with a group-less
Consumer from OffsetOldest (see sarama/main.go for its checks). Cases:
  default Config (Version 0.8.2.0: Metadata v0, Produce v0 with magic 0, Fetch v0,
      ListOffsets v0) with no compression, gzip and snappy (sarama cannot use lz4 there);
  Version 0.10.2.0 (magic 1, Produce v2, Fetch v3, ListOffsets v1): none/gzip/snappy/lz4;
  Version 2.0.0.0 (magic 2, Produce v3, Fetch v4): none/gzip/snappy/lz4;
  data written by 2.0.0.0 read by the default consumer (Fetch v0 down-conversion) and
      data written by the default producer read by a 2.0.0.0 consumer;
  Version 2.1.0.0 with zstd: sarama 1.22.1 sends it in Produce v3, which Kafka refuses
      with UNSUPPORTED_COMPRESSION_TYPE (76).
After each run the stored batches are checked to carry the codec the producer used.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
import segments  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOPATH = "/usr/share/gocode"
PARTITIONS = 3
N = 2000
CASES = [  # (producer version, codec, consumer version)
    ("default", "none", None),
    ("default", "gzip", None),
    ("default", "snappy", None),
    ("0.10.2.0", "none", None),
    ("0.10.2.0", "gzip", None),
    ("0.10.2.0", "snappy", None),
    ("0.10.2.0", "lz4", None),
    ("2.0.0", "none", None),
    ("2.0.0", "gzip", None),
    ("2.0.0", "snappy", None),
    ("2.0.0", "lz4", None),
    ("2.0.0", "gzip", "default"),
    ("default", "snappy", "2.0.0"),
]


def build(c, out_dir):
    if not os.path.isdir(os.path.join(GOPATH, "src/github.com/Shopify/sarama")):
        c.check(False, "sarama sources installed",
                f"no {GOPATH}/src/github.com/Shopify/sarama: run tools/install-deps.sh --test")
        return None
    exe = os.path.join(out_dir, "sarama-it")
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="",
               CGO_CFLAGS="-g -O2 -Wno-deprecated-declarations")
    if not os.access(os.path.expanduser("~"), os.W_OK):
        env["GOCACHE"] = os.path.join(out_dir, "gocache")
    t = time.time()
    try:
        r = subprocess.run(["go", "build", "-o", exe, "./sarama"], cwd=HERE, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    except FileNotFoundError:
        c.check(False, "go toolchain installed", "no `go`: run tools/install-deps.sh --test")
        return None
    ok = c.check(r.returncode == 0, f"go build of the sarama program ({time.time() - t:.0f}s)",
                 r.stdout.decode(errors="replace")[-2000:])
    return exe if ok else None


def run(c, exe, b, topic, version, codec, consumer_version=None, expect_error=None):
    args = [exe, "-brokers", b.bootstrap, "-topic", topic, "-version", version,
            "-compression", codec, "-n", str(N)]
    if consumer_version:
        args += ["-consumer-version", consumer_version]
    if expect_error:
        args += ["-expect-produce-error", str(expect_error)]
    label = f"{version}/{codec}" + (f" read by {consumer_version}" if consumer_version else "")
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        out = r.stdout.decode(errors="replace")
        rc = r.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + "\n(timed out)"
        rc = -1
    sys.stdout.write(out)
    c.check(rc == 0, f"[{label}] sarama program passes", f"exit {rc}")


def main():
    c = Checks("sarama")
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="sarama-it-") as tmp:
        exe = build(c, tmp)
        if exe is None:
            return c.summary()
        with Broker({"num.partitions": str(PARTITIONS)}, name="sarama") as b:
            b.start()
            for version, codec, consumer_version in CASES:
                topic = f"sarama-{version}-{codec}" + (f"-{consumer_version}"
                                                       if consumer_version else "")
                run(c, exe, b, topic, version, codec, consumer_version)
                ok, detail = segments.check_codec(
                    [b.partition_dir(topic, p) for p in range(PARTITIONS)], codec, small=0)
                c.check(ok, f"[{version}/{codec}] stored batches are magic 2 / {codec}", detail)
            run(c, exe, b, "sarama-zstd", "2.1.0", "zstd", expect_error=76)
            if c.failed:
                print("broker log tail:\n" + b.log_tail(20))
    print(f"  total {time.time() - start:.1f}s")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
