#!/usr/bin/python3
"""A real upstream HTTP server for ztm's end-to-end tests: the protected API behind the
gateway. It records every complete request it receives (one JSON object per line in --log)
so tests can assert what reached it, and what never did, and answers 200 with a small JSON
body. Like a real server, it treats a body shorter than its Content-Length (the connection
closed early) as an aborted request: not recorded in --log, not answered; it is noted in
--log + ".aborted" instead, so a test can tell "aborted mid-body" from "never sent".

Usage: upstream.py --log FILE   (prints "listening on 127.0.0.1:PORT" once ready)
"""
import argparse
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
# Bodies up to this size are recorded verbatim; larger ones by length and SHA-256 only, so a
# multi-megabyte upload does not make every later read of the log slow.
MAX_RECORDED_BODY = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self._read_body(length)
        if len(body) != length:
            # The sender closed the connection before the end of the body: an aborted request,
            # which a real server neither processes nor answers.
            self._append(self.server.log_path + ".aborted", {
                "method": self.command,
                "path": self.path,
                "content_length": length,
                "received": len(body),
            })
            self.close_connection = True
            return
        record = {
            "method": self.command,
            "path": self.path,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body_length": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }
        if len(body) <= MAX_RECORDED_BODY:
            record["body"] = body.decode("utf-8", "replace")
        self._append(self.server.log_path, record)
        reply = json.dumps({
            "upstream": "ok",
            "path": self.path,
            "subject": self.headers.get("X-ZTM-Subject"),
            "device": self.headers.get("X-ZTM-Device"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def _read_body(self, length):
        # rfile.read(n) returns fewer bytes only at end of stream; read in pieces so a large
        # body does not need one n-byte allocation up front.
        pieces = []
        remaining = length
        while remaining > 0:
            try:
                piece = self.rfile.read(min(remaining, 1 << 20))
            except ConnectionError:  # reset by the sender (the gateway aborts with RST)
                break
            if not piece:
                break
            pieces.append(piece)
            remaining -= len(piece)
        return b"".join(pieces)

    @staticmethod
    def _append(path, record):
        with LOCK:
            with open(path, "a", encoding="utf-8") as log:
                log.write(json.dumps(record) + "\n")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, *args):  # keep test output clean
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.log_path = args.log
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
