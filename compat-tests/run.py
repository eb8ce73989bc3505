#!/usr/bin/env python3
"""Runs librdkafka's own test suite against a live Fjord broker.

Each test id (the 4-digit number of a tests/0nnn-*.c file; one id may hold several test
functions) runs in its own test-runner process with a wall-clock limit, against one Fjord
broker started for the whole run on a free port with a fresh data directory. The broker is
restarted (on a new data directory) only if it died or stopped answering, and that is recorded
as a failure of the test during which it happened: the broker must never die.

Results are checked against the suite's catalogue (catalogue-<suite>.tsv): a test listed
expected=pass that does not pass is a regression and makes the exit status non-zero; a test
that passes without being listed expected=pass is reported as an unexpected pass.

Output: a table (id, result, seconds, first failure line) on stdout and in
<run dir>/results.txt, then "N passed, M failed, K skipped".

Environment: FJORD_BIN (default <repo>/build/server/fjord), FJORD_COMPAT_CACHE (default
~/.cache/fjord-compat; suites are built there by build-suites.sh when missing).
"""

import argparse
import csv
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SUITES = ("2.0.2", "2.15.1")
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\(B")

# Broker settings the suite assumes: those of the trivup clusters librdkafka's CI uses
# (tests/scenarios/default.json and trivup's server.properties), on one node.
BROKER_SETTINGS = {
    "auto.create.topics.enable": "true",
    "num.partitions": "4",
    "delete.topic.enable": "true",
    "default.replication.factor": "1",
    "message.max.bytes": "1048588",  # Kafka's default
    # group.initial.rebalance.delay.ms stays at Kafka's 3000: 0089 counts on two consumers
    # that subscribe together landing in the same first generation.
    # 0059 produces records stamped in 1970 and reads them back seconds later; a retention
    # check in between deletes them (Kafka's would too). No time retention keeps runs stable.
    "log.retention.ms": "-1",
}
# What each of the suite's scenarios (tests/scenarios/*.json) changes.
SCENARIO_SETTINGS = {
    "default": {},
    "ak23": {},
    "noautocreate": {"auto.create.topics.enable": "false"},
}


def cache_dir():
    return os.environ.get("FJORD_COMPAT_CACHE",
                          os.path.join(os.path.expanduser("~"), ".cache", "fjord-compat"))


# ---------------------------------------------------------------------------------------------
# The suite: which tests tests/test.c declares.

def _split_args(text):
    """Splits a C argument list at top-level commas."""
    args, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        args.append("".join(cur).strip())
    return args


def _brkver(expr):
    m = re.match(r"TEST_BRKVER\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", expr)
    return tuple(int(x) for x in m.groups()) if m else None


def parse_suite(test_c):
    """Returns {id: [entry]} in file order; entry = dict(name, flags, minver, maxver,
    scenario). Entries come from the tests[] array of tests/test.c."""
    with open(test_c, encoding="utf-8", errors="replace") as f:
        src = f.read()
    start = src.index("struct test tests[] = {")
    end = src.index("\n};", start)
    body = re.sub(r"/\*.*?\*/", "", src[start:end], flags=re.S)
    body = re.sub(r"^\s*#.*$", "", body, flags=re.M)
    suite = {}
    pos = 0
    while True:
        i = body.find("_TEST(", pos)
        if i < 0:
            break
        j, depth = i + len("_TEST("), 1
        while depth:
            depth += {"(": 1, ")": -1}.get(body[j], 0)
            j += 1
        pos = j
        args = _split_args(body[i + len("_TEST("):j - 1])
        entry = {"name": args[0], "flags": set(), "minver": None, "maxver": None,
                 "scenario": "default"}
        entry["flags"] = {f.strip() for f in args[1].split("|") if f.strip() not in ("", "0")}
        positional = 0
        for a in args[2:]:
            if a.startswith(".scenario"):
                entry["scenario"] = a.split("=", 1)[1].strip().strip('"')
            elif a.startswith("TEST_BRKVER"):
                entry["minver" if positional == 0 else "maxver"] = _brkver(a)
                positional += 1
        suite.setdefault(args[0][:4], []).append(entry)
    return suite


def broker_entries(entries):
    """The entries of one id that talk to a broker: not local-only, not manual, and not one of
    the few mock-cluster tests that lack TEST_F_LOCAL (their names end in _mock)."""
    return [e for e in entries if not e["flags"] & {"TEST_F_LOCAL", "TEST_F_MANUAL"}
            and not e["name"].endswith("_mock")]


# ---------------------------------------------------------------------------------------------
# The catalogue.

CATALOGUE_COLUMNS = ["id", "tests", "feature", "applies", "expected", "reason"]
# catalogue-2.15.1.tsv also has `consumer` and `consumer_reason`: the expected result of a run
# with --group-protocol consumer (group.protocol=consumer, KIP-848).


def expected_column(args):
    """The catalogue column that says which tests must pass in this run."""
    return "consumer" if args.group_protocol == "consumer" else "expected"


def load_catalogue(suite):
    path = os.path.join(HERE, f"catalogue-{suite}.tsv")
    rows = {}
    if not os.path.exists(path):
        return path, rows
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader((line for line in f if not line.startswith("#")),
                                  delimiter="\t"):
            rows[row["id"]] = row
    return path, rows


# ---------------------------------------------------------------------------------------------
# The broker.

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_versions_probe(port, timeout=5.0):
    """True if the broker answers an ApiVersions v0 request within timeout."""
    req = struct.pack(">hhih", 18, 0, 7, len("probe")) + b"probe"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(req)) + req)
            head = s.recv(8)
            return len(head) == 8 and struct.unpack(">ii", head)[1] == 7
    except OSError:
        return False


