#!/usr/bin/env python3
"""End-of-message round trip over an inet milter socket (milter protocol 6).

Sends N messages on one connection and measures the time from the EOM packet
to the final reply. A milter whose reply packets wait on delayed ACKs (no
TCP_NODELAY on a multi-packet reply) shows ~40 ms here; postern must not.
Usage: eom_latency.py HOST PORT [N]. Prints the percentiles; exits 1 when the
median is 20 ms or more, 2 on a protocol error.
"""
import socket
import statistics
import struct
import sys
import time

NR = {  # no-reply protocol flags -> the command they silence
    0x1000: b"C", 0x2000: b"H", 0x4000: b"M", 0x8000: b"R", 0x80: b"L", 0x40000: b"N", 0x80000: b"B",
}
FINAL = set(b"acdrty")


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def read_packet(s):
    head = b""
    while len(head) < 4:
        chunk = s.recv(4 - len(head))
        if not chunk:
            raise EOFError("milter closed the connection")
        head += chunk
    n = struct.unpack(">I", head)[0]
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            raise EOFError("short packet")
        body += chunk
    return body[:1], body[1:]


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    offered_proto = 0x1FFFFF & ~0x3F  # every step, every no-reply option
    s.sendall(packet(b"O", struct.pack(">III", 6, 0x1FF, offered_proto)))
    cmd, data = read_packet(s)
    if cmd != b"O":
        print("no option negotiation reply"), sys.exit(2)
    _, _, proto = struct.unpack(">III", data[:12])
    silent = {c for flag, c in NR.items() if proto & flag}

    def send(cmd, data=b""):
        s.sendall(packet(cmd, data))
        if cmd in silent:
            return None
        while True:
            c, d = read_packet(s)
            if c[0] in FINAL:
                return c

    send(b"C", b"client.example.net\0" + b"4" + struct.pack(">H", 40000) + b"198.51.100.7\0")
    send(b"H", b"client.example.net\0")
    times = []
    for i in range(n):
        send(b"M", b"<alice@example.org>\0")
        r = send(b"R", b"<bob@feas.test>\0")
        if r != b"c":
            print("recipient refused:", r), sys.exit(2)
        for name, value in (("From", "alice@example.org"), ("To", "bob@feas.test"), ("Subject", "t%d" % i),
                            ("Date", "Thu, 26 Nov 2026 10:00:00 +0000"), ("Message-ID", "<%d@x>" % i)):
            send(b"L", name.encode() + b"\0" + value.encode() + b"\0")
        if not proto & 0x40:  # SMFIP_NOEOH
            send(b"N")
        send(b"B", b"hello\r\n")
        t0 = time.perf_counter()
        r = send(b"E")
        times.append((time.perf_counter() - t0) * 1000)
        if r not in (b"c", b"a"):
            print("unexpected end-of-message reply:", r), sys.exit(2)
    s.sendall(packet(b"Q"))
    s.close()
    times.sort()
    p50 = statistics.median(times)
    p90 = times[int(len(times) * 0.9) - 1]
    print("eom round trip over inet: n=%d p50=%.2f ms p90=%.2f ms max=%.2f ms" % (n, p50, p90, times[-1]))
    sys.exit(0 if p50 < 20 else 1)


if __name__ == "__main__":
    main()
