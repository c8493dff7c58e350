"""Fixtures of the integration suite.

`srv`: one real server per backend for the whole session (parametrized "sqlite", "postgres"),
initialised with `init` (migrations, admin, demo data), with one user per role created through
the admin API and logged in. Tests take `srv` and talk to it with `srv.as_(role)`.

`server_factory`: a function-scoped factory for tests that need their own server (custom
environment such as DE_HTTP_TIMEOUT=1, or a database they prepare themselves).

PostgreSQL: DE_TEST_POSTGRES_URL names a server on which each test server gets a fresh
database. Without it the postgres cases are skipped, unless DE_TEST_REQUIRE_POSTGRES=1.
"""
import os
import secrets
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from client import Client  # noqa: E402
from server import ADMIN_EMAIL, DEServer, binary, postgres_required, postgres_url  # noqa: E402

BACKENDS = ["sqlite", "postgres"]
ROLES = ["admin", "manager", "operator", "viewer", "agent"]
# The session servers get a known JWT secret (DE_JWT_SECRET, DESIGN.md section 6) so that
# tests can build tokens the server must refuse (expired ones) with a valid signature.
JWT_SECRET = "it-jwt-secret-" + secrets.token_hex(24)

# Temporary directories (database, server.log) are removed, except after a crash or with DE_TEST_KEEP=1.
KEEP = os.environ.get("DE_TEST_KEEP") == "1"
_server_reports = []  # (title, text) printed at the end of the run


def require_backend(backend):
    if not os.path.isfile(binary()):
        pytest.fail(f"the server binary {binary()} does not exist: build it or set DE_BINARY")
    if backend == "postgres" and not postgres_url():
        if postgres_required():
            pytest.fail("DE_TEST_REQUIRE_POSTGRES=1 but DE_TEST_POSTGRES_URL is not set")
        pytest.skip("DE_TEST_POSTGRES_URL is not set: PostgreSQL cases skipped "
                    "(script/test starts a throwaway PostgreSQL and sets it)")


def report_server(server, why):
    _server_reports.append((f"{server.name} ({server.backend}, {server.dir}): {why}", server.log_tail(80)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(node):
    return any(getattr(getattr(node, "rep_" + w, None), "failed", False) for w in ("setup", "call"))


def pytest_report_header(config):
    pg = postgres_url()
    return [f"digital-enterprise binary: {binary()}",
            "postgres: " + (pg if pg else "DE_TEST_POSTGRES_URL unset, PostgreSQL cases skipped"
                            + (" (but DE_TEST_REQUIRE_POSTGRES=1: they fail)" if postgres_required() else ""))]


def pytest_terminal_summary(terminalreporter):
    for title, text in _server_reports:
        terminalreporter.section(f"server log tail: {title}", sep="-")
        terminalreporter.write_line(text)


class Session:
    """A running server plus one logged-in user per role."""

    def __init__(self, server):
        self.server = server
        self.backend = server.backend
        self.url = server.url
        self.tokens = {"none": None}
        self.users = {}
        self.passwords = {"admin": server.admin_password}
        self.refresh_tokens = {}
        login = server.login(ADMIN_EMAIL, server.admin_password)
        self.tokens["admin"] = login["access_token"]
        self.users["admin"] = login["user"]
        admin = self.as_("admin")
        for role in ROLES[1:]:
            password = f"pw-{role}-" + secrets.token_hex(6)
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


@pytest.fixture(scope="session", params=BACKENDS)
def srv(request):
    backend = request.param
    require_backend(backend)
    server = DEServer(backend, env={"DE_JWT_SECRET": JWT_SECRET}, name="session server")
    failed_before = request.session.testsfailed
    try:
        server.init()
        server.start()
        session = Session(server)
    except BaseException:
        report_server(server, "failed to start")
        server.cleanup(keep_dir=True)
        raise
    yield session
    crashed = server.crashed()
    code = server.stop()
    failed = request.session.testsfailed > failed_before
    if crashed:
        report_server(server, f"CRASHED (exit code {code})")
    elif failed:
        report_server(server, "tests failed")
    elif code not in (0, None, -15):
        report_server(server, f"exit code {code} after SIGTERM")
    server.cleanup(keep_dir=crashed or KEEP)


@pytest.fixture(autouse=True)
def _server_still_alive(request):
    """After every test that used the session server, the server must still be running."""
    yield
    if "srv" in request.fixturenames:
        session = request.getfixturevalue("srv")
        if session.server.process.poll() is not None:
            pytest.fail(f"the {session.backend} server died (exit code {session.server.process.returncode}) "
                        f"during this test:\n{session.server.log_tail(40)}")


@pytest.fixture
def server_factory(request):
    """make(backend="sqlite", env=None, init=True, start=True, **DEServer kwargs) -> DEServer."""
    made = []

    def make(backend="sqlite", env=None, init=True, start=True, **kwargs):
        require_backend(backend)
        s = DEServer(backend, env=env, name=f"{request.node.name} server", **kwargs)
        made.append(s)
        if init:
            s.init()
        if start:
            s.start()
        return s

    yield make
    for s in made:
        crashed = s.crashed()
        s.stop()
        if crashed:
            report_server(s, "CRASHED")
        elif _failed(request.node):
            report_server(s, "test failed")
        s.cleanup(keep_dir=crashed or KEEP)
