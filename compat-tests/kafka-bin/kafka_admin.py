#!/usr/bin/python3
"""Java-free stand-ins for Kafka's bin/kafka-topics.sh and bin/kafka-acls.sh.

librdkafka's test suite shells out to $KAFKA_PATH/bin/kafka-topics.sh and kafka-acls.sh
(always with --bootstrap-server when the broker version is >= 3.0). This module accepts the
subset of their options the suites use and performs the same operations through the Admin API:
topics through confluent_kafka (librdkafka), ACLs through kafka-python (confluent_kafka 1.7
has no ACL API). Exit status 0 on success, 1 on a broker error, 2 on a usage error, like the
Java tools.

Usage: kafka_admin.py topics|acls [kafka-topics.sh / kafka-acls.sh options]
"""

import argparse
import sys

TIMEOUT_S = 30


def fail(msg):
    print(f"Error: {msg}", file=sys.stderr)
    return 1


def parse_configs(pairs):
    configs = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"Error: --config expects key=value, got {pair!r}")
        configs[key] = value
    return configs


def topics_main(argv):
    p = argparse.ArgumentParser(prog="kafka-topics.sh")
    p.add_argument("--bootstrap-server", required=True)
    action = p.add_mutually_exclusive_group(required=True)
    for a in ("create", "delete", "alter", "list", "describe"):
        action.add_argument(f"--{a}", action="store_true")
    p.add_argument("--topic")
    p.add_argument("--partitions", type=int)
    p.add_argument("--replication-factor", type=int)
    p.add_argument("--config", action="append")
    p.add_argument("--if-not-exists", action="store_true")
    p.add_argument("--if-exists", action="store_true")
    args = p.parse_args(argv)

    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

    admin = AdminClient({"bootstrap.servers": args.bootstrap_server,
                         "broker.address.family": "v4"})
    try:
        if args.list or args.describe:
            md = admin.list_topics(timeout=TIMEOUT_S)
            for name in sorted(md.topics):
                if args.topic and name != args.topic:
                    continue
                t = md.topics[name]
                if args.list:
                    print(name)
                else:
                    print(f"Topic: {name}\tPartitionCount: {len(t.partitions)}")
                    for pid in sorted(t.partitions):
                        part = t.partitions[pid]
                        print(f"\tTopic: {name}\tPartition: {pid}\tLeader: {part.leader}"
                              f"\tReplicas: {part.replicas}\tIsr: {part.isrs}")
            return 0
        if not args.topic:
            return fail("--topic is required")
        if args.create:
            new = NewTopic(args.topic,
                           num_partitions=args.partitions if args.partitions else -1,
                           replication_factor=(args.replication_factor
                                               if args.replication_factor else -1),
                           config=parse_configs(args.config))
            futures = admin.create_topics([new], request_timeout=TIMEOUT_S)
        elif args.delete:
            futures = admin.delete_topics([args.topic], request_timeout=TIMEOUT_S)
        else:
            if args.partitions is None:
                return fail("--alter needs --partitions (config changes are not supported)")
            futures = admin.create_partitions([NewPartitions(args.topic, args.partitions)],
                                              request_timeout=TIMEOUT_S)
        for name, fut in futures.items():
            try:
                fut.result()
            except KafkaException as e:
                err = e.args[0]
                if args.create and args.if_not_exists and err.name() == "TOPIC_ALREADY_EXISTS":
                    continue
                if args.delete and args.if_exists and err.name() == "UNKNOWN_TOPIC_OR_PART":
                    continue
                return fail(f"{name}: {err.name()}: {err.str()}")
            verb = "Created" if args.create else "Deleted" if args.delete else "Altered"
            print(f"{verb} topic {name}.")
        return 0
    except KafkaException as e:
        return fail(str(e))


def acls_main(argv):
    p = argparse.ArgumentParser(prog="kafka-acls.sh")
    p.add_argument("--bootstrap-server", required=True)
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--add", action="store_true")
    action.add_argument("--remove", action="store_true")
    action.add_argument("--list", action="store_true")
    p.add_argument("--force", action="store_true")
    p.add_argument("--allow-principal", action="append", default=[])
    p.add_argument("--deny-principal", action="append", default=[])
    p.add_argument("--allow-host", action="append", default=[])
    p.add_argument("--deny-host", action="append", default=[])
    p.add_argument("--operation", action="append", default=[])
    p.add_argument("--topic")
    p.add_argument("--group")
    args = p.parse_args(argv)

    from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType,
                             ACLResourcePatternType, KafkaAdminClient, ResourcePattern,
                             ResourcePatternFilter, ResourceType)

    if args.topic:
        rtype, rname = ResourceType.TOPIC, args.topic
    elif args.group:
        rtype, rname = ResourceType.GROUP, args.group
    else:
        return fail("--topic or --group is required")
    ops = [ACLOperation[o.upper()] for o in (args.operation or ["All"])]
    entries = ([(pr, h, ACLPermissionType.ALLOW) for pr in args.allow_principal
                for h in (args.allow_host or ["*"])] +
               [(pr, h, ACLPermissionType.DENY) for pr in args.deny_principal
                for h in (args.deny_host or ["*"])])

    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap_server,
                             request_timeout_ms=TIMEOUT_S * 1000)
    try:
        if args.list:
            filt = ACLFilter(principal=None, host="*", operation=ACLOperation.ANY,
                             permission_type=ACLPermissionType.ANY,
                             resource_pattern=ResourcePatternFilter(
                                 rtype, rname, ACLResourcePatternType.LITERAL))
            acls, err = admin.describe_acls(filt)
            for acl in acls:
                print(acl)
            return 0 if err.errno == 0 else fail(str(err))
        if not entries:
            return fail("--allow-principal or --deny-principal is required")
        pattern = ResourcePattern(rtype, rname, ACLResourcePatternType.LITERAL)
        if args.add:
            acls = [ACL(principal=pr, host=h, operation=op, permission_type=perm,
                        resource_pattern=pattern) for pr, h, perm in entries for op in ops]
            result = admin.create_acls(acls)
            if result["failed"]:
                return fail(f"create_acls failed: {result['failed']}")
            print(f"Adding ACLs for resource `{pattern}`: {len(acls)} ACL(s)")
        else:
            filters = [ACLFilter(principal=pr, host=h, operation=op, permission_type=perm,
                                 resource_pattern=ResourcePatternFilter(
                                     rtype, rname, ACLResourcePatternType.LITERAL))
                       for pr, h, perm in entries for op in ops]
            results = admin.delete_acls(filters)
            for _filt, _matches, err in results:
                if err.errno != 0:
                    return fail(f"delete_acls failed: {err}")
            print(f"Removed ACLs for resource `{pattern}`")
        return 0
    except Exception as e:  # kafka-python raises many unrelated types
        return fail(f"{type(e).__name__}: {e}")
    finally:
        admin.close()


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("topics", "acls"):
        print(__doc__, file=sys.stderr)
        return 2
    tool, argv = sys.argv[1], sys.argv[2:]
    try:
        return topics_main(argv) if tool == "topics" else acls_main(argv)
    except SystemExit as e:  # argparse usage errors
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            return 2
        return e.code if e.code is not None else 0


if __name__ == "__main__":
    sys.exit(main())
