#!/usr/bin/env python3
"""An HTTPS server for the MTA-STS part of integration.tls: the policy file of each
mta-sts.DOMAIN by the Host header. Usage: sts_server.py PORT CERT KEY PORTFILE.
PORT 0 lets the kernel choose; the bound port is written to PORTFILE once it listens."""
import http.server
import os
import ssl
import sys

POLICIES = {
    "mta-sts.good.test": "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.mail.good.test\r\nmax_age: 604800\r\n",
    "mta-sts.testing.test": "version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n",
    "mta-sts.bad.test": "version: STSv1\nmode: enforcing\nmx: mx.bad.test\nmax_age: 86400\n",
    "mta-sts.big.test": "version: STSv1\nmode: none\nmax_age: 86400\n" + "#" * 70000 + "\n",
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        if host == "mta-sts.redirect.test":
            self.send_response(301)
            self.send_header("Location", "https://mta-sts.good.test/.well-known/mta-sts.txt")
            self.end_headers()
            return
        body = POLICIES.get(host)
        if body is None or self.path != "/.well-known/mta-sts.txt":
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
with open(sys.argv[4] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[4] + ".tmp", sys.argv[4])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
