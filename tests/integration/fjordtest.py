"""Shared helpers for Fjord's integration tests: run a real broker in a temp dir.

    with Broker() as b:                 # starts on a free 127.0.0.1 port, temp log dir
        b.start({"num.partitions": "8"})
        ... b.bootstrap ...             # "127.0.0.1:PORT" for clients
        b.kill(); b.start()             # SIGKILL, then start again on the same port and data
        b.stop()                        # SIGTERM, waits for a clean exit
    # on exit the process is killed if still running and the temp dir removed

The binary is $FJORD_BIN, else <repo>/build/server/fjord. The broker's stderr/stdout
go to b.log_path (one file for the whole life of the Broker, across restarts);
b.log_text() reads it. Set FJORD_KEEP_TMP=1 to keep the temp dir for a post-mortem.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LISTENING = re.compile(r"Listening on PLAINTEXT://[^ ]*:(\d+)")


def fjord_bin():
    return os.environ.get("FJORD_BIN", os.path.join(REPO, "build", "server", "fjord"))


class BrokerError(Exception):
    pass


class Broker:
    """One broker process with its own temp dir; restartable on the same port and data."""

    def __init__(self, overrides=None, binary=None, name="fjord"):
        self.binary = binary or fjord_bin()
        if not os.access(self.binary, os.X_OK):
            raise BrokerError(f"broker binary {self.binary} not found (set FJORD_BIN)")
        self.tmp = tempfile.mkdtemp(prefix=f"{name}-it-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "broker.log")
        self.overrides = dict(overrides or {})
        self.port = None
        self.proc = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, overrides=None, timeout=30):
        """Starts the broker (again). Extra overrides apply to this start and later ones.
        The first start takes a free port; restarts reuse it."""
        if self.running():
            raise BrokerError("broker already running")
        if overrides:
            self.overrides.update(overrides)
        settings = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port or 0}",
            "log.dirs": self.data_dir,
        }
        settings.update(self.overrides)
        cmd = [self.binary]
        for k, v in settings.items():
            cmd += ["--override", f"{k}={v}"]
        start_at = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        with open(self.log_path, "ab") as log:
            log.write(f"=== start: {' '.join(cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start_at)
                m = _LISTENING.search(f.read().decode("utf-8", "replace"))
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                raise BrokerError(f"broker exited with {self.proc.returncode} during start; "
                                  f"log:\n{self.log_tail()}")
            time.sleep(0.05)
        self.kill()
        raise BrokerError(f"broker did not report 'Listening on' within {timeout}s; "
                          f"log:\n{self.log_tail()}")

    def stop(self, timeout=30):
        """SIGTERM and wait for exit; returns the exit code (raises if it hangs)."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise BrokerError(f"broker ignored SIGTERM for {timeout}s (killed)")

    def kill(self):
        """SIGKILL: an unclean crash. Returns once the process is gone."""
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def restart(self, overrides=None, timeout=30):
        self.stop()
        return self.start(overrides, timeout)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- helpers ---------------------------------------------------------------------------

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def partition_dir(self, topic, partition):
        return os.path.join(self.data_dir, f"{topic}-{partition}")

    def close(self):
        self.kill()
        if os.environ.get("FJORD_KEEP_TMP") == "1":
            print(f"(kept {self.tmp})", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Checks:
    """Counts named checks and prints a summary; exit code 0 only if all passed.

        c = Checks("kcat round trip")
        c.check(got == want, "values equal", detail)
        sys.exit(c.summary())
    """

    def __init__(self, title):
        self.title = title
        self.passed = 0
        self.failed = []

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"  ok   {what}", flush=True)
        else:
            self.failed.append(what)
            print(f"  FAIL {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def summary(self):
        total = self.passed + len(self.failed)
        print(f"== {self.title}: {self.passed}/{total} checks passed", flush=True)
        for f in self.failed:
            print(f"   failed: {f}")
        return 0 if not self.failed else 1
