#!/usr/bin/python3
"""The demo's hostile network and the pin report collector (scripts/demo.sh starts both).

  demo_network.py intercept --cert C --key K --ca CA --upstream-port P --log F [--rules R]
      A man in the middle: a TLS server whose certificate (C, K) was issued for localhost by the
      same CA as the gateway's, so ordinary certificate verification accepts it. It decrypts
      each request, records it in F (one JSON object per line, with the gateway's answer),
      optionally rewrites it (R, below), forwards it to the gateway at
      https://localhost:P over TLS verified against CA, and relays the answer. A connection
      that ends without a request (a client that refused the certificate) is recorded too, with
      the TLS error and the number of request bytes received (0).

      R, when the file exists at the time of a request, is a JSON object telling the
      interceptor how to tamper with request bodies: {"replace": OLD, "with": NEW,
      "fix_digest": BOOL}; fix_digest recomputes Content-Digest (RFC 9530, sha-256) over the
      rewritten body. ztm-demo, which plays the attacker, writes it before each attack.

  demo_network.py collect --cert C --key K --log F
      A pin failure report collector: records the JSON body of every POST in F and answers
      204.

Both print "listening on 127.0.0.1:PORT" once ready and run until SIGTERM.
"""
import argparse
import base64
import hashlib
import http.client
import json
import signal
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
# Every wait is bounded: a stuck peer cannot hold a thread for longer than this.
TIMEOUT_SECONDS = 10
# The demo's requests and answers are a few KiB; anything larger is not part of the demo.
MAX_BODY_BYTES = 1 << 20
# Headers the interceptor sets itself when relaying (hop-by-hop, or recomputed).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def append(path, record):
    with LOCK:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")


def read_body(handler):
    length = int(handler.headers.get("Content-Length") or 0)
    if length < 0 or length > MAX_BODY_BYTES:
        raise ValueError("body too large")
    return handler.rfile.read(length)


class Interceptor(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = TIMEOUT_SECONDS

    def handle(self):
        # A client that checks the certificate only after the handshake and then closes (or
        # sends an alert) shows up here as a connection without a request.
        self.relayed = False
        try:
            super().handle()
            error = "end of stream"
        except (ssl.SSLError, OSError) as failure:
            error = str(failure)
        if not self.relayed:
            append(self.server.config.log, {"event": "closed_without_request", "error": error,
                                            "request_bytes": 0})

    def do_GET(self):
        self.relayed = True
        self._relay()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _relay(self):
        config = self.server.config
        body = read_body(self)
        headers = [(name, value) for name, value in self.headers.items()]
        record = {"event": "request", "method": self.command, "path": self.path,
                  "headers": [[name.lower(), value] for name, value in headers],
                  "body": body.decode("utf-8", "replace")}
        body, headers, tampered = self._tamper(body, headers)
        if tampered:
            record["forwarded_body"] = body.decode("utf-8", "replace")
            record["forwarded_headers"] = [[name.lower(), value] for name, value in headers]
        upstream = http.client.HTTPSConnection("localhost", config.upstream_port,
                                               timeout=TIMEOUT_SECONDS,
                                               context=config.client_context)
        try:
            # The Host the app sent goes through unchanged: its DPoP proof and signature name it.
            upstream.request(self.command, self.path, body=body, headers=dict(headers))
            answer = upstream.getresponse()
            answer_body = answer.read(MAX_BODY_BYTES + 1)[:MAX_BODY_BYTES]
            answer_headers = answer.getheaders()
            status = answer.status
        finally:
            upstream.close()
        record["status"] = status
        record["answer"] = answer_body.decode("utf-8", "replace")
        append(config.log, record)
        self.send_response(status)
        for name, value in answer_headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer_body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer_body)
        self.close_connection = True

    def _tamper(self, body, headers):
        try:
            with open(self.server.config.rules, encoding="utf-8") as rules_file:
                rules = json.load(rules_file)
        except (OSError, ValueError):
            return body, headers, False
        old = rules.get("replace", "").encode()
        if not old or old not in body:
            return body, headers, False
        body = body.replace(old, rules.get("with", "").encode())
        if rules.get("fix_digest"):
            digest = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
            headers = [(name, digest if name.lower() == "content-digest" else value)
                       for name, value in headers]
        return body, headers, True

    def log_message(self, *args):
        pass


class InterceptingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config):
        super().__init__(("127.0.0.1", 0), Interceptor)
        self.config = config

    def get_request(self):
        # The handshake runs in the handler's thread (finish_request) so that one client that
        # refuses the certificate is recorded without holding up the accept loop.
        sock, address = self.socket.accept()
        sock.settimeout(TIMEOUT_SECONDS)
        return sock, address

    def finish_request(self, sock, address):
        try:
            tls = self.config.server_context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as error:
            append(self.config.log, {"event": "handshake_failed", "error": str(error),
                                     "request_bytes": 0})
            return
        try:
            self.RequestHandlerClass(tls, address, self)
        finally:
            tls.close()


class Collector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = TIMEOUT_SECONDS

    def do_POST(self):
        body = read_body(self)
        try:
            report = json.loads(body)
        except ValueError:
            report = {"unparsed": body.decode("utf-8", "replace")}
        append(self.server.log, {"path": self.path, "report": report})
        self.send_response(204)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    intercept = modes.add_parser("intercept")
    intercept.add_argument("--upstream-port", type=int, required=True)
    intercept.add_argument("--ca", required=True)
    intercept.add_argument("--rules", default="")
    collect = modes.add_parser("collect")
    for mode in (intercept, collect):
        mode.add_argument("--cert", required=True)
        mode.add_argument("--key", required=True)
        mode.add_argument("--log", required=True)
    args = parser.parse_args()

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(args.cert, args.key)
    if args.mode == "intercept":
        args.server_context = server_context
        args.client_context = ssl.create_default_context(cafile=args.ca)
        server = InterceptingServer(args)
    else:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
        server.daemon_threads = True
        server.log = args.log
        server.socket = server_context.wrap_socket(server.socket, server_side=True)
    open(args.log, "a", encoding="utf-8").close()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
