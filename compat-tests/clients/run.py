#!/usr/bin/python3
"""The client matrix: real Kafka clients' scenarios against one live Fjord broker.

    compat-tests/clients/run.py [--clients kafkajs,sarama-max] [--scenarios ID,GLOB,...]
                                [--timeout S] [--run-dir D] [--strict]

Every row of scenarios.tsv (id, client, scenario, feature, expected, waits_on, notes) runs
as one driver process with a wall-clock limit, against one broker started for the whole run
(FJORD_BIN, default <repo>/build/server/fjord) on a free 127.0.0.1 port with a fresh data
directory, 3 partitions per auto-created topic and group.initial.rebalance.delay.ms=0 (so
the group scenarios do not wait 3 s per join). Drivers:
  kafka-python           kafka_python.py  (/usr/bin/python3, Debian python3-kafka 2.0.2)
  confluent-kafka        confluent.py     (python3-confluent-kafka 1.7.0, librdkafka 2.0.2)
  confluent-kafka-2.15.1 confluent.py with the compat-tests build of librdkafka 2.15.1
                         loaded instead (skipped when compat-tests/build-suites.sh has not
                         built it)
  sarama-default/-max    sarama/main.go, built offline in GOPATH mode against Debian's
                         golang-github-shopify-sarama-dev 1.22.1 into the client cache;
                         -version default (0.8.2.0) or max (sarama.MaxVersion, 2.2.0.0)
  kafkajs                kafkajs.js, kafkajs 2.2.4 from npm in the client cache
The client cache is $FJORD_CLIENTS_DIR (default ~/.cache/fjord-clients, shared with
tools/capture_fixtures.sh). A driver prints ok/FAIL lines and exits 0 (pass), 77 (skip) or
anything else (fail). A codec scenario also writes what its producer had acknowledged to
$FJORD_EXPECT_FILE; the runner then reads that topic back with kcat (CRCs checked: every
record at its offset, byte-equal, nothing more) and checks the stored batches carry the
codec, so the writing client is not the only witness.

Verdicts: a scenario expected to pass that fails or times out is a REGRESSION (exit status
1); an expected-fail scenario that passes is an UNEXPECTED PASS (reported, to flip its row);
a broker that died fails the scenario it died in and is restarted on a new data directory.
Skipped expected-pass scenarios (a client not installed) only make the exit status non-zero
with --strict. Output: a table and `N passed, M failed, K skipped`; the table, the summary
and each scenario's output (<id>.log) and the broker log are kept in the run directory.
"""

import argparse
import csv
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from fjordtest import Broker, BrokerError  # noqa: E402
import kcatutil  # noqa: E402
import segments  # noqa: E402

PY = "/usr/bin/python3"  # Debian's python, with python3-kafka and python3-confluent-kafka
GOPATH = "/usr/share/gocode"
KAFKAJS = "2.2.4"
BROKER_SETTINGS = {
    "num.partitions": "3",
    "auto.create.topics.enable": "true",
    "delete.topic.enable": "true",
    "group.initial.rebalance.delay.ms": "0",
}


def clients_dir():
    return os.environ.get("FJORD_CLIENTS_DIR",
                          os.path.join(os.path.expanduser("~"), ".cache", "fjord-clients"))


def compat_cache():
    return os.environ.get("FJORD_COMPAT_CACHE",
                          os.path.join(os.path.expanduser("~"), ".cache", "fjord-compat"))


def load_scenarios(path):
    with open(path) as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


# ---------------------------------------------------------------------------------------------
# Clients: each setup returns (argv prefix builder, extra env) or raises Missing(reason).

class Missing(Exception):
    pass


