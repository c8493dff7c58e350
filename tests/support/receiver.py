"""Real HTTP servers on loopback that record what they are sent: a webhook receiver and a JSON
API stand-in."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (a free port) serving a handler class on its own threads."""

    def serve(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Receiver(LoopbackServer):
    """An HTTP receiver on 127.0.0.1 that records every POST and answers `status` (a function of
    the request number, or a number), after `delay` seconds (a function of the request number, or a
number)."""

    def __init__(self, status=200, delay=0.0):
        self.status, self.delay, self.requests = status, delay, []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append((dict((k.lower(), v) for k, v in self.headers.items()), body))
                    n = len(receiver.requests)
                time.sleep(receiver.delay(n) if callable(receiver.delay) else receiver.delay)
                status = receiver.status(n) if callable(receiver.status) else receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.serve(Handler)
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def events(self):
        with self.lock:
            return [json.loads(body) for _, body in self.requests]


class JsonStandin(LoopbackServer):
    """A vendor API stand-in on 127.0.0.1: each request (method, path, headers, body: parsed JSON,
    raw bytes when not JSON, None when empty) goes to `respond`, which gives (status, JSON body,
    extra headers). `requests` keeps (method, path, body) of each, `headers` their header fields."""

    def __init__(self, respond):
        self.requests, self.headers = [], []
        self.lock = threading.Lock()  # the handler threads append to both lists as one
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                with standin.lock:
                    standin.requests.append((self.command, self.path, body))
                    standin.headers.append(self.headers)
                status, answer, headers = respond(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.serve(Handler)
        self.url = f"http://127.0.0.1:{self.port}"

    def paths(self):
        return [path for _, path, _ in self.requests]
