#!/usr/bin/python3
"""The consumer group protocol (KIP-848) on the wire: ConsumerGroupHeartbeat v1 and
ConsumerGroupDescribe, with three members simulated here (each behaves like a client: it
revokes what the assignment no longer lists at once and reports what it owns in its next
heartbeat).

1. range: m1, m2, m3 join one after another a group subscribed to topics a (5 partitions) and
   b (7). The final assignment is the hand-computed one (members sorted by id, contiguous
   ranges, the first members get the remainder):
       m1: a0 a1  b0 b1 b2     m2: a2 a3  b3 b4     m3: a4  b5 b6
   Throughout, no partition is ever held by two members (a partition reaches its new owner
   only after the previous owner's heartbeat acknowledged its revocation).
2. uniform (the default): m1, m2, m3 join a group subscribed to ua and ub before the topics
   exist; then ua (5) and ub (7) are created and picked up from metadata. The 12 partitions in
   order ua0..ua4 ub0..ub6 are dealt round-robin to m1, m2, m3:
       m1: ua0 ua3 ub1 ub4     m2: ua1 ua4 ub2 ub5     m3: ua2 ub0 ub3 ub6
3. m3 stops heartbeating (killed): its partitions stay unassigned to others until the session
   timeout (group.consumer.session.timeout.ms=3000 here) and then move to m1 and m2.
4. ListGroups v5 type filter "consumer", DescribeGroups (Dead: not a classic group), a classic
   JoinGroup on the consumer group (INCONSISTENT_GROUP_PROTOCOL), OffsetCommit v9 with the
   member epoch (STALE_MEMBER_EPOCH with a wrong one), OffsetFetch v9 likewise, errors (UNSUPPORTED_ASSIGNOR,
   FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID), ApiVersions rows, and the group epoch and members
   restored after a broker restart.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fjordtest import Broker, Checks  # noqa: E402
from kafkawire import Connection  # noqa: E402

SESSION_MS = 3000
HB_VERSION = 1


def create_topic(conn, name, partitions):
    r = conn.request("CreateTopics", 5, {
        "topics": [{"name": name, "num_partitions": partitions, "replication_factor": 1,
                    "assignments": [], "configs": []}],
        "timeout_ms": 10000, "validate_only": False})
    return r["topics"][0]["error_code"]


def topic_ids(conn):
    r = conn.request("Metadata", 12, {"topics": None, "allow_auto_topic_creation": False,
                                      "include_topic_authorized_operations": False})
    return {t["name"]: t["topic_id"] for t in r["topics"]}


class Member:
    """A simulated KIP-848 consumer."""

    def __init__(self, conn, group, member_id, topics, assignor=None):
        self.conn, self.group, self.id = conn, group, member_id
        self.topics, self.assignor = topics, assignor
        self.epoch = 0
        self.owned = {}  # topic id -> set of partitions
        self.names = {}
        self.last = None

    def heartbeat(self, send_owned=True, epoch=None):
        first = self.epoch == 0
        body = {
            "group_id": self.group, "member_id": self.id,
            "member_epoch": self.epoch if epoch is None else epoch,
            "instance_id": None, "rack_id": None,
            "rebalance_timeout_ms": 30000 if first else -1,
            "subscribed_topic_names": self.topics if first else None,
            "subscribed_topic_regex": None,
            "server_assignor": self.assignor if first else None,
            "topic_partitions": ([{"topic_id": t, "partitions": sorted(p)}
                                  for t, p in self.owned.items() if p]
                                 if send_owned else None),
        }
        r = self.conn.request("ConsumerGroupHeartbeat", HB_VERSION, body)
        self.last = r
        if r["error_code"] == 0 and epoch is None:
            self.epoch = r["member_epoch"]
            if r["assignment"] is not None:
                # Revoke at once what is no longer listed; take what is new.
                self.owned = {tp["topic_id"]: set(tp["partitions"])
                              for tp in r["assignment"]["topic_partitions"]}
        return r

    def named(self, ids):
        names = {v: k for k, v in ids.items()}
        return {f"{names.get(t, '?')}{p}" for t, ps in self.owned.items() for p in ps}


def double_owned(members):
    seen, dup = set(), set()
    for m in members:
        for t, ps in m.owned.items():
            for p in ps:
                if (t, p) in seen:
                    dup.add((t, p))
                seen.add((t, p))
    return dup


def converge(members, checks, what, rounds=30, skip=()):
    """Heartbeats every member in turn until nothing changes; checks single ownership."""
    dups = set()
    stable_rounds = 0
    for _ in range(rounds):
        before = [(m.epoch, {t: set(p) for t, p in m.owned.items()}) for m in members]
        for m in members:
            if m in skip:
                continue
            m.heartbeat()
            dups |= double_owned(members)
        after = [(m.epoch, {t: set(p) for t, p in m.owned.items()}) for m in members]
        stable_rounds = stable_rounds + 1 if before == after else 0
        if stable_rounds >= 2:
            break
    checks.check(not dups, f"{what}: no partition ever held by two members", str(dups))


def describe(conn, group):
    return conn.request("ConsumerGroupDescribe", 0,
                        {"group_ids": [group], "include_authorized_operations": False}
                        )["groups"][0]


def main():
    c = Checks("consumer group protocol (KIP-848)")
    with Broker(overrides={"group.consumer.session.timeout.ms": str(SESSION_MS),
                           "group.consumer.heartbeat.interval.ms": "500",
                           "auto.create.topics.enable": "false"}, name="fjord-kip848") as b:
        b.start()
        conn = Connection(b.bootstrap)
        av = conn.request("ApiVersions", 3, {"client_software_name": "it",
                                             "client_software_version": "1"})
        keys = {k["api_key"]: (k["min_version"], k["max_version"]) for k in av["api_keys"]}
        c.check(keys.get(68) == (0, 1), "ApiVersions: ConsumerGroupHeartbeat v0-1", keys.get(68))
        c.check(keys.get(69) == (0, 0), "ApiVersions: ConsumerGroupDescribe v0", keys.get(69))

        c.check(create_topic(conn, "a", 5) == 0 and create_topic(conn, "b", 7) == 0,
                "topics a (5) and b (7) created")
        ids = topic_ids(conn)

        # ---- 1. range, members joining one after another ----
        ms = []
        for mid in ("m1", "m2", "m3"):
            m = Member(Connection(b.bootstrap, client_id=mid), "g-range", mid, ["a", "b"],
                       "range")
            r = m.heartbeat()
            c.check(r["error_code"] == 0, f"range: {mid} joins", r)
            ms.append(m)
            converge(ms, c, f"range after {mid} joined")
        want = {"m1": {"a0", "a1", "b0", "b1", "b2"}, "m2": {"a2", "a3", "b3", "b4"},
                "m3": {"a4", "b5", "b6"}}
        for m in ms:
            c.check(m.named(ids) == want[m.id], f"range: {m.id} owns {sorted(want[m.id])}",
                    sorted(m.named(ids)))
        d = describe(conn, "g-range")
        c.check(d["error_code"] == 0 and d["group_state"] == "Stable" and
                d["assignor_name"] == "range" and d["group_epoch"] == 3 and
                all(x["member_epoch"] == 3 for x in d["members"]),
                "ConsumerGroupDescribe: Stable, range, group epoch 3, members at epoch 3",
                {k: d[k] for k in ("error_code", "group_state", "assignor_name", "group_epoch")})

        # Fencing and errors.
        r = ms[0].heartbeat(epoch=ms[0].epoch + 5)
        c.check(r["error_code"] == 110, "a greater epoch: FENCED_MEMBER_EPOCH", r["error_code"])
        r = Member(conn, "g-range", "zz", ["a"]).heartbeat(epoch=4)
        c.check(r["error_code"] == 25, "an unknown member: UNKNOWN_MEMBER_ID", r["error_code"])
        r = Member(conn, "g-range", "m9", ["a"], "sticky").heartbeat()
        c.check(r["error_code"] == 112, "an unknown assignor: UNSUPPORTED_ASSIGNOR",
                r["error_code"])

        # Offsets with the member epoch as generation (OffsetCommit v9).
        def commit(member, epoch):
            r = conn.request("OffsetCommit", 9, {
                "group_id": "g-range", "generation_id_or_member_epoch": epoch,
                "member_id": member, "group_instance_id": None,
                "topics": [{"name": "a", "partitions": [{
                    "partition_index": 0, "committed_offset": 7, "committed_leader_epoch": -1,
                    "committed_metadata": None}]}]})
            return r["topics"][0]["partitions"][0]["error_code"]
        c.check(commit("m1", ms[0].epoch) == 0, "OffsetCommit v9 with the member epoch: NONE")
        c.check(commit("m1", ms[0].epoch - 1) == 113, "a stale member epoch: STALE_MEMBER_EPOCH")
        c.check(commit("nobody", 3) == 25, "an unknown member: UNKNOWN_MEMBER_ID")

        def fetch(member, epoch):
            r = conn.request("OffsetFetch", 9, {"groups": [{
                "group_id": "g-range", "member_id": member, "member_epoch": epoch,
                "topics": [{"name": "a", "partition_indexes": [0]}]}], "require_stable": False})
            g = r["groups"][0]
            offs = [p["committed_offset"] for t in g["topics"] for p in t["partitions"]]
            return g["error_code"], offs
        c.check(fetch("m1", ms[0].epoch) == (0, [7]), "OffsetFetch v9 with the member epoch",
                fetch("m1", ms[0].epoch))
        c.check(fetch("m1", ms[0].epoch - 1)[0] == 113, "OffsetFetch v9, stale epoch: "
                "STALE_MEMBER_EPOCH")
        c.check(fetch(None, -1) == (0, [7]), "OffsetFetch v9 without a member (admin)")

        # Classic APIs on a consumer group.
        r = conn.request("JoinGroup", 5, {
            "group_id": "g-range", "session_timeout_ms": 10000, "rebalance_timeout_ms": 10000,
            "member_id": "", "group_instance_id": None, "protocol_type": "consumer",
            "protocols": [{"name": "range", "metadata": b""}]})
        c.check(r["error_code"] == 23, "classic JoinGroup on it: INCONSISTENT_GROUP_PROTOCOL",
                r["error_code"])
        r = conn.request("DescribeGroups", 5, {"groups": ["g-range"],
                                                "include_authorized_operations": False})
        c.check(r["groups"][0]["group_state"] == "Dead",
                "DescribeGroups: Dead (not a classic group)", r["groups"][0]["group_state"])

        # ---- 2. uniform: members first, topics afterwards ----
        us = [Member(Connection(b.bootstrap, client_id=mid), "g-uniform", mid, ["ua", "ub"])
              for mid in ("m1", "m2", "m3")]
        for m in us:
            m.heartbeat()
        c.check(all(not m.owned for m in us), "uniform: nothing assigned before the topics exist")
        c.check(create_topic(conn, "ua", 5) == 0 and create_topic(conn, "ub", 7) == 0,
                "topics ua (5) and ub (7) created")
        ids = topic_ids(conn)
        converge(us, c, "uniform")
        want = {"m1": {"ua0", "ua3", "ub1", "ub4"}, "m2": {"ua1", "ua4", "ub2", "ub5"},
                "m3": {"ua2", "ub0", "ub3", "ub6"}}
        for m in us:
            c.check(m.named(ids) == want[m.id], f"uniform: {m.id} owns {sorted(want[m.id])}",
                    sorted(m.named(ids)))
        d = describe(conn, "g-uniform")
        c.check(d["assignor_name"] == "uniform", "uniform is the default assignor",
                d["assignor_name"])

        r = conn.request("ListGroups", 5, {"states_filter": [], "types_filter": ["consumer"]})
        listed = {g["group_id"]: (g["group_type"], g["protocol_type"]) for g in r["groups"]}
        c.check(listed.get("g-range") == ("consumer", "consumer") and "g-uniform" in listed,
                "ListGroups type filter consumer lists both groups", listed)

        # ---- 3. m3 is killed: its partitions move after the session timeout ----
        m3_parts = set(us[2].named(ids))
        killed_at = time.monotonic()
        moved_at = None
        early = False
        while time.monotonic() - killed_at < SESSION_MS / 1000 + 5:
            for m in us[:2]:
                m.heartbeat()
            held = us[0].named(ids) | us[1].named(ids)
            if held & m3_parts:
                if time.monotonic() - killed_at < SESSION_MS / 1000 - 0.5:
                    early = True
                if held >= m3_parts:
                    moved_at = time.monotonic() - killed_at
                    break
            time.sleep(0.3)
        c.check(not early, "m3's partitions stay with it until its session times out")
        c.check(moved_at is not None, f"m3's partitions moved to m1/m2 after {moved_at} s")
        us[2].owned = {}
        converge(us[:2], c, "after m3 expired")
        c.check(len(us[0].named(ids)) == 6 and len(us[1].named(ids)) == 6 and
                not (us[0].named(ids) & us[1].named(ids)), "m1 and m2 own 6 each")
        r = us[2].heartbeat()
        c.check(r["error_code"] == 25, "the expired member is told UNKNOWN_MEMBER_ID",
                r["error_code"])

        # ---- 4. restart ----
        for m in us[:2]:
            m.heartbeat()
        before = describe(conn, "g-uniform")
        conn.close()
        b.restart()
        conn = Connection(b.bootstrap)
        after = None
        for _ in range(50):
            after = describe(conn, "g-uniform")
            if after["error_code"] != 14:  # COORDINATOR_LOAD_IN_PROGRESS
                break
            time.sleep(0.1)
        c.check(after["error_code"] == 0 and after["group_epoch"] == before["group_epoch"] and
                sorted(x["member_id"] for x in after["members"]) ==
                sorted(x["member_id"] for x in before["members"]),
                "after a restart: the group epoch and members are restored",
                {k: after.get(k) for k in ("error_code", "group_epoch")})
        r = conn.request("OffsetFetch", 8, {"groups": [{"group_id": "g-range", "topics": None}],
                                            "require_stable": False})
        offs = {(t["name"], p["partition_index"]): p["committed_offset"]
                for t in r["groups"][0]["topics"] for p in t["partitions"]}
        c.check(offs.get(("a", 0)) == 7, "the committed offset survives the restart", offs)
        conn.close()
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