def _python_module(mod, want_version=None):
    code = f"import {mod}; print(getattr({mod}, '__version__', ''))"
    try:
        r = subprocess.run([PY, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
    except FileNotFoundError:
        raise Missing(f"no {PY}")
    if r.returncode != 0:
        raise Missing(f"{PY} cannot import {mod} (tools/install-deps.sh --test)")
    if want_version and r.stdout.strip() != want_version:
        raise Missing(f"{mod} is {r.stdout.strip()}, not {want_version}")


def setup_kafka_python(_):
    _python_module("kafka", "2.0.2")
    return lambda scen, b: [PY, os.path.join(HERE, "kafka_python.py"), scen, b], {}


def setup_confluent(_):
    _python_module("confluent_kafka")
    return lambda scen, b: [PY, os.path.join(HERE, "confluent.py"), scen, b], {}


def setup_confluent_215(_):
    _python_module("confluent_kafka")
    lib = os.path.join(compat_cache(), "build", "librdkafka-2.15.1", "src")
    if not os.path.exists(os.path.join(lib, "librdkafka.so.1")):
        raise Missing(f"no librdkafka 2.15.1 build in {lib} (compat-tests/build-suites.sh 2.15.1)")
    env = {"LD_LIBRARY_PATH": ":".join(filter(None, [lib, os.environ.get("LD_LIBRARY_PATH")]))}
    return lambda scen, b: [PY, os.path.join(HERE, "confluent.py"), scen, b], env


_sarama_exe = {}


def build_sarama(log):
    """Builds sarama/main.go once per run into the client cache (again when a source is newer)."""
    if "exe" in _sarama_exe:
        return _sarama_exe["exe"]
    if not os.path.isdir(os.path.join(GOPATH, "src/github.com/Shopify/sarama")):
        raise Missing("no golang-github-shopify-sarama-dev (tools/install-deps.sh --test)")
    if not shutil.which("go"):
        raise Missing("no go toolchain (tools/install-deps.sh --test)")
    out = os.path.join(clients_dir(), "go")
    os.makedirs(out, exist_ok=True)
    exe = os.path.join(out, "sarama-matrix")
    src = os.path.join(HERE, "sarama", "main.go")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="",
                   CGO_CFLAGS="-g -O2 -Wno-deprecated-declarations")
        t = time.time()
        tmp = f"{exe}.{os.getpid()}.tmp"
        r = subprocess.run(["go", "build", "-o", tmp, "./sarama"], cwd=HERE, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=900)
        if r.returncode != 0:
            raise RuntimeError(f"go build of compat-tests/clients/sarama failed:\n{r.stdout}")
        os.replace(tmp, exe)
        log(f"clients: built {exe} ({time.time() - t:.0f}s)")
    _sarama_exe["exe"] = exe
    return exe


def setup_sarama(version):
    def setup(log):
        exe = build_sarama(log)
        return (lambda scen, b: [exe, "-version", version, "-scenario", scen, "-brokers", b]), {}
    return setup


def setup_kafkajs(log):
    if not shutil.which("node"):
        raise Missing("no node (tools/install-deps.sh --test)")
    node_dir = os.path.join(clients_dir(), "node")
    pkg = os.path.join(node_dir, "node_modules", "kafkajs", "package.json")
    if not os.path.exists(pkg):
        if not shutil.which("npm"):
            raise Missing("kafkajs not installed and no npm")
        os.makedirs(node_dir, exist_ok=True)
        log(f"clients: npm install kafkajs@{KAFKAJS} into {node_dir}")
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent",
                            f"kafkajs@{KAFKAJS}"], cwd=node_dir, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=600)
        if r.returncode != 0:
            raise Missing(f"npm install kafkajs@{KAFKAJS} failed: {r.stdout[-300:]}")
    with open(pkg) as f:
        version = json.load(f).get("version")
    if version != KAFKAJS:
        raise Missing(f"kafkajs in {node_dir} is {version}, not {KAFKAJS}")
    env = {"NODE_PATH": os.path.join(node_dir, "node_modules"),
           "KAFKAJS_NO_PARTITIONER_WARNING": "1"}
    return lambda scen, b: ["node", os.path.join(HERE, "kafkajs.js"), scen, b], env


CLIENTS = {
    "kafka-python": setup_kafka_python,
    "confluent-kafka": setup_confluent,
    "confluent-kafka-2.15.1": setup_confluent_215,
    "sarama-default": setup_sarama("default"),
    "sarama-max": setup_sarama("max"),
    "kafkajs": setup_kafkajs,
}


# ---------------------------------------------------------------------------------------------

def first_failure(output):
    for line in output.splitlines():
        s = line.strip()
        if s.startswith("FAIL") or s.startswith("panic:") or "Traceback" in s:
            return s[:300]
    tail = [ln.strip() for ln in output.splitlines() if ln.strip()]
    return tail[-1][:300] if tail else ""


