"""The command line: version, --help everywhere, clear errors, idempotent init."""
import re
import subprocess
import time

import pytest

from support.fixtures import require_backend
from support.client import Client
from support.server import ADMIN_EMAIL, binary, clean_env, free_port

SUBCOMMANDS = [["serve"], ["migrate"], ["init"], ["user"], ["user", "create"], ["backup"], ["restore"], ["rebuild"],
               ["version"]]


def run(*args, env=None, input=None, timeout=30):
    """Runs the binary; without `env`, with no DE_* setting at all (for commands that touch no
    database, such as version and --help)."""
    return subprocess.run([binary(), *args], capture_output=True, text=True, timeout=timeout, input=input,
                          env=env if env is not None else clean_env())


@pytest.fixture
def cli_env(tmp_path):
    """An environment with a fresh SQLite database in the test's temporary directory."""
    env = clean_env()
    env.update(DE_DATABASE_URL=f"sqlite:{tmp_path}/de.db", DE_DATA_DIR=str(tmp_path), DE_LOG_LEVEL="warn")
    return env


@pytest.fixture(autouse=True)
def _binary_exists():
    require_backend("sqlite")


def test_version():
    r = run("version")
    assert r.returncode == 0, r
    assert r.stdout.startswith("digital-enterprise "), r.stdout
    assert re.search(r"\d+\.\d+\.\d+", r.stdout), r.stdout


def test_top_level_help():
    r = run("--help")
    assert r.returncode == 0, r
    out = r.stdout + r.stderr
    for command in ("serve", "migrate", "init", "user", "backup", "restore", "rebuild", "version"):
        assert command in out, f"--help does not mention {command}"


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=[" ".join(c) for c in SUBCOMMANDS])
def test_help_on_every_subcommand(command):
    r = run(*command, "--help")
    assert r.returncode == 0, (command, r.stderr)
    out = r.stdout + r.stderr
    assert "Usage" in out, out
    assert " ".join(command) in out, out


def test_serve_help_lists_its_options():
    out = run("serve", "--help").stdout
    for option in ("--listen", "--database-url", "--data-dir", "--threads", "--web-root", "--config"):
        assert option in out, option


def test_no_or_unknown_subcommand_fails():
    for args in ([], ["frobnicate"], ["serve", "--no-such-flag"]):
        r = run(*args, timeout=10)
        assert r.returncode != 0, args
        assert r.stderr.strip() or r.stdout.strip(), args


def test_user_create_with_a_bad_role_fails_clearly(cli_env):
    env = cli_env
    r = run("user", "create", "--email", "someone@example.com", "--role", "god", env=env)
    assert r.returncode != 0
    assert "role" in r.stderr.lower(), r.stderr
    assert "must be one of" in r.stderr, r.stderr
    assert r.stdout.find("password") == -1, "printed a password for a user it did not create"


