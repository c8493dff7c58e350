"""Starts the real digital-enterprise binary for a test and talks to it over HTTP."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("DE_BINARY", os.path.join(ROOT, "build", "release", "digital-enterprise"))
LOADGEN = os.path.join(os.path.dirname(BINARY), "de-loadgen")
PASSWORD = "reliability-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server with its own SQLite database; restartable on the same data."""

    def __init__(self, **env):
        self.dir = tempfile.mkdtemp(prefix="de-reliability-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DE_DATABASE_URL=f"sqlite:{self.dir}/de.db", DE_DATA_DIR=self.dir,
                        DE_ADMIN_PASSWORD=PASSWORD, DE_LOG_LEVEL="warn")
        self.env.update(env)
        subprocess.run([BINARY, "init"], env=self.env, check=True, capture_output=True)
        self.process = None
        self.start()
        self.token = self.login()

    def start(self):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.process = subprocess.Popen([BINARY, "serve", "--listen", f"127.0.0.1:{self.port}"],
                                        env=self.env, stdout=log, stderr=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/readyz", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not become ready:\n" + self.log_tail())

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log_tail(self, lines=40):
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")

    def login(self):
        return self.request("POST", "/api/v1/auth/login",
                            {"email": "admin@example.com", "password": PASSWORD}, token=None)[1]["access_token"]

    def request(self, method, path, body=None, token="default", headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + (self.token if token == "default" else token))
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, json.loads(text) if text else None

    def agent_key(self, name="agents"):
        status, body = self.request("POST", "/api/v1/api-keys", {"name": name, "roles": ["agent"]})
        assert status == 201, body
        return body["key"]

    def db_path(self):
        return os.path.join(self.dir, "de.db")
