#!/usr/bin/env python3
"""A plain SMTP sink for integration.tls: EHLO without STARTTLS, every message
accepted and appended to FILE. Usage: smtp_sink.py PORT FILE PORTFILE (runs until killed).
PORT 0 lets the kernel choose a free port; the bound port is written to PORTFILE once the
sink listens, so a fixed port can never be taken by someone else in between."""
import os
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 sink.test ESMTP")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("latin-1").strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                self.reply("250-sink.test")
                self.reply("250 8BITMIME")
            elif cmd.startswith("DATA"):
                self.reply("354 go on")
                data = []
                while True:
                    l = self.rfile.readline(65536)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    data.append(l)
                with open(sys.argv[2], "ab") as f:
                    f.write(b"".join(data) + b"\n--- end ---\n")
                self.reply("250 2.0.0 stored")
            elif cmd.startswith("QUIT"):
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True


server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
server.serve_forever()
