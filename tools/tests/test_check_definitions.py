#!/usr/bin/env python3
"""Self-test of tools/check_definitions.py on a small synthetic schema (needs no ../shared)."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "tools", "check_definitions.py")

DEF = """\
request FooRequest key 99 v0-3 flex 2+
  Name     string    v0+  null 1+ = null
  Items    []Item    v0+
    Id     int32     v0+  = -1
  Extra    int64     v2+  tag 0 2+
"""
SCHEMA = {
    "apiKey": 99, "type": "request", "name": "FooRequest", "validVersions": "0-3",
    "flexibleVersions": "2+", "fields": [
        {"name": "Name", "type": "string", "versions": "0+", "nullableVersions": "1+",
         "default": "null"},
        {"name": "Items", "type": "[]Item", "versions": "0+", "fields": [
            {"name": "Id", "type": "int32", "versions": "0+", "default": "-1"}]},
        {"name": "Extra", "type": "int64", "versions": "2+", "taggedVersions": "2+", "tag": 0},
    ]}


def run(schema, exceptions=""):
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "ref", "messages"))
        os.makedirs(os.path.join(d, "ref", "coordinator-records"))
        os.makedirs(os.path.join(d, "defs"))
        with open(os.path.join(d, "ref", "messages", "FooRequest.json"), "w") as fh:
            fh.write("// a comment line, as in Kafka's files\n" + json.dumps(schema))
        with open(os.path.join(d, "defs", "99_foo.def"), "w") as fh:
            fh.write(DEF)
        with open(os.path.join(d, "EXC"), "w") as fh:
            fh.write(exceptions)
        p = subprocess.run([sys.executable, CHECK, "--schemas", os.path.join(d, "ref"), "--defs",
                            os.path.join(d, "defs"), "--exceptions", os.path.join(d, "EXC")],
                           capture_output=True, text=True)
        return p.returncode, p.stdout


def mutated(path, value):
    s = json.loads(json.dumps(SCHEMA))
    obj = s
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value
    return s


failures = 0


def expect(cond, what, out=""):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {what}\n{out}")


rc, out = run(SCHEMA)
expect(rc == 0, "identical definitions pass", out)
for path, value, needle in [
    (["fields", 0, "type"], "bytes", "FooRequest.Name: type string != reference bytes"),
    (["fields", 0, "nullableVersions"], "2+", "nullable 1+ != reference 2+"),
    (["fields", 1, "fields", 0, "default"], "0", "FooRequest.Items.Id: default -1 != reference 0"),
    (["fields", 2, "tag"], 1, "tag 0 != reference 1"),
    (["validVersions"], "0-4", "versions 0-3 != reference 0-4"),
    (["flexibleVersions"], "3+", "flexible 2+ != reference 3+"),
]:
    rc, out = run(mutated(path, value))
    expect(rc == 1 and needle in out, f"difference detected: {needle}", out)
# A listed difference with a reason passes; a stale exception fails.
rc, out = run(mutated(["validVersions"], "0-4"),
              "FooRequest: versions 0-3 != reference 0-4 | deliberately older\n")
expect(rc == 0, "explained difference passes", out)
rc, out = run(SCHEMA, "FooRequest: versions 0-3 != reference 0-4 | no longer true\n")
expect(rc == 1 and "stale exception" in out, "stale exception fails", out)
print("check_definitions self-test:", "ok" if failures == 0 else f"{failures} failures")
sys.exit(1 if failures else 0)