def test_user_create_then_duplicate(cli_env):
    env = cli_env
    r = run("user", "create", "--email", "ops@example.com", "--role", "operator", "--password-stdin", env=env,
            input="a-good-password\n")
    assert r.returncode == 0, r.stderr
    assert "user created: ops@example.com" in r.stdout, r.stdout
    r = run("user", "create", "--email", "gen@example.com", env=env)
    assert r.returncode == 0, r.stderr
    assert re.search(r"password: \S{8,}", r.stdout), r.stdout  # a generated password, printed once
    r = run("user", "create", "--email", "ops@example.com", env=env)
    assert r.returncode != 0
    assert "already in use" in r.stderr, r.stderr
    r = run("user", "create", "--email", "not-an-email", env=env)
    assert r.returncode != 0 and "email" in r.stderr.lower(), r.stderr
    r = run("user", "create", "--email", "short@example.com", "--password-stdin", env=env, input="short\n")
    assert r.returncode != 0 and "password" in r.stderr.lower(), r.stderr


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:notaport", "127.0.0.1:70000", "not-an-ip:8080"])
def test_serve_with_a_bad_listen_address_fails_clearly(listen, cli_env):
    env = cli_env
    try:
        r = run("serve", "--listen", listen, env=env, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve --listen {listen} kept running instead of failing")
    assert r.returncode != 0
    assert "listen" in r.stderr.lower(), r.stderr
    if listen == "nonsense":  # not host:port at all: the message names the setting
        assert "DE_LISTEN" in r.stderr, r.stderr


def test_serve_on_a_port_in_use_fails_clearly(server_factory, cli_env):
    running = server_factory("sqlite")
    env = cli_env
    try:
        r = run("serve", "--listen", f"127.0.0.1:{running.port}", env=env, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("a second server on the same port kept running")
    assert r.returncode != 0
    assert str(running.port) in r.stderr, r.stderr


def test_bad_database_url_fails_clearly(cli_env):
    r = run("migrate", "--database-url", "mysql://localhost/x", env=cli_env)
    assert r.returncode != 0
    assert "database" in r.stderr.lower(), r.stderr
    assert "DE_DATABASE_URL" in r.stderr, r.stderr


def test_migrate_is_idempotent(cli_env):
    env = cli_env
    assert run("migrate", env=env).returncode == 0
    assert run("migrate", env=env).returncode == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_init_twice_is_idempotent_and_prints_the_password_once(backend, server_factory):
    server = server_factory(backend, init=False, start=False, admin_password="")
    assert "DE_ADMIN_PASSWORD" not in server.env
    first = server.run("init")
    assert first.returncode == 0, first.stderr
    m = re.search(r"admin password: (\S+)", first.stdout)
    assert m, f"the first init did not print the admin password: {first.stdout!r}"
    password = m.group(1)
    assert len(password) >= 12
    assert "9 agents and workflows added" in first.stdout, first.stdout
    second = server.run("init")
    assert second.returncode == 0, second.stderr
    assert "password" not in second.stdout.lower(), second.stdout
    assert "agents added" not in second.stdout, second.stdout
    assert password not in second.stdout + second.stderr

    server.start()
    login = server.client().post("/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": password})
    assert login.status == 200, login
    admin = server.client(login.body["access_token"])
    users = admin.list_all("/api/v1/users")
    assert [u["email"] for u in users].count(ADMIN_EMAIL) == 1
    agents = admin.list_all("/api/v1/agents")
    types = [a["type"] for a in agents]
    for t in ("product_manager", "sales", "marketing", "echo"):
        assert types.count(t) == 1, f"{t}: {types}"
    names = [a["name"] for a in agents]
    assert len(names) == len(set(names))

    # a third init while the server runs changes nothing either
    assert server.run("init").returncode == 0
    assert len(admin.list_all("/api/v1/agents")) == len(agents)
    assert len(admin.list_all("/api/v1/users")) == len(users)


def test_init_without_demo_data(server_factory):
    server = server_factory("sqlite", init=False, start=False, demo_data=False)
    assert server.run("init").returncode == 0
    server.start()
    admin = server.admin()
    assert admin.list_all("/api/v1/agents") == []


def test_serve_alone_migrates_a_fresh_database(server_factory):
    server = server_factory("sqlite", init=False, start=True)
    assert server.client().get("/readyz").status == 200
    r = server.client().get("/api/v1/agents")
    assert r.status == 401  # the schema exists; only credentials are missing


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_serve_on_a_database_without_users_creates_the_admin_from_the_environment(backend, server_factory):
    server = server_factory(backend, init=False, start=True, demo_data=False)
    assert server.login(ADMIN_EMAIL, server.admin_password)["user"]["roles"] == ["admin"]
    assert "first admin created" in server.log_tail()
    # once users exist, serve creates nobody, whatever the environment names
    server.stop()
    server.env.update(DE_ADMIN_EMAIL="other@example.com", DE_ADMIN_PASSWORD="another-password-1")
    server.start()
    assert [row[0] for row in server.sql("SELECT email FROM users")] == [ADMIN_EMAIL]


def test_serve_without_an_admin_password_creates_no_user_and_says_how(server_factory):
    server = server_factory("sqlite", init=False, start=True, admin_password="")
    assert "DE_ADMIN_PASSWORD" not in server.env
    assert server.sql("SELECT count(*) FROM users") == [(0,)]
    assert "no users yet: set DE_ADMIN_PASSWORD" in server.log_tail()


def test_serve_refuses_a_weak_admin_password_on_an_empty_database(server_factory):
    server = server_factory("sqlite", init=False, start=False, admin_password="short")
    result = server.run("serve", "--listen", "127.0.0.1:0", timeout=30)
    assert result.returncode == 2, result
    assert "DE_ADMIN_PASSWORD" in result.stderr, result.stderr


def test_flags_override_the_environment(server_factory):
    server = server_factory("sqlite", init=True, start=False)
    env_port, flag_port = free_port(), free_port()
    env = dict(server.env, DE_LISTEN=f"127.0.0.1:{env_port}")
    with open(server.log_path, "ab") as log:
        process = subprocess.Popen([binary(), "serve", "--listen", f"127.0.0.1:{flag_port}"], env=env,
                                   stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while True:
            assert time.monotonic() < deadline, "serve --listen did not listen on the flag's port"
            assert process.poll() is None, "serve exited"
            try:
                if Client(f"http://127.0.0.1:{flag_port}").get("/healthz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        with pytest.raises(OSError):
            Client(f"http://127.0.0.1:{env_port}").get("/healthz", timeout=1)
    finally:
        process.terminate()
        process.wait(10)
