#!/usr/bin/env python3
"""The protocol steps postern-milter negotiates (milter protocol 6).

Offers every step-skip and no-reply flag, as Postfix does, and checks that
postern asks to skip the steps it has no use for (DATA, end of headers,
unknown commands) and waives the replies it never needs (connect, HELO, MAIL,
header, body), while still answering RCPT and end of message.
Usage: negotiation.py HOST PORT. Prints the negotiated flags; exits 1 when
one is missing or unexpected, 2 on a protocol error.
"""
import socket
import struct
import sys

WANT = {"NOEOH": 0x40, "NOUNKNOWN": 0x100, "NODATA": 0x200, "NR_CONN": 0x1000, "NR_HELO": 0x2000,
        "NR_MAIL": 0x4000, "NR_HDR": 0x80, "NR_BODY": 0x80000}
NOT = {"NORCPT": 0x8, "NOBODY": 0x10, "NOHDRS": 0x20, "NR_RCPT": 0x8000}
# The actions (SMFIF_*) postern asks for: its one constant in milter/shim.cpp.
ACTIONS = {"ADDHDRS": 0x1, "CHGBODY": 0x2, "ADDRCPT": 0x4, "DELRCPT": 0x8, "CHGHDRS": 0x10,
           "QUARANTINE": 0x20, "ADDRCPT_PAR": 0x80, "SETSYMLIST": 0x100}


def main():
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    data = struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
    s.sendall(struct.pack(">I", len(data) + 1) + b"O" + data)
    head = s.recv(4, socket.MSG_WAITALL)
    body = s.recv(struct.unpack(">I", head)[0], socket.MSG_WAITALL)
    if body[:1] != b"O" or len(body) < 13:
        print("no option negotiation reply")
        sys.exit(2)
    _, actions, proto = struct.unpack(">III", body[1:13])
    missing = [n for n, f in WANT.items() if not proto & f]
    missing += [n for n, f in ACTIONS.items() if not actions & f]
    extra = [n for n, f in NOT.items() if proto & f]
    extra += ["action 0x%x" % (actions & ~sum(ACTIONS.values()))] if actions & ~sum(ACTIONS.values()) else []
    print("protocol flags 0x%x, actions 0x%x; missing %s; unexpected %s" %
          (proto, actions, missing or "none", extra or "none"))
    sys.exit(1 if missing or extra else 0)


if __name__ == "__main__":
    main()
