#!/usr/bin/python3
"""Reproduces the broker dying of SIGPIPE (compat-tests/FINDINGS.md, F1).

A client sends a Fetch for a partition holding several MB, reads the first bytes of the
response, then resets the connection. The broker is still writing the records with sendfile(2),
which raises SIGPIPE on a reset socket; nothing ignores that signal, so the process ends
(exit status 141). Usage: fetch_reset_sigpipe.py PORT TOPIC (partition 0 must hold > 1 MB).
"""
import socket
import struct
import sys
import time

port, topic = int(sys.argv[1]), sys.argv[2].encode()




def s16(b):
    return struct.pack(">h", len(b)) + b


body = struct.pack(">iiiib", -1, 100, 1, 50 << 20, 0)
body += struct.pack(">i", 1) + s16(topic) + struct.pack(">i", 1) + struct.pack(">iqi", 0, 0, 50 << 20)
req = struct.pack(">hhi", 1, 4, 1) + s16(b"sigpipe") + body
for i in range(20):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(struct.pack(">i", len(req)) + req)
    s.recv(1024)                      # the response has started
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()                         # RST while the broker is still sending
    time.sleep(0.2)
print("20 resets sent; the broker should still be running")
