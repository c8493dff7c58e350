"""One server per backend for the whole API suite, with a user (and token) per role."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from deserver import POSTGRES_URL, Server  # noqa: E402

ROLES = ["admin", "manager", "operator", "viewer", "agent"]


def pytest_generate_tests(metafunc):
    if "api" in metafunc.fixturenames:
        metafunc.parametrize("api", ["sqlite", "postgres"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def api(request):
    backend = request.param
    if backend == "postgres" and not POSTGRES_URL:
        if os.environ.get("DE_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail("DE_TEST_POSTGRES_URL is not set")
        pytest.skip("DE_TEST_POSTGRES_URL is not set (script/test starts a PostgreSQL)")
    server = Server(backend)
    server.tokens = {"admin": server.token, "none": None}
    server.users = {}
    for role in ROLES[1:]:
        status, user = server.request("POST", "/api/v1/users", {
            "email": f"{role}@example.com", "username": f"{role}-user", "password": "password-" + role,
            "roles": [role]})
        assert status == 201, user
        server.users[role] = user
        status, login = server.request("POST", "/api/v1/auth/login",
                                       {"email": f"{role}@example.com", "password": "password-" + role}, token=None)
        assert status == 200, login
        server.tokens[role] = login["access_token"]
    yield server
    server.stop()
    if request.session.testsfailed:
        print(f"\n--- {backend} server log (tail) ---\n" + server.log_tail(30))


@pytest.fixture(scope="session")
def echo_agent(api):
    status, page = api.request("GET", "/api/v1/agents?type=echo")
    return page["items"][0]
