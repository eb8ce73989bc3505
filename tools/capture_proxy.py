#!/usr/bin/env python3
"""A recording TCP proxy for Kafka clients.

Listens on 127.0.0.1:LISTEN, forwards every connection to 127.0.0.1:TARGET (a Fjord broker)
and saves every request frame the client sends, without its 4-byte size prefix, as
    OUTDIR/CLIENT/<seq>-<apikey>_<ApiName>_v<version>.bin
Responses are passed through untouched. Sequence numbers continue after the highest one
already in the directory, so several runs (one per scenario) can share a client directory.
Each saved frame is also listed in OUTDIR/CLIENT/capture.tsv with the scenario label and the
connection number it came from.

Start the broker with listeners on TARGET and advertised.listeners on LISTEN so that clients
come back through the proxy after their first Metadata request.

Usage: capture_proxy.py --listen PORT --target PORT --outdir DIR --client NAME
                        [--scenario LABEL] [--ready-file PATH]
Stops on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import os
import re
import signal
import struct
import sys

# Kafka API names by key (ApiMessageType names), enough for every key a client may send.
API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 4: "LeaderAndIsr",
    5: "StopReplica", 6: "UpdateMetadata", 7: "ControlledShutdown", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
    13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
    17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics",
    21: "DeleteRecords", 22: "InitProducerId", 23: "OffsetForLeaderEpoch",
    24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn", 26: "EndTxn", 27: "WriteTxnMarkers",
    28: "TxnOffsetCommit", 29: "DescribeAcls", 30: "CreateAcls", 31: "DeleteAcls",
    32: "DescribeConfigs", 33: "AlterConfigs", 34: "AlterReplicaLogDirs",
    35: "DescribeLogDirs", 36: "SaslAuthenticate", 37: "CreatePartitions",
    38: "CreateDelegationToken", 39: "RenewDelegationToken", 40: "ExpireDelegationToken",
    41: "DescribeDelegationToken", 42: "DeleteGroups", 43: "ElectLeaders",
    44: "IncrementalAlterConfigs", 45: "AlterPartitionReassignments",
    46: "ListPartitionReassignments", 47: "OffsetDelete", 48: "DescribeClientQuotas",
    49: "AlterClientQuotas", 50: "DescribeUserScramCredentials",
    51: "AlterUserScramCredentials", 55: "DescribeQuorum", 57: "UpdateFeatures",
    60: "DescribeCluster", 61: "DescribeProducers", 64: "UnregisterBroker",
    65: "DescribeTransactions", 66: "ListTransactions", 67: "AllocateProducerIds",
    68: "ConsumerGroupHeartbeat", 69: "ConsumerGroupDescribe",
    71: "GetTelemetrySubscriptions", 72: "PushTelemetry", 74: "ListClientMetricsResources",
    75: "DescribeTopicPartitions",
}

# Frames above this are not Kafka requests a test client would send; stop parsing then.
MAX_FRAME = 64 << 20


class Recorder:
    def __init__(self, outdir, client, scenario):
        self.dir = os.path.join(outdir, client)
        os.makedirs(self.dir, exist_ok=True)
        self.scenario = scenario
        seqs = [int(m.group(1)) for f in os.listdir(self.dir)
                if (m := re.match(r"(\d+)-", f))]
        self.seq = max(seqs, default=0)
        self.index = open(os.path.join(self.dir, "capture.tsv"), "a", buffering=1)

    def save(self, frame, conn_no):
        self.seq += 1
        key, version = struct.unpack(">hh", frame[:4]) if len(frame) >= 4 else (-1, -1)
        name = API_NAMES.get(key, "Unknown")
        fname = f"{self.seq:04d}-{key:02d}_{name}_v{version}.bin"
        with open(os.path.join(self.dir, fname), "wb") as f:
            f.write(frame)
        self.index.write(f"{fname}\t{self.scenario}\t{conn_no}\t{len(frame)}\n")


async def pump_requests(reader, writer, recorder, conn_no):
    """Client -> broker: forward bytes as they come, record each complete frame."""
    buf = bytearray()
    parsing = True
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
        if not parsing:
            continue
        buf += data
        while len(buf) >= 4:
            (size,) = struct.unpack(">i", buf[:4])
            if size < 0 or size > MAX_FRAME:
                print(f"conn {conn_no}: unframeable size {size}, recording stops", file=sys.stderr)
                parsing = False
                buf.clear()
                break
            if len(buf) < 4 + size:
                break
            recorder.save(bytes(buf[4:4 + size]), conn_no)
            del buf[:4 + size]


async def pump_raw(reader, writer):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


async def close_quietly(writer):
    try:
        writer.close()
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


def make_handler(target, recorder):
    counter = {"n": 0}

    async def handle(c_reader, c_writer):
        counter["n"] += 1
        conn_no = counter["n"]
        try:
            b_reader, b_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError as e:
            print(f"conn {conn_no}: cannot reach broker: {e}", file=sys.stderr)
            await close_quietly(c_writer)
            return
        up = asyncio.create_task(pump_requests(c_reader, b_writer, recorder, conn_no))
        down = asyncio.create_task(pump_raw(b_reader, c_writer))
        # When either side closes, close both (the broker closes on unserved APIs).
        done, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        for t in done:
            if t.exception() and not isinstance(t.exception(), (ConnectionError, OSError)):
                print(f"conn {conn_no}: {t.exception()!r}", file=sys.stderr)
        await close_quietly(b_writer)
        await close_quietly(c_writer)

    return handle


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--scenario", default="")
    ap.add_argument("--ready-file", help="written once the proxy listens")
    args = ap.parse_args()

    recorder = Recorder(args.outdir, args.client, args.scenario)
    server = await asyncio.start_server(make_handler(args.target, recorder), "127.0.0.1",
                                        args.listen, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(f"{args.listen}\n")
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