def verify_codec(broker, expect_path):
    """Reads the topic of a codec scenario back with kcat and checks the stored batches.
    Returns None when everything matches, else the first problem."""
    if not os.path.exists(expect_path):
        return "the driver wrote no expect file"
    with open(expect_path) as f:
        head = json.loads(f.readline())
        want = {}
        for line in f:
            r = json.loads(line)
            want[(r["p"], r["o"])] = (None if r["k"] is None else bytes.fromhex(r["k"]),
                                      None if r["v"] is None else bytes.fromhex(r["v"]))
    if not shutil.which("kcat"):
        return "no kcat to read the topic back"
    records, proc = kcatutil.consume(broker.bootstrap, head["topic"], timeout=60)
    if proc.returncode != 0:
        return f"kcat exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-200:]}"
    got = {(p, o): (k, v) for p, o, k, v, _ in records}
    if len(records) != len(want) or got.keys() != want.keys():
        return (f"kcat reads {len(records)} records at {len(got)} offsets, the producer had "
                f"{len(want)} acknowledged")
    bad = [pos for pos in want if got[pos] != want[pos]]
    if bad:
        return f"kcat reads other bytes at {len(bad)} offsets, e.g. {bad[0]}"
    ok, detail = segments.check_codec(
        [broker.partition_dir(head["topic"], p) for p in range(head["partitions"])],
        head["codec"])
    if not ok:
        return f"stored batches: {detail}"
    return None


