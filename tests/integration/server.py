"""Starts the real digital-enterprise binary for the integration tests.

A DEServer owns a temporary data directory, a database (an SQLite file in that directory, or
a fresh database on the PostgreSQL named by DE_TEST_POSTGRES_URL), the server process and its
log file (stdout and stderr together; the access log is one JSON object per line on stderr).
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from client import Client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ADMIN_EMAIL = "admin@example.com"
READY_TIMEOUT = 15


def binary():
    path = os.environ.get("DE_BINARY") or "build/release/digital-enterprise"
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_url():
    return os.environ.get("DE_TEST_POSTGRES_URL", "")


def postgres_required():
    return os.environ.get("DE_TEST_REQUIRE_POSTGRES") == "1"


def create_postgres_database():
    """CREATE DATABASE de_it_<random> on the test PostgreSQL; returns its URL."""
    base = postgres_url()
    name = "de_it_" + secrets.token_hex(6)
    subprocess.run(["psql", base, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True, timeout=30)
    head, _, tail = base.rpartition("/")
    query = ""
    if "?" in tail:
        query = "?" + tail.split("?", 1)[1]
    return f"{head}/{name}{query}", name


def drop_postgres_database(name):
    subprocess.run(["psql", postgres_url(), "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   capture_output=True, timeout=30)


def clean_env():
    """The caller's environment without any DE_* setting (so a developer's shell cannot leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DE_")}


class DEServer:
    def __init__(self, backend="sqlite", env=None, admin_password=None, demo_data=True, name="server"):
        self.backend = backend
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"de-it-{backend}-")
        self.log_path = os.path.join(self.dir, "server.log")
        self.port = None
        self.url = None
        self.process = None
        self.pg_database = None
        self.admin_password = admin_password if admin_password is not None else "admin-" + secrets.token_hex(8)
        if backend == "sqlite":
            database_url = f"sqlite:{self.dir}/de.db"
        elif backend == "postgres":
            database_url, self.pg_database = create_postgres_database()
        else:
            raise ValueError(backend)
        self.env = clean_env()
        self.env.update(DE_DATABASE_URL=database_url, DE_DATA_DIR=self.dir, DE_ADMIN_EMAIL=ADMIN_EMAIL,
                        DE_DEMO_DATA="1" if demo_data else "0", DE_LOG_LEVEL="info")
        if self.admin_password:
            self.env["DE_ADMIN_PASSWORD"] = self.admin_password
        self.env.update(env or {})
        self.exit_code = None

    # --- commands ---------------------------------------------------------------------------
    def run(self, *args, input=None, timeout=60, env=None):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run([binary(), *args], env=e, input=input, capture_output=True, text=True,
                              timeout=timeout)

    def init(self):
        result = self.run("init")
        with open(self.log_path, "a") as log:
            log.write(f"--- init (exit {result.returncode})\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise RuntimeError(f"`init` failed with {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen([binary(), "serve", "--listen", f"127.0.0.1:{self.port}"],
                                            env=self.env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode} while starting:\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"/readyz did not answer 200 within {READY_TIMEOUT} s:\n" + self.log_tail())

    def crashed(self):
        """True when the process ended on its own (before stop())."""
        return self.process is not None and self.exit_code is None and self.process.poll() is not None

    def stop(self):
        """Terminates the server; returns its exit code (None when it was never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.exit_code is None:
            self.exit_code = self.process.returncode
        return self.exit_code

    def cleanup(self, keep_dir=False):
        self.stop()
        if self.pg_database:
            drop_postgres_database(self.pg_database)
            self.pg_database = None
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- observation ------------------------------------------------------------------------
    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def log_entries(self):
        """Every JSON object line of the log."""
        entries = []
        try:
            with open(self.log_path, "rb") as f:
                for line in f:
                    line = line.strip()
                    if line.startswith(b"{"):
                        try:
                            entries.append(json.loads(line))
                        except ValueError:
                            pass
        except OSError:
            pass
        return entries

    def access_log(self):
        """Access-log entries: JSON lines with method, route, status and request_id."""
        return [e for e in self.log_entries() if {"method", "route", "status", "request_id"} <= e.keys()]

    # --- clients ----------------------------------------------------------------------------
    def client(self, token=None, api_key=None):
        return Client(self.url, token=token, api_key=api_key)

    def login(self, email, password):
        r = self.client().post("/api/v1/auth/login", {"email": email, "password": password})
        assert r.status == 200, f"login of {email} failed: {r!r}"
        return r.body

    def admin(self):
        return self.client(self.login(ADMIN_EMAIL, self.admin_password)["access_token"])
