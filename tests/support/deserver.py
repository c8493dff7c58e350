"""Starts the real digital-enterprise binary for tests and talks to it over HTTP.

Shared by tests/api (the REST contract) and tests/reliability (crashes, agents, fan-out)."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
POSTGRES_URL = os.environ.get("DE_TEST_POSTGRES_URL", "")
BINARY = os.environ.get("DE_BINARY", os.path.join(ROOT, "build", "release", "digital-enterprise"))
LOADGEN = os.path.join(os.path.dirname(BINARY), "de-loadgen")
PASSWORD = "reliability-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_postgres_database():
    """A fresh database on the throwaway PostgreSQL that script/test starts."""
    name = "de_it_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", POSTGRES_URL, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def decode(body, headers):
    """JSON bodies parsed, others (Prometheus text) as text, empty as None."""
    if not body:
        return None
    return json.loads(body) if "json" in headers.get("Content-Type", "") else body.decode()


class Server:
    """One server with its own database (SQLite file, or a new PostgreSQL database when
    backend="postgres"); restartable on the same data."""

    def __init__(self, backend="sqlite", **env):
        self.dir = tempfile.mkdtemp(prefix="de-test-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database = f"sqlite:{self.dir}/de.db" if backend == "sqlite" else new_postgres_database()
        self.env = dict(os.environ, DE_DATABASE_URL=database, DE_DATA_DIR=self.dir,
                        DE_ADMIN_PASSWORD=PASSWORD, DE_LOG_LEVEL="info")
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
                return response.status, decode(response.read(), response.headers)
        except urllib.error.HTTPError as e:
            return e.code, decode(e.read(), e.headers)

    def agent_key(self, name="agents"):
        status, body = self.request("POST", "/api/v1/api-keys", {"name": name, "roles": ["agent"]})
        assert status == 201, body
        return body["key"]

    def db_path(self):
        return os.path.join(self.dir, "de.db")
