"""Starts the real digital-enterprise binary for the Python test suites.

A DEServer owns a temporary data directory, a database (an SQLite file in that directory, or a
fresh database `de_it_<random>` on the PostgreSQL named by DE_TEST_POSTGRES_URL, dropped at
cleanup), the server process and its log file (stdout and stderr together; the access log is one
JSON object per line on stderr). It can be stopped, killed with SIGKILL and started again on the
same database and port, and it answers SQL on its database (`sql`).

    s = DEServer("postgres", env={"DE_TASK_LEASE_SECONDS": "2"})
    s.init(); s.start()
    admin = s.admin()                       # a Client logged in as the admin
    r = admin.post("/api/v1/tasks", {"type": "echo"})
    s.kill9(); s.start()                    # the same data, the same port
    s.sql("SELECT status FROM tasks WHERE id = ?", (r.body["id"],))   # [("completed",)]
    s.cleanup()                             # stops it, drops the database, removes the directory

The `srv` and `server_factory` fixtures (fixtures.py) make and clean these up for tests.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from support.client import Client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ADMIN_EMAIL = "admin@example.com"
ROLES = ["admin", "manager", "operator", "viewer", "agent"]
# Seconds for /readyz after start; a sanitizer build starts slower (script/test --tsan sets it).
READY_TIMEOUT = float(os.environ.get("DE_TEST_READY_TIMEOUT", "15"))


def binary():
    path = os.environ.get("DE_BINARY") or "build/release/digital-enterprise"
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def loadgen():
    """de-loadgen, built next to the server binary."""
    return os.path.join(os.path.dirname(binary()), "de-loadgen")


def terminate(process, timeout=10):
    """SIGTERM, then SIGKILL if `process` has not ended within `timeout` s; its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_url():
    return os.environ.get("DE_TEST_POSTGRES_URL", "")


def postgres_required():
    return os.environ.get("DE_TEST_REQUIRE_POSTGRES") == "1"


def psql(url, sql, timeout=60):
    """Runs SQL (on stdin, so that psql variables are interpolated) with psql on the database at
    `url`; returns stdout. Raises RuntimeError with psql's message when a statement fails."""
    result = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-R", "\x1e", url],
                            input=sql, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}\n{sql}")
    return result.stdout


def create_postgres_database():
    """CREATE DATABASE de_it_<random> on the test PostgreSQL; returns (its URL, its name)."""
    base = postgres_url()
    name = "de_it_" + secrets.token_hex(6)
    psql(base, f"CREATE DATABASE {name};", timeout=30)
    head, _, tail = base.rpartition("/")
    query = ""
    if "?" in tail:
        query = "?" + tail.split("?", 1)[1]
    return f"{head}/{name}{query}", name


