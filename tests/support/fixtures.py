"""The pytest fixtures of every Python suite (loaded by tests/conftest.py).

`srv`: one real server per backend for the whole session (parametrized "sqlite", "postgres"),
initialised with `init` (migrations, admin, demo data), with one user per role created through
the admin API and logged in (a server.Session). Tests take `srv` and talk to it with
`srv.as_(role)`; `srv.server` is the DEServer.

`server_factory`: a function-scoped factory for tests that need their own server (a custom
environment such as DE_HTTP_TIMEOUT=1, a database they prepare themselves, kill -9 and restart):
`server_factory(backend="sqlite", env=None, init=True, start=True, **DEServer kwargs)`.

`mail_server`: a real SMTP server on loopback (support/mail.py): `.messages`, `.integration()`.

`postgres_database`: the URL of a fresh PostgreSQL database of the test's own (dropped after it).

`llm_standin`: the base URL of the stand-in OpenAI and Anthropic server (session-wide); every
request it saw must pass the vendors' contracts.

`prism_standin`: a function that serves a vendor contract with Prism (standins/prism.py),
`prism_standin("slack/slack-web-api.openapi.json")`; at the test's end, every request each one
received must have passed its contract.

PostgreSQL: DE_TEST_POSTGRES_URL names a server on which each test server gets a fresh
database. Without it the postgres cases are skipped, unless DE_TEST_REQUIRE_POSTGRES=1.
When a server crashed, or a test that used it failed, the tail of its log is printed at the end
of the run (and its temporary directory is kept after a crash, or always with DE_TEST_KEEP=1).
"""
import json
import os
import secrets
import subprocess
import urllib.request

import pytest

from support.mail import MailServer
from support.server import (DEServer, Session, binary, create_postgres_database, drop_postgres_database,
                            postgres_required, postgres_url, terminate)

BACKENDS = ["sqlite", "postgres"]
# The session servers get a known JWT secret (DE_JWT_SECRET, DESIGN.md section 6) so that
# tests can build tokens the server must refuse (expired ones) with a valid signature.
JWT_SECRET = "it-jwt-secret-" + secrets.token_hex(24)

# Temporary directories (database, server.log) are removed, except after a crash or with DE_TEST_KEEP=1.
KEEP = os.environ.get("DE_TEST_KEEP") == "1"
_server_reports = []  # (title, text) printed at the end of the run


def require_backend(backend):
    """Fails when the binary is missing; skips (or fails, with DE_TEST_REQUIRE_POSTGRES=1) a
    postgres case without DE_TEST_POSTGRES_URL."""
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


def fail_on_sql_mistakes(mistakes):
    if mistakes:
        pytest.fail("the server logged SQL the database refused:\n" + "\n".join(mistakes[:5]))


@pytest.fixture(autouse=True)
def _server_still_alive(request):
    """After every test that used the session server, the server must still be running and
    must not have logged SQL the database refused."""
    session = request.getfixturevalue("srv") if "srv" in request.fixturenames else None
    since = session.server.log_size() if session else 0
    yield
    if session:
        if session.server.process.poll() is not None:
            pytest.fail(f"the {session.backend} server died (exit code {session.server.process.returncode}) "
                        f"during this test:\n{session.server.log_tail(40)}")
        fail_on_sql_mistakes(session.server.sql_mistakes(since))


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
    mistakes = []
    for s in made:
        crashed = s.crashed()
        s.stop()
        if crashed:
            report_server(s, "CRASHED")
        elif _failed(request.node):
            report_server(s, "test failed")
        mistakes += s.sql_mistakes()
        s.cleanup(keep_dir=crashed or KEEP)
    fail_on_sql_mistakes(mistakes)


@pytest.fixture
def mail_server():
    """A real SMTP server on loopback (support/mail.py), stopped after the test."""
    server = MailServer()
    yield server
    server.close()


@pytest.fixture
def postgres_database():
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    require_backend("postgres")
    url, name = create_postgres_database()
    yield url
    drop_postgres_database(name)


@pytest.fixture(scope="session")
def llm_standin():
    """The stand-in for the LLM vendors (standins/llm_standin.py), started once: its base URL.
    At the end, every request it saw must have passed the vendors' contracts."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "standins", "llm_standin.py")
    process = subprocess.Popen(["/usr/bin/python3", script, "--port", "0"], stdout=subprocess.PIPE, text=True)
    first = process.stdout.readline().strip()
    if not first.isdigit():
        process.wait(10)
        message = f"the LLM stand-in did not start: {first or process.returncode}"
        if postgres_required():  # CI: the vendor contracts must be there
            pytest.fail(message)
        pytest.skip(message)
    url = f"http://127.0.0.1:{first}"
    yield url
    with urllib.request.urlopen(url + "/__stats", timeout=10) as r:
        stats = json.load(r)
    terminate(process)
    assert stats["rejected"] == 0, f"requests the vendors' contracts reject: {stats['rejections'][:3]}"
    assert not stats["invalid_answers"], stats["invalid_answers"][:3]


@pytest.fixture
def prism_standin():
    from support.standins.prism import PrismStandin
    started = []

    def start(contract, dynamic=False):
        standin = PrismStandin(contract, dynamic=dynamic).start()
        started.append(standin)
        return standin

    yield start
    violations = [(s.contract.name, v) for s in started for v in s.violations()]
    for standin in started:
        standin.stop()
    assert not violations, f"requests the vendors' contracts reject: {violations[:5]}"