class Broker:
    def __init__(self, binary, run_dir, scenario="default"):
        self.binary = binary
        self.scenario = scenario
        suffix = "" if scenario == "default" else f"-{scenario}"
        self.data_dir = os.path.join(run_dir, f"data{suffix}")
        self.log_path = os.path.join(run_dir, f"broker{suffix}.log")
        self.conf_path = os.path.join(run_dir, f"test{suffix}.conf")
        self.proc = None
        self.port = None
        self.starts = 0

    def start(self, fresh=False):
        if fresh and os.path.exists(self.data_dir):
            shutil.rmtree(self.data_dir)
        os.makedirs(self.data_dir, exist_ok=True)
        # A fixed port keeps test.conf valid across restarts.
        if self.port is None:
            self.port = free_port()
        args = [self.binary,
                "--override", f"listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "--override", f"log.dirs={self.data_dir}"]
        for k, v in dict(BROKER_SETTINGS, **SCENARIO_SETTINGS[self.scenario]).items():
            args += ["--override", f"{k}={v}"]
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"==== fjord start #{self.starts}: {' '.join(args)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fjord exited with {self.proc.returncode} at startup; "
                                   f"see {self.log_path}")
            if api_versions_probe(self.port, timeout=1.0):
                return
            time.sleep(0.1)
        raise RuntimeError(f"fjord did not answer on port {self.port}; see {self.log_path}")

    def restart_fresh(self):
        """Starts again on an empty data directory, keeping the old one for inspection: one
        crash should not decide the results of the tests after it."""
        kept = f"{self.data_dir}.crash{self.starts}"
        if os.path.exists(self.data_dir):
            os.rename(self.data_dir, kept)
        self.start()

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_slice(self, start):
        with open(self.log_path, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")

    def health(self):
        """None if healthy, else a description of what is wrong."""
        rc = self.proc.poll()
        if rc is not None:
            how = f"signal {-rc}" if rc < 0 else f"exit code {rc}"
            return f"broker died ({how})"
        if not api_versions_probe(self.port):
            return "broker stopped answering ApiVersions"
        return None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------------------
# Running one test.

SUMMARY_LINE = re.compile(r"^\|\s*(\S+)\s*\|\s*(PASSED|FAILED|SKIPPED|RUNNING|DNS)\s*\|"
                          r"\s*([\d.]+)s\s*\|\s?(.*)$")
FAIL_HEAD = re.compile(r'### Test "([^"]+)" failed at ([^:]+):(\d+):([^(]*)\(\) at [^#]*###')


def first_failure(output):
    """The first failure as 'file:line: message', from test.c's failure banner."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = FAIL_HEAD.search(line)
        if m:
            msg = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return f"{m.group(2)}:{m.group(3)}: {msg}"
    return ""


SUBTEST_BANNER = re.compile(r"\] \[ [A-Za-z_0-9]+:\d+(:|\s*\])")


def uses_full_only_subtests(suite_dir, tid):
    """True if the test's source has SUB_TEST()s that quick mode skips."""
    for name in os.listdir(os.path.join(suite_dir, "tests")):
        if name.startswith(tid + "-") and name.endswith((".c", ".cpp")):
            with open(os.path.join(suite_dir, "tests", name), errors="replace") as f:
                if re.search(r"\bSUB_TEST\s*\(", f.read()):
                    return True
    return False


def classify(output, rc, timed_out, quick_skips_subtests=False):
    """Returns (result, detail) for one test-runner process. quick_skips_subtests: quick mode
    and the test has sub-tests quick mode skips; if none ran, the pass says nothing."""
    output = ANSI.sub("", output)
    states = []
    for line in output.splitlines():
        m = SUMMARY_LINE.match(line.strip())
        if m and m.group(1) != "<MAIN>":
            states.append((m.group(1), m.group(2), m.group(4).strip()))
    fail = first_failure(output)
    if timed_out:
        return "TIMEOUT", fail or "killed at the wall-clock limit"
    failed = [s for s in states if s[1] in ("FAILED", "RUNNING")]
    if failed:
        return "FAIL", fail or f"{failed[0][0]}: {failed[0][2]}"
    if rc != 0:
        how = f"signal {-rc}" if rc < 0 else f"exit code {rc}"
        return "FAIL", fail or f"test-runner ended with {how}"
    if any(s[1] == "PASSED" for s in states):
        if quick_skips_subtests and not SUBTEST_BANNER.search(output):
            return "SKIP", "quick mode skipped every sub-test"
        return "PASS", ""
    skipped = [s for s in states if s[1] == "SKIPPED"]
    reason = skipped[0][2] if skipped else "no test ran"
    return "SKIP", reason


def test_scenario(entries):
    """The scenario an id's broker tests need: a non-default one only if all of them need it
    (test-runner silently skips tests of other scenarios)."""
    scenarios = {e["scenario"] for e in broker_entries(entries)}
    return scenarios.pop() if len(scenarios) == 1 else "default"


def run_test(tid, args, suite_dir, env, broker, out_dir):
    cmd = [os.path.join(suite_dir, "tests", "test-runner"), "-L", "-K"]
    if args.quick:
        cmd.append("-Q")
    if broker.scenario != "default":
        cmd += ["-s", broker.scenario]
    env = dict(env, TESTS=tid, RDKAFKA_TEST_CONF=broker.conf_path,
               BROKERS=f"127.0.0.1:{broker.port}")
    log_path = os.path.join(out_dir, f"{tid}.log")
    broker_start = broker.log_size()
    t0 = time.time()
    timed_out = False
    with open(log_path, "wb") as log:
        log.write(f"$ TESTS={tid} {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, cwd=os.path.join(suite_dir, "tests"), env=env,
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait()
    secs = time.time() - t0
    with open(log_path, encoding="utf-8", errors="replace") as f:
        output = f.read()
    result, detail = classify(output, rc, timed_out,
                              args.quick and uses_full_only_subtests(suite_dir, tid))
    problem = broker.health()
    with open(os.path.join(out_dir, f"{tid}.broker.log"), "w", encoding="utf-8") as f:
        f.write(broker.log_slice(broker_start))
    if problem:
        result, detail = "FAIL", f"{problem}; {detail}" if detail else problem
    return result, secs, detail, problem


# ---------------------------------------------------------------------------------------------

def suite_build_dir(suite):
    d = os.path.join(cache_dir(), "build", f"librdkafka-{suite}")
    if not os.access(os.path.join(d, "tests", "test-runner"), os.X_OK):
        print(f"run.py: building suite {suite} (build-suites.sh)", file=sys.stderr)
        subprocess.run([os.path.join(HERE, "build-suites.sh"), suite], check=True,
                       stdout=subprocess.DEVNULL)
    return d


def select_tests(args, suite, catalogue):
    if args.tests:
        wanted = [t.strip() for t in args.tests.split(",") if t.strip()]
        unknown = [t for t in wanted if t not in suite]
        if unknown:
            sys.exit(f"run.py: not in suite {args.suite}: {', '.join(unknown)}")
        return wanted
    with_broker = [t for t in suite if broker_entries(suite[t])]
    if args.list == "all":
        return with_broker
    if args.list == "applicable":
        return [t for t in with_broker
                if catalogue.get(t, {}).get("applies", "yes") == "yes"]
    return [t for t in with_broker
            if catalogue.get(t, {}).get(expected_column(args)) == "pass"]


def write_test_conf(path, port, multiplier):
    with open(path, "w") as f:
        f.write(f"bootstrap.servers=127.0.0.1:{port}\n"
                "broker.address.family=v4\n"
                f"test.timeout.multiplier={multiplier}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", choices=SUITES, default="2.0.2")
    p.add_argument("--tests", help="comma-separated test ids (e.g. 0001,0002); "
                   "overrides --list")
    p.add_argument("--list", choices=("expected", "applicable", "all"), default="expected",
                   help="expected: ids the catalogue expects to pass; applicable: ids the "
                   "catalogue marks applies=yes; all: every id that needs a broker")
    p.add_argument("--quick", action="store_true", help="test-runner quick mode (-Q)")
    p.add_argument("--timeout", type=float, help="wall-clock seconds per test "
                   "(default 240 quick, 600 full)")
    p.add_argument("--kafka-version", default="3.7.0",
                   help="TEST_KAFKA_VERSION given to the suite (default 3.7.0)")
    p.add_argument("--group-protocol", choices=("classic", "consumer"), default="classic",
                   help="TEST_CONSUMER_GROUP_PROTOCOL (2.15.1 only)")
    p.add_argument("--timeout-multiplier", default="2", help="test.timeout.multiplier")
    p.add_argument("--out", help="also write the results table to this file")
    p.add_argument("--run-dir", help="where logs, the broker's data and results go "
                   "(default: <cache>/runs/<suite>-<time>)")
    args = p.parse_args()
    if args.timeout is None:
        args.timeout = 240.0 if args.quick else 600.0

    fjord = os.environ.get("FJORD_BIN", os.path.join(REPO, "build", "server", "fjord"))
    if not os.access(fjord, os.X_OK):
        sys.exit(f"run.py: no broker binary at {fjord} (set FJORD_BIN)")
    suite_dir = suite_build_dir(args.suite)
    suite = parse_suite(os.path.join(suite_dir, "tests", "test.c"))
    cat_path, catalogue = load_catalogue(args.suite)
    missing = [t for t in suite if t not in catalogue]
    if missing:
        print(f"run.py: warning: {len(missing)} ids missing from {cat_path}: "
              f"{','.join(missing[:10])}{'...' if len(missing) > 10 else ''}", file=sys.stderr)
    tests = select_tests(args, suite, catalogue)

    run_dir = args.run_dir or os.path.join(
        cache_dir(), "runs", f"{args.suite}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(run_dir, exist_ok=True)
    out_dir = os.path.join(run_dir, "tests")
    os.makedirs(out_dir, exist_ok=True)
    brokers = {}

    def broker_for(scenario):
        if scenario not in SCENARIO_SETTINGS:
            scenario = "default"
        if scenario not in brokers:
            b = Broker(fjord, run_dir, scenario)
            b.start(fresh=True)
            write_test_conf(b.conf_path, b.port, args.timeout_multiplier)
            brokers[scenario] = b
        return brokers[scenario]

    broker = broker_for("default")

    lib = os.path.join(suite_dir, "src")
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "TESTS", "SUBTESTS", "TESTS_SKIP", "TEST_DEBUG")}
    env.update({
        "TEST_KAFKA_VERSION": args.kafka_version,
        "KAFKA_PATH": os.path.join(HERE, "kafka-bin"),
        "LD_LIBRARY_PATH": ":".join(filter(None, [lib, os.path.join(suite_dir, "src-cpp"),
                                                  os.environ.get("LD_LIBRARY_PATH")])),
        "RDKAFKA_GITVER": f"librdkafka-{args.suite}",
        "TEST_CONSUMER_GROUP_PROTOCOL": args.group_protocol,
    })

    mode = "quick" if args.quick else "full"
    print(f"compat: librdkafka {args.suite} suite ({mode} mode), {len(tests)} tests, "
          f"fjord {fjord} on 127.0.0.1:{broker.port}, logs in {run_dir}", flush=True)
    results = []
    header = f"{'id':<6} {'result':<8} {'secs':>7}  first failure"
    print(header, flush=True)
    t_all = time.time()
    broker_deaths = []
    for tid in tests:
        broker = broker_for(test_scenario(suite[tid]))
        result, secs, detail, problem = run_test(tid, args, suite_dir, env, broker, out_dir)
        results.append((tid, result, secs, detail))
        print(f"{tid:<6} {result:<8} {secs:7.1f}  {detail[:200]}", flush=True)
        if problem:
            broker_deaths.append((tid, problem, broker.log_path))
            broker.stop()
            broker.restart_fresh()

    for b in brokers.values():
        b.stop()
    elapsed = time.time() - t_all
    n_pass = sum(r[1] == "PASS" for r in results)
    n_skip = sum(r[1] == "SKIP" for r in results)
    n_fail = len(results) - n_pass - n_skip

    expected_pass = {t for t, row in catalogue.items()
                     if row.get(expected_column(args)) == "pass"}
    regressions = [r for r in results if r[0] in expected_pass and r[1] in ("FAIL", "TIMEOUT")]
    skipped_expected = [r for r in results if r[0] in expected_pass and r[1] == "SKIP"]
    unexpected = [r for r in results if r[1] == "PASS" and r[0] not in expected_pass]

    lines = [f"librdkafka {args.suite} suite ({mode} mode) against {fjord}",
             header]
    lines += [f"{t:<6} {res:<8} {s:7.1f}  {d}" for t, res, s, d in results]
    lines.append("")
    for t, problem, log_path in broker_deaths:
        lines.append(f"BROKER FAILURE during {t}: {problem} (see {log_path})")
    for t, res, _, d in regressions:
        lines.append(f"regression: {t} is expected to pass but got {res}: {d}")
    if skipped_expected:
        lines.append(f"note: {len(skipped_expected)} expected-pass tests skipped (nothing to run "
                     f"in quick mode, or a missing prerequisite): "
                     f"{' '.join(t for t, _, _, _ in skipped_expected)}")
    for t, _, _, _ in unexpected:
        lines.append(f"unexpected pass: {t}: add it to the list "
                     f"({expected_column(args)}=pass in {os.path.basename(cat_path)})")
    lines.append(f"total time {elapsed:.0f}s; logs in {run_dir}")
    lines.append(f"{n_pass} passed, {n_fail} failed, {n_skip} skipped")
    text = "\n".join(lines) + "\n"
    for path in filter(None, [os.path.join(run_dir, "results.txt"), args.out]):
        with open(path, "w") as f:
            f.write(text)
    print("\n".join(lines[len(results) + 2:]))
    return 1 if regressions or broker_deaths else 0


if __name__ == "__main__":
    sys.exit(main())