def drop_postgres_database(name):
    subprocess.run(["psql", "-X", postgres_url(), "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   capture_output=True, timeout=30)


def clean_env():
    """The caller's environment without any DE_* setting (so a developer's shell cannot leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DE_")}


# --- SQL on either backend ----------------------------------------------------------------------
def _placeholders(query, count):
    """The positions of the `?` placeholders outside quoted text ('...', "...")."""
    positions, quote = [], None
    for i, ch in enumerate(query):
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            positions.append(i)
    if len(positions) != count:
        raise ValueError(f"{len(positions)} placeholders but {count} parameters: {query}")
    return positions


def _pg_literal(value):
    if value is None:
        return "NULL", None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return None, str(value)


class _Pairs(list):
    """A JSON object as read, its (key, value) pairs in order (keys may repeat in a row)."""


def _as_python(value):
    if isinstance(value, _Pairs):
        return {k: _as_python(v) for k, v in value}
    if isinstance(value, list):
        return [_as_python(v) for v in value]
    return value


def _row(line):
    """One row_to_json line as a tuple of its column values, in order."""
    return tuple(_as_python(v) for _, v in json.loads(line, object_pairs_hook=_Pairs))


def sqlite_query(path, query, params=()):
    """Rows of `query` on an SQLite file that no running server has open (see DEServer.sql)."""
    db = sqlite3.connect(path, timeout=30)
    try:
        rows = [tuple(row) for row in db.execute(query, tuple(params)).fetchall()]
        db.commit()
        return rows
    finally:
        db.close()


def postgres_query(url, query, params=()):
    """Rows of `query` on PostgreSQL as tuples (see DEServer.sql)."""
    query = query.strip().rstrip(";").strip()
    positions = _placeholders(query, len(params))
    variables, pieces, last = [], [], 0
    for n, (pos, value) in enumerate(zip(positions, params)):
        literal, text = _pg_literal(value)
        pieces.append(query[last:pos])
        if literal is not None:
            pieces.append(literal)
        else:
            variables.append(f"\\set p{n} {_psql_quote(text)}\n")
            pieces.append(f":'p{n}'")
        last = pos + 1
    pieces.append(query[last:])
    statement = "".join(pieces)
    first = statement.split(None, 1)[0].lower() if statement else ""
    if first in ("select", "with", "values", "table"):
        wrapped = f"SELECT row_to_json(de_row) FROM ({statement}) AS de_row;"
    elif re.search(r"\breturning\b", statement, re.I):
        wrapped = f"WITH de_rows AS ({statement}) SELECT row_to_json(de_rows) FROM de_rows;"
    else:
        psql(url, "".join(variables) + statement + ";")
        return []
    out = psql(url, "".join(variables) + wrapped)
    return [_row(line) for line in out.strip("\n").split("\x1e") if line.strip()]


def _psql_quote(text):
    """A psql meta-command argument in single quotes: \\set p0 'it\\'s'."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return "'" + escaped + "'"


# SQLite's and PostgreSQL's words for SQL that does not fit the schema or the grammar.
SQL_MISTAKE = re.compile(r'no such (index|table|column)|no query solution|has no column named|syntax error'
                         r'|(relation|column|function|operator|index) "[^"]*" does not exist')

class DEServer:
    def __init__(self, backend="sqlite", env=None, admin_password=None, demo_data=True, name="server"):
        self.backend = backend
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"de-test-{backend}-")
        self.log_path = os.path.join(self.dir, "server.log")
        self.port = None
        self.url = None
        self.process = None
        self.pg_database = None
        self._token = None
        self.admin_password = admin_password if admin_password is not None else "it-pw-" + secrets.token_hex(8)
        if backend == "sqlite":
            self.database_url = f"sqlite:{self.db_path()}"
        elif backend == "postgres":
            self.database_url, self.pg_database = create_postgres_database()
        else:
            raise ValueError(backend)
        self.env = clean_env()
        self.env.update(DE_DATABASE_URL=self.database_url, DE_DATA_DIR=self.dir, DE_ADMIN_EMAIL=ADMIN_EMAIL,
                        DE_DEMO_DATA="1" if demo_data else "0", DE_LOG_LEVEL="info",
                        # One server serves a whole suite as the same few users: far past the
                        # default 600 a minute. The rate-limit tests set their own.
                        DE_RATE_LIMIT_PER_MINUTE="100000000",
                        # The stand-in vendors, receivers and relays listen on loopback, which the
                        # outbound guard refuses unless allowed (tests/contract/test_outbound_guard.py).
                        DE_OUTBOUND_ALLOW="127.0.0.1/32,::1/128")
        if self.admin_password:
            self.env["DE_ADMIN_PASSWORD"] = self.admin_password
        self.env.update(env or {})
        self.exit_code = None

    # --- commands ---------------------------------------------------------------------------
    def run(self, *args, input=None, timeout=60, env=None):
        """Runs `digital-enterprise ARGS` with the server's environment (its database)."""
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
        """Starts `serve` (again: on the same port and database) and waits for /readyz."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("the server is already running")
        if self.port is None:
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        self.exit_code = None
        log = open(self.log_path, "ab")
        try:
            log.write(f"--- serve on port {self.port}\n".encode())
            log.flush()
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
        """True when the process ended on its own (not by stop() or kill9())."""
        return self.process is not None and self.exit_code is None and self.process.poll() is not None

    def kill9(self):
        """SIGKILL, as a crash or a power cut would; start() brings it back on the same data."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        if self.process is not None:
            self.exit_code = self.process.returncode

    def stop(self):
        """Terminates the server; returns its exit code (None when it was never started)."""
        if self.process is None:
            return None
        code = terminate(self.process)
        if self.exit_code is None:
            self.exit_code = code
        return self.exit_code

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self, keep_dir=False):
        self.stop()
        if self.pg_database:
            drop_postgres_database(self.pg_database)
            self.pg_database = None
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- the database -----------------------------------------------------------------------
    def db_path(self):
        """The SQLite file (the sqlite backend)."""
        return os.path.join(self.dir, "de.db")

    def sql(self, query, params=()):
        """The rows of `query` on this server's database, as a list of tuples; `?` placeholders
        on both backends. SQLite: the sqlite3 module on the file (statements are committed), or
        on a copy of it while the server runs (reads only then).
        PostgreSQL: psql on the server's own database; values come back as JSON renders them
        (numbers, text, true/false, NULL as None, json/jsonb columns parsed, timestamps as
        ISO text). Statements other than SELECT/WITH/VALUES (or with RETURNING) return []."""
        if self.backend != "sqlite":
            return postgres_query(self.database_url, query, params)
        if self.process is None or self.process.poll() is not None:
            return sqlite_query(self.db_path(), query, params)
        # The server owns its SQLite files while it runs (its write-ahead log holds a commit's
        # frames back until the commit is whole): another process must not open them, or both
        # may see I/O errors. A copy of the log, then of the database, reads as a crash would
        # leave them: every transaction committed before the copy. Reads only.
        first = query.strip().split(None, 1)[0].lower()
        if first not in ("select", "with", "values"):
            raise ValueError("only reads while the SQLite server runs: " + query)
        with tempfile.TemporaryDirectory(prefix="de-sql-") as copy:
            for suffix in ("-wal", ""):
                if os.path.exists(self.db_path() + suffix):
                    shutil.copyfile(self.db_path() + suffix, os.path.join(copy, "de.db" + suffix))
            return sqlite_query(os.path.join(copy, "de.db"), query, params)

    # --- observation ------------------------------------------------------------------------
    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def log_lines(self):
        """Every line of the log, as text."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return []

    def sql_mistakes(self, since=0):
        """Log lines, from byte `since` on, where the database refused our own SQL (a missing
        table, column or index, a syntax error): a bug in the server, whatever the test asked."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if SQL_MISTAKE.search(line)]

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_entries(self):
        """Every JSON object line of the log."""
        entries = []
        for line in self.log_lines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    pass
        return entries

    def access_log(self):
        """Access-log entries: JSON lines with method, route, status and request_id."""
        return [e for e in self.log_entries() if {"method", "route", "status", "request_id"} <= e.keys()]

    # --- clients ----------------------------------------------------------------------------
    def client(self, token=None, api_key=None):
        return Client(self.url, token=token, api_key=api_key)

    def login(self, email, password):
        """The login answer (access_token, refresh_token, user) of that account; asserts 200."""
        r = self.client().post("/api/v1/auth/login", {"email": email, "password": password})
        assert r.status == 200, f"login of {email} failed: {r!r}"
        return r.body

    @property
    def token(self):
        """An access token of the admin (logged in once, then reused)."""
        if self._token is None:
            self._token = self.login(ADMIN_EMAIL, self.admin_password)["access_token"]
        return self._token

    def admin(self, fresh=False):
        """A client of the admin; fresh=True logs in again."""
        if fresh:
            self._token = None
        return self.client(self.token)

    def agent_key(self, name="agents"):
        """A new API key with the agent role (for /ws/agents)."""
        r = self.admin().post("/api/v1/api-keys", {"name": name, "roles": ["agent"]})
        assert r.status == 201, r
        return r.body["key"]

    def ws_url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"


