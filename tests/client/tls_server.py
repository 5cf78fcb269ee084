#!/usr/bin/env python3
"""A TLS test server for libztm's transport tests (standard library only).

Listens on 127.0.0.1 (port chosen by the OS, printed as "listening <port>"), presents the
certificate chain it is given, optionally requires a client certificate, and answers every
request with a fixed status and body. It appends one JSON line per connection to --log:
  {"event": "handshake_failed", "error": "..."}            no application byte was received
  {"event": "request", "bytes": N, "request_line": "...",
   "client_certificate": bool, "body": "..."}                  a complete request was received
so a test can prove that a connection refused during the handshake carried no request bytes.
"""
import argparse
import json
import socket
import ssl
import sys
import threading

# Requests in these tests are small; a bound keeps a misbehaving client from growing memory.
MAX_REQUEST_BYTES = 1 << 20
# Each connection gets this long to finish; tests never wait on a stuck peer for longer.
CONNECTION_TIMEOUT_SECONDS = 10

log_lock = threading.Lock()


def log(path, record):
    with log_lock, open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data, None
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            return data, None
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return data, (head, body)


def serve(raw, context, args):
    raw.settimeout(CONNECTION_TIMEOUT_SECONDS)
    try:
        conn = context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as error:
        log(args.log, {"event": "handshake_failed", "error": str(error)})
        raw.close()
        return
    try:
        data, parsed = read_request(conn)
        if parsed is None:
            log(args.log, {"event": "incomplete", "bytes": len(data)})
            return
        head, body = parsed
        log(args.log, {
            "event": "request",
            "bytes": len(data),
            "request_line": head.split(b"\r\n")[0].decode("latin-1"),
            "client_certificate": conn.getpeercert() is not None and conn.getpeercert() != {},
            "body": body.decode("latin-1"),
        })
        payload = b"x" * args.body_size if args.body_size else b"hello"
        reason = {200: "OK", 204: "No Content", 500: "Internal Server Error"}.get(args.status, "X")
        header = "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nX-Test:  padded \r\n" \
                 "Content-Length: %d\r\nConnection: close\r\n\r\n" % (args.status, reason, len(payload))
        conn.sendall(header.encode("ascii") + payload)
    except (ssl.SSLError, OSError) as error:
        log(args.log, {"event": "error", "error": str(error)})
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True, help="PEM chain the server presents, leaf first")
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-ca", help="require a client certificate issued by this CA")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--body-size", type=int, default=0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args.client_ca)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print("listening %d" % listener.getsockname()[1], flush=True)
    while True:
        raw, _ = listener.accept()
        threading.Thread(target=serve, args=(raw, context, args), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
