#!/usr/bin/env python3
"""Replays recorded Dify responses (the .http fixtures) on 127.0.0.1 for DifyClient tests.

Usage: dify_replay_server.py FIXTURES_DIR
Prints "PORT <n>" on the first line of stdout, then serves until stdin closes, so the
server ends with the test process that started it.

Each request names its scenario in the path, before the API base:
    /s/<options>/v1/<dify path>
options are comma-separated key=value pairs:
    fixture=NAME     the .http file whose response is replayed (required)
    chunk=N          write the body in pieces of N bytes (default: all at once)
    delay_ms=N       sleep N ms between pieces
    cut=N            send only the first N body bytes, then act as `after` sets
    after=end|close|hang
                     end: finish the chunked body cleanly (default);
                     close: drop the connection without the final chunk;
                     hang: keep the connection open, sending nothing, until the client leaves
    head_delay_ms=N  sleep N ms before sending the status line (a slow blocking run)
    tag=ID           record the request under ID; GET /_log/ID returns the records as JSON
POST /_fixture/NAME with a whole .http text as body stores it in memory; fixture=NAME then
replays it like a file (for synthetic streams that no recording has).
"""
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIXTURES = sys.argv[1] if len(sys.argv) > 1 else "."
LOG = {}
LOG_LOCK = threading.Lock()
UPLOADED = {}


def load_fixture(name):
    """Returns (status, reason, headers list, body bytes) of the recorded response."""
    with LOG_LOCK:
        text = UPLOADED.get(name)
    if text is None:
        with open(os.path.join(FIXTURES, name), "rb") as handle:
            text = handle.read()
    response = text.split(b"### RESPONSE\n", 1)[1]
    head, _, body = response.partition(b"\n\n")
    lines = head.decode().split("\n")
    _, status, reason = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return int(status), reason, headers, body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""

        if self.path.startswith("/_log/"):
            with LOG_LOCK:
                records = LOG.get(self.path[len("/_log/"):], [])
                payload = json.dumps(records).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return

        if self.path.startswith("/_fixture/"):
            with LOG_LOCK:
                UPLOADED[self.path[len("/_fixture/"):]] = request_body
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return

        parts = self.path.split("/", 3)
        if len(parts) < 4 or parts[1] != "s":
            self.send_error(400, "path must be /s/<options>/v1/...")
            return
        options = dict(item.split("=", 1) for item in parts[2].split(",") if "=" in item)
        tag = options.get("tag")
        if tag:
            with LOG_LOCK:
                LOG.setdefault(tag, []).append({
                    "method": self.command,
                    "path": "/" + parts[3],
                    "headers": {key.lower(): value for key, value in self.headers.items()},
                    "body": request_body.decode("utf-8", "replace"),
                })

        status, reason, headers, body = load_fixture(options["fixture"])
        streaming = any(name.lower() == "transfer-encoding" for name, _ in headers)
        cut = int(options.get("cut", len(body)))
        after = options.get("after", "end")
        chunk = int(options.get("chunk", 0)) or len(body) or 1
        delay = int(options.get("delay_ms", 0)) / 1000.0

        head_delay = int(options.get("head_delay_ms", 0)) / 1000.0
        if head_delay:
            time.sleep(head_delay)
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() in ("content-length", "transfer-encoding", "connection", "date", "server"):
                continue
            self.send_header(name, value)
        if streaming or cut < len(body):
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()

        if not (streaming or cut < len(body)):
            self.wfile.write(body)
            self.wfile.flush()
            return

        sent = body[:cut]
        for start in range(0, len(sent), chunk):
            piece = sent[start:start + chunk]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            if delay:
                time.sleep(delay)

        if cut >= len(body) or after == "end":
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        elif after == "close":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif after == "hang":
            self.connection.settimeout(0.1)
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if self.connection.recv(1) == b"":
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
            with LOG_LOCK:
                LOG.setdefault((tag or "") + ":closed", []).append({"at": time.time()})
            self.close_connection = True

    do_GET = handle_any
    do_POST = handle_any


def main():
    # The default listen backlog of 5 resets connections when tests open dozens at once.
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # Returns at end of input: the test process is gone.
    os._exit(0)


if __name__ == "__main__":
    main()
