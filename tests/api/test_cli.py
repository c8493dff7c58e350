"""The command line: help, version, clear errors, idempotent init."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from deserver import BINARY  # noqa: E402


def run(*args, env=None, input=None):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env=env, input=input, timeout=60)


def fresh_env():
    d = tempfile.mkdtemp(prefix="de-cli-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DE_")}
    env.update(DE_DATABASE_URL=f"sqlite:{d}/de.db", DE_DATA_DIR=d)
    return env


def test_version_and_help():
    assert run("version").stdout.startswith("digital-enterprise ")
    for command in [["serve"], ["migrate"], ["init"], ["user", "create"], ["version"]]:
        result = run(*command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout + result.stderr, command


def test_init_is_idempotent_and_prints_the_password_once():
    env = fresh_env()
    first = run("init", env=env)
    assert first.returncode == 0 and "admin password: " in first.stdout and "8 agents and workflows added" in first.stdout
    second = run("init", env=env)
    assert second.returncode == 0 and "password" not in second.stdout and "agents added" not in second.stdout


def test_user_create_and_clear_errors():
    env = fresh_env()
    created = run("user", "create", "--email", "ops@example.com", "--role", "operator", "--password-stdin",
                  env=env, input="a-good-password\n")
    assert created.returncode == 0 and "user created: ops@example.com" in created.stdout
    again = run("user", "create", "--email", "ops@example.com", env=env)
    assert again.returncode != 0 and "already in use" in again.stderr
    bad = run("user", "create", "--email", "x@example.com", "--role", "god", env=env)
    assert bad.returncode != 0 and "must be one of" in bad.stderr
    listen = run("serve", "--listen", "nonsense", env=env)
    assert listen.returncode != 0 and "DE_LISTEN" in listen.stderr
    database = run("migrate", "--database-url", "mysql://x", env=env)
    assert database.returncode != 0 and "DE_DATABASE_URL" in database.stderr