class Session:
    """A running server plus one logged-in user per role (the `srv` fixture)."""

    def __init__(self, server):
        self.server = server
        self.backend = server.backend
        self.url = server.url
        self.port = server.port
        self.tokens = {"none": None}
        self.users = {}
        self.passwords = {"admin": server.admin_password}
        login = server.login(ADMIN_EMAIL, server.admin_password)
        self.tokens["admin"] = login["access_token"]
        self.users["admin"] = login["user"]
        admin = self.as_("admin")
        for role in ROLES[1:]:
            password = "pw-" + secrets.token_hex(8)
            r = admin.post("/api/v1/users", {"email": f"{role}@example.com", "username": f"{role}-user",
                                             "password": password, "roles": [role]})
            assert r.status == 201, f"creating the {role} user: {r!r}"
            self.users[role] = r.body
            self.passwords[role] = password
            login = server.login(f"{role}@example.com", password)
            self.tokens[role] = login["access_token"]
        echo = [a for a in admin.list_all("/api/v1/agents") if a["type"] == "echo"]
        assert echo, "no demo echo agent"
        self.echo_agent = echo[0]

    def as_(self, role):
        """A client with the credentials of `role` ("none": no credentials)."""
        return Client(self.url, token=self.tokens[role])

    @property
    def admin(self):
        return self.as_("admin")

    def anonymous(self):
        return Client(self.url)

    def sql(self, query, params=()):
        return self.server.sql(query, params)

    # resources for tests that need their own
    def new_user(self, role="viewer", password=None):
        password = password or "pw-" + secrets.token_hex(8)
        name = f"u{secrets.token_hex(5)}"
        r = self.admin.post("/api/v1/users", {"email": f"{name}@example.com", "username": name,
                                              "password": password, "roles": [role]})
        assert r.status == 201, r
        user = r.body
        user["password"] = password
        return user

    def login(self, email, password):
        return self.server.login(email, password)

    def client_for(self, user):
        return Client(self.url, token=self.login(user["email"], user["password"])["access_token"])

    def new_agent(self, type_="remote", **fields):
        body = {"name": f"agent-{secrets.token_hex(5)}", "type": type_}
        body.update(fields)
        r = self.admin.post("/api/v1/agents", body)
        assert r.status == 201, r
        return r.body

    def new_task(self, type_=None, **fields):
        body = {"type": type_ or "it.unhandled." + secrets.token_hex(4)}
        body.update(fields)
        r = self.admin.post("/api/v1/tasks", body)
        assert r.status == 201, r
        return r.body

    def new_cancelled_task(self):
        task = self.new_task()
        r = self.admin.post(f"/api/v1/tasks/{task['id']}/cancel")
        assert r.status == 200 and r.body["status"] == "cancelled", r
        return r.body
