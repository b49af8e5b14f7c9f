#!/usr/bin/env python3
"""A body replacement past 64 KiB over the milter protocol (milter protocol 6).

miltertest cannot take a body replacement of more than a few KiB (it crashes),
so this client of ours sends an inbound message of 86400 bytes and reads every
modification the milter sends at end of message: the replacement body must come
in REPLBODY packets of at most 65535 bytes that together are the banner line, a
blank line and the original body, and exactly the RECIPIENTs given must be added.
Usage: replace_body.py HOST PORT BANNER [RECIPIENT...]. Exits 1 when a check
fails, 2 on a protocol error.
"""
import socket
import struct
import sys

from eom_latency import packet, read_packet


def main():
    host, port, banner, rcpts = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(packet(b"O", struct.pack(">III", 6, 0x1FF, 0)))  # every step, a reply to each
    cmd, _ = read_packet(s)
    if cmd != b"O":
        print("no option negotiation reply"), sys.exit(2)

    def send(cmd, data=b""):
        s.sendall(packet(cmd, data))
        mods = []
        while True:
            c, d = read_packet(s)
            if c in (b"c", b"a", b"t", b"r", b"y", b"d"):
                return c, mods
            mods.append((c, d))

    send(b"C", b"client.example.net\0" + b"4" + struct.pack(">H", 40000) + b"198.51.100.7\0")
    send(b"H", b"client.example.net\0")
    send(b"M", b"<alice@example.org>\0")
    if send(b"R", b"<bob@feas.test>\0")[0] != b"c":
        print("recipient refused"), sys.exit(2)
    for name, value in (("From", "alice@example.org"), ("To", "bob@feas.test"), ("Subject", "big"),
                        ("Date", "Thu, 26 Nov 2026 10:00:00 +0000"), ("Message-ID", "<big@x>")):
        send(b"L", name.encode() + b"\0" + value.encode() + b"\0")
    send(b"N")
    body = (b"y" * 70 + b"\r\n") * 1200
    for i in range(0, len(body), 60000):
        send(b"B", body[i:i + 60000])
    final, mods = send(b"E")
    s.sendall(packet(b"Q"))
    s.close()
    chunks = [d for c, d in mods if c == b"b"]
    added = [d for c, d in mods if c == b"+"]
    want = banner.encode() + b"\r\n\r\n" + body
    problems = []
    if final not in (b"c", b"a"):
        problems.append("end of message answered %r" % final)
    if len(chunks) < 2 or any(len(c) > 65535 for c in chunks):
        problems.append("REPLBODY sizes %s" % [len(c) for c in chunks])
    if b"".join(chunks) != want:
        problems.append("replacement body of %d bytes is not the bannered body of %d" %
                        (len(b"".join(chunks)), len(want)))
    if added != [b"<" + r.encode() + b">\0" for r in rcpts]:
        problems.append("recipients added: %r" % added)
    if problems:
        print("; ".join(problems)), sys.exit(1)
    print("%d bytes in %d REPLBODY packets (%s), recipients added: %s" %
          (len(want), len(chunks), "+".join(str(len(c)) for c in chunks), ", ".join(rcpts) or "none"))


if __name__ == "__main__":
    main()
