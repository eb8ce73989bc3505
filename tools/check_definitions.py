#!/usr/bin/env python3
"""Compares Fjord's message definitions with Apache Kafka's JSON schemas, field by field.

Usage: check_definitions.py [--schemas DIR] [--defs DIR] [--exceptions FILE]

DIR defaults to ../shared/kafka-protocol next to the project. Every difference must be
listed in the exceptions file (protocol/messages/EXCEPTIONS) with a reason; any other
difference fails the check (exit 1). Exceptions that no longer match anything are reported
so the file stays true.

Compared: message kind, API key, valid/flexible/deprecated versions, the unstable flag;
per field (in order): name, type, versions, nullable versions, tag and tagged versions,
default, field-level flexible versions, ignorable; common structs likewise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "protocol", "gen"))
from fjorddefs import Field, Message, Range, load_dir, range_str  # noqa: E402


def strip_comments(text: str) -> str:
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)


def jrange(s) -> str:
    return range_str(Range.parse(str(s), "json")) if s is not None else "none"


def norm_default(d) -> str | None:
    if d is None:
        return None
    if isinstance(d, bool):
        return "true" if d else "false"
    s = str(d)
    if s.lower() in ("true", "false"):
        return s.lower()
    try:
        return str(int(s, 0))
    except ValueError:
        return s


def compare_fields(path: str, ours: list[Field], theirs: list[dict], diffs: list[str]) -> None:
    on = [f.name for f in ours]
    tn = [f["name"] for f in theirs]
    if on != tn:
        diffs.append(f"{path}: fields {on} != reference {tn}")
        # Compare the common ones anyway.
    by_name = {f["name"]: f for f in theirs}
    for f in ours:
        t = by_name.get(f.name)
        if t is None:
            continue
        p = f"{path}.{f.name}"
        tver = t.get("versions", t.get("taggedVersions"))
        checks = [
            ("type", f.type, t["type"]),
            ("versions", range_str(f.versions), jrange(tver)),
            ("nullable", range_str(f.nullable), jrange(t.get("nullableVersions"))),
            ("tag", str(f.tag), str(t.get("tag"))),
            ("tagged", range_str(f.tagged), jrange(t.get("taggedVersions"))),
            ("default", norm_default(f.default),
             "null" if "default" in t and t["default"] is None else norm_default(t.get("default"))),
            ("flexible", "none" if f.flex_none else None, t.get("flexibleVersions")),
            ("ignorable", f.ignorable, bool(t.get("ignorable", False))),
        ]
        for what, a, b in checks:
            if a != b:
                diffs.append(f"{p}: {what} {a} != reference {b}")
        compare_fields(p, f.fields, t.get("fields", []), diffs)


def compare_message(m: Message, j: dict, diffs: list[str]) -> None:
    p = m.name
    checks = [
        ("kind", m.kind, j["type"]),
        ("key", m.api_key, j.get("apiKey")),
        ("versions", str(m.valid), jrange(j["validVersions"])),
        ("flexible", range_str(m.flexible), jrange(j["flexibleVersions"])),
        ("deprecated", range_str(m.deprecated), jrange(j.get("deprecatedVersions"))),
        ("unstable", m.unstable, bool(j.get("latestVersionUnstable", False))),
    ]
    for what, a, b in checks:
        if a != b:
            diffs.append(f"{p}: {what} {a} != reference {b}")
    compare_fields(p, m.fields, j["fields"], diffs)
    theirs = {c["name"]: c for c in j.get("commonStructs", [])}
    if set(m.commons) != set(theirs):
        diffs.append(f"{p}: common structs {sorted(m.commons)} != reference {sorted(theirs)}")
    for name, c in m.commons.items():
        if name in theirs:
            if range_str(c.versions) != jrange(theirs[name]["versions"]):
                diffs.append(f"{p}.{name}: versions {range_str(c.versions)} != reference "
                             f"{jrange(theirs[name]['versions'])}")
            compare_fields(f"{p}.{name}", c.fields, theirs[name]["fields"], diffs)


def load_exceptions(path: str) -> dict[str, str]:
    out = {}
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if " | " not in line:
                raise SystemExit(f"{path}:{n}: expected 'difference | reason'")
            diff, reason = line.split(" | ", 1)
            if not reason.strip():
                raise SystemExit(f"{path}:{n}: an exception needs a reason")
            out[diff.strip()] = reason.strip()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", default=os.path.join(ROOT, "..", "shared", "kafka-protocol"))
    ap.add_argument("--defs", default=os.path.join(ROOT, "protocol", "messages"))
    ap.add_argument("--exceptions", default=os.path.join(ROOT, "protocol", "messages", "EXCEPTIONS"))
    args = ap.parse_args()

    if not os.path.isdir(args.schemas):
        print(f"check_definitions: no reference schemas at {args.schemas}; skipped")
        return 0
    ours = {m.name: m for m in load_dir(args.defs)}
    reference: dict[str, dict] = {}
    for sub in ("messages", "coordinator-records"):
        d = os.path.join(args.schemas, sub)
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                with open(os.path.join(d, name)) as fh:
                    j = json.loads(strip_comments(fh.read()))
                reference[j["name"]] = j

    diffs: list[str] = []
    for name, j in reference.items():
        if name not in ours:
            diffs.append(f"{name}: not defined")
            continue
        compare_message(ours[name], j, diffs)
    for name in ours:
        if name not in reference:
            diffs.append(f"{name}: not in the reference")

    exceptions = load_exceptions(args.exceptions)
    unexplained = [d for d in diffs if d not in exceptions]
    stale = [e for e in exceptions if e not in diffs]
    compared = len([n for n in reference if n in ours])
    for d in unexplained:
        print(f"UNEXPLAINED: {d}")
    for e in stale:
        print(f"stale exception (no longer differs): {e}")
    print(f"check_definitions: {compared} messages compared, {len(diffs)} differences, "
          f"{len(diffs) - len(unexplained)} explained, {len(unexplained)} unexplained")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