def run_scenario(row, argv, env, broker, run_dir, timeout):
    """-> (result PASS|FAIL|TIMEOUT|SKIP, seconds, detail)."""
    sid = row["id"]
    safe = sid.replace(":", "_").replace("/", "_")
    log_path = os.path.join(run_dir, f"{safe}.log")
    expect = os.path.join(run_dir, f"{safe}.expect.jsonl")
    full_env = dict(os.environ, **env, FJORD_EXPECT_FILE=expect)
    t = time.time()
    timed_out = False
    with open(log_path, "w") as log:
        log.write(f"$ {' '.join(argv)}\n")
        log.flush()
        proc = subprocess.Popen(argv, cwd=HERE, env=full_env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        text = out.decode("utf-8", "replace")
        log.write(text)
    secs = time.time() - t
    if timed_out:
        return "TIMEOUT", secs, f"no result within {timeout}s; {first_failure(text)}"
    if proc.returncode == 77:
        return "SKIP", secs, first_failure(text) or "skipped by the driver"
    if proc.returncode != 0:
        return "FAIL", secs, first_failure(text) or f"exit status {proc.returncode}"
    if row["scenario"].startswith("codec-") and os.path.exists(expect):
        problem = verify_codec(broker, expect)
        with open(log_path, "a") as log:
            log.write(f"runner: kcat read-back and stored codec: {problem or 'ok'}\n")
        if problem:
            return "FAIL", time.time() - t, f"read back with kcat: {problem}"
    return "PASS", time.time() - t, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", help="comma-separated client names (default: all)")
    ap.add_argument("--scenarios", help="comma-separated ids or globs, e.g. 'kafkajs:*,*:txn-*'")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per scenario")
    ap.add_argument("--run-dir", help="where logs go (default: a new temp dir, kept)")
    ap.add_argument("--strict", action="store_true",
                    help="expected-pass scenarios that are skipped (client missing) fail the run")
    ap.add_argument("--out", help="also write the table and summary to this file")
    ap.add_argument("--manifest", default=os.path.join(HERE, "scenarios.tsv"),
                    help="the scenario table (default: scenarios.tsv beside this script)")
    args = ap.parse_args()

    rows = load_scenarios(args.manifest)
    seen = set()
    for r in rows:
        bad = (r["id"] in seen or r["client"] not in CLIENTS
               or r["expected"] not in ("pass", "fail")
               or r["id"] != f"{r['client']}:{r['scenario']}")
        if bad:
            ap.error(f"{args.manifest}: bad row {r}")
        seen.add(r["id"])
    if args.clients:
        wanted = set(args.clients.split(","))
        unknown = wanted - set(CLIENTS)
        if unknown:
            ap.error(f"unknown clients {sorted(unknown)}; known: {sorted(CLIENTS)}")
        rows = [r for r in rows if r["client"] in wanted]
    if args.scenarios:
        pats = args.scenarios.split(",")
        rows = [r for r in rows if any(fnmatch.fnmatchcase(r["id"], p) for p in pats)]
    if not rows:
        ap.error("no scenario selected")
    run_dir = args.run_dir or tempfile.mkdtemp(prefix="fjord-clients-")
    os.makedirs(run_dir, exist_ok=True)

    def log(msg):
        print(msg, flush=True)

    setups = {}
    for client in dict.fromkeys(r["client"] for r in rows):
        try:
            setups[client] = CLIENTS[client](log)
        except Missing as e:
            setups[client] = e
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"clients: {client}: {e}", file=sys.stderr)
            return 2

    def new_broker():
        b = Broker(BROKER_SETTINGS, name="clients")
        b.start()
        return b

    try:
        broker = new_broker()
    except BrokerError as e:
        print(f"clients: {e}", file=sys.stderr)
        return 2
    brokers = [broker]
    log(f"clients: {len(rows)} scenarios against {broker.binary} on {broker.bootstrap}, "
        f"logs in {run_dir}")
    header = f"{'id':<38} {'expect':<6} {'result':<8} {'secs':>6}  detail"
    log(header)
    results = []
    deaths = []
    t_all = time.time()
    for row in rows:
        setup = setups[row["client"]]
        if isinstance(setup, Exception):
            res, secs, detail = "SKIP", 0.0, str(setup)
        else:
            argv_for, env = setup
            res, secs, detail = run_scenario(row, argv_for(row["scenario"], broker.bootstrap),
                                             env, broker, run_dir, args.timeout)
            if not broker.running():
                n = len(brokers) - 1
                saved = os.path.join(run_dir, f"broker{n if n else ''}.log")
                deaths.append((row["id"], saved))
                res = "FAIL"
                detail = f"BROKER DIED (exit {broker.proc.returncode}, log {saved}); {detail}"
                broker = new_broker()
                brokers.append(broker)
        if row["expected"] == "fail" and res != "PASS" and row["waits_on"] != "-":
            detail = f"[expected: waits on {row['waits_on']}] {detail}"
        results.append((row, res, secs, detail))
        log(f"{row['id']:<38} {row['expected']:<6} {res:<8} {secs:6.1f}  {detail[:160]}")
    for b in brokers:
        try:
            b.stop()
        except BrokerError as e:
            deaths.append(("shutdown", str(e)))
    # The broker logs stay with the run (Broker.close() would remove its temp dir).
    for i, b in enumerate(brokers):
        shutil.copy(b.log_path, os.path.join(run_dir, f"broker{i if i else ''}.log"))
        b.close()

    elapsed = time.time() - t_all
    n_pass = sum(r[1] == "PASS" for r in results)
    n_skip = sum(r[1] == "SKIP" for r in results)
    n_fail = len(results) - n_pass - n_skip
    regressions = [r for r in results if r[0]["expected"] == "pass" and r[1] in ("FAIL", "TIMEOUT")]
    skipped_expected = [r for r in results if r[0]["expected"] == "pass" and r[1] == "SKIP"]
    unexpected = [r for r in results if r[0]["expected"] != "pass" and r[1] == "PASS"]
    waiting = {}
    for r in results:
        if r[0]["expected"] == "fail" and r[1] in ("FAIL", "TIMEOUT"):
            waiting.setdefault(r[0]["waits_on"], []).append(r[0]["id"])

    lines = [header] + [f"{row['id']:<38} {row['expected']:<6} {res:<8} {secs:6.1f}  {d}"
                        for row, res, secs, d in results] + [""]
    for sid, where in deaths:
        lines.append(f"BROKER FAILURE during {sid}: see {where}")
    for row, res, _, d in regressions:
        lines.append(f"regression: {row['id']} is expected to pass but got {res}: {d}")
    for row, _, _, d in skipped_expected:
        lines.append(f"skipped: {row['id']} is expected to pass but was skipped: {d}")
    for row, _, _, _ in unexpected:
        lines.append(f"unexpected pass: {row['id']} (expected fail, waits on {row['waits_on']})"
                     ": flip it to expected=pass in compat-tests/clients/scenarios.tsv")
    for what, ids in sorted(waiting.items()):
        lines.append(f"expected failures waiting on {what}: {len(ids)}")
    lines.append(f"total time {elapsed:.0f}s; logs in {run_dir}")
    lines.append(f"{n_pass} passed, {n_fail} failed, {n_skip} skipped")
    text = "\n".join(lines) + "\n"
    for path in filter(None, [os.path.join(run_dir, "results.txt"), args.out]):
        with open(path, "w") as f:
            f.write(text)
    print("\n".join(lines[len(results) + 2:]), flush=True)
    bad = regressions or deaths or (args.strict and skipped_expected)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
