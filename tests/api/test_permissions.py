"""Every route x every role (and no credentials): 401, 403 or allowed, as docs/api.md says."""
import uuid

import pytest

ALL = {"admin", "manager", "operator", "viewer", "agent"}
READERS = {"admin", "manager", "operator", "viewer"}
MANAGERS = {"admin", "manager"}
OPERATORS = {"admin", "manager", "operator"}
ADMIN = {"admin"}
PUBLIC = None
SOME_ID = "01a20ce4-61b4-7003-b6ba-9486d2112aa4"  # a UUID that names nothing: allowed -> 404

# (method, path, body, roles allowed)
ROUTES = [
    ("GET", "/healthz", None, PUBLIC),
    ("GET", "/readyz", None, PUBLIC),
    ("GET", "/metrics", None, PUBLIC),
    ("GET", "/api/v1/openapi.json", None, PUBLIC),
    ("POST", "/api/v1/auth/login", {"email": "nobody@example.com", "password": "whatever1"}, PUBLIC),
    ("POST", "/api/v1/auth/refresh", {"refresh_token": "rt_nothing"}, PUBLIC),
    ("POST", "/api/v1/auth/logout", {"refresh_token": "rt_nothing"}, PUBLIC),
    ("GET", "/api/v1/users/me", None, ALL),
    ("GET", "/api/v1/users", None, ADMIN),
    ("POST", "/api/v1/users", {"email": "@", "password": "x"}, ADMIN),
    # Another user's id: only an admin (everyone may read and change themselves: test_resources).
    ("GET", f"/api/v1/users/{SOME_ID}", None, ADMIN),
    ("PATCH", f"/api/v1/users/{SOME_ID}", {}, ADMIN),
    ("DELETE", f"/api/v1/users/{SOME_ID}", None, ADMIN),
    ("GET", "/api/v1/api-keys", None, ADMIN),
    ("POST", "/api/v1/api-keys", {"name": "", "roles": []}, ADMIN),
    ("DELETE", f"/api/v1/api-keys/{SOME_ID}", None, ADMIN),
    ("GET", "/api/v1/agents", None, READERS),
    ("POST", "/api/v1/agents", {"name": "", "type": "robot"}, MANAGERS),
    ("GET", f"/api/v1/agents/{SOME_ID}", None, READERS),
    ("PATCH", f"/api/v1/agents/{SOME_ID}", {}, MANAGERS),
    ("DELETE", f"/api/v1/agents/{SOME_ID}", None, MANAGERS),
    ("POST", f"/api/v1/agents/{SOME_ID}/start", None, OPERATORS),
    ("POST", f"/api/v1/agents/{SOME_ID}/pause", None, OPERATORS),
    ("POST", f"/api/v1/agents/{SOME_ID}/stop", None, OPERATORS),
    ("POST", f"/api/v1/agents/{SOME_ID}/execute", {"type": "Bad Type"}, OPERATORS),
    ("GET", "/api/v1/tasks", None, READERS),
    ("POST", "/api/v1/tasks", {"type": "Bad Type"}, OPERATORS),
    ("POST", "/api/v1/tasks/batch", {"tasks": []}, OPERATORS),
    ("GET", f"/api/v1/tasks/{SOME_ID}", None, READERS),
    ("POST", f"/api/v1/tasks/{SOME_ID}/cancel", None, OPERATORS),
    ("POST", f"/api/v1/tasks/{SOME_ID}/retry", None, OPERATORS),
    ("GET", "/api/v1/messages", None, READERS),
    ("POST", "/api/v1/messages", {"to_agent": "x"}, OPERATORS),
    ("GET", "/api/v1/analytics/metrics?name=x", None, READERS),
    ("POST", "/api/v1/analytics/metrics", {"name": ""}, MANAGERS),
    ("GET", "/api/v1/analytics/summary", None, READERS),
    ("GET", "/api/v1/workflows", None, READERS),
    ("POST", "/api/v1/workflows", {"name": ""}, MANAGERS),
    ("GET", f"/api/v1/workflows/{SOME_ID}", None, READERS),
    ("PATCH", f"/api/v1/workflows/{SOME_ID}", {}, MANAGERS),
    ("DELETE", f"/api/v1/workflows/{SOME_ID}", None, MANAGERS),
    ("POST", f"/api/v1/workflows/{SOME_ID}/execute", {}, OPERATORS),
    ("GET", "/api/v1/workflow-executions", None, READERS),
    ("GET", f"/api/v1/workflow-executions/{SOME_ID}", None, READERS),
    ("POST", f"/api/v1/workflow-executions/{SOME_ID}/cancel", None, OPERATORS),
    ("POST", f"/api/v1/workflow-executions/{SOME_ID}/steps/a/approve", {}, OPERATORS),
    ("POST", "/api/v1/hooks/no-such-token", {}, PUBLIC),
]


@pytest.mark.parametrize("method,path,body,allowed", ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
@pytest.mark.parametrize("role", ["none", "admin", "manager", "operator", "viewer", "agent"])
def test_permission_matrix(api, role, method, path, body, allowed):
    # Bodies are invalid on purpose: an allowed caller gets a 4xx from validation (or 404 for
    # the made-up id), so the matrix never changes data.
    status, problem = api.request(method, path, body, token=api.tokens[role])
    if allowed is PUBLIC:
        assert status not in (403,), problem
    elif role == "none":
        assert status == 401, problem
        assert problem["status"] == 401
    elif role not in allowed:
        assert status == 403, (status, problem)
        assert problem["type"].endswith("/forbidden")
    else:
        assert status not in (401, 403), (status, problem)


def test_the_matrix_covers_every_documented_route(api):
    status, doc = api.request("GET", "/api/v1/openapi.json", token=None)
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}

    def template(path):
        path = path.split("?")[0]
        return path.replace(SOME_ID, "{id}").replace("/steps/a/", "/steps/{step_id}/").replace("no-such-token", "{token}")

    covered = {(m, template(p)) for m, p, _, _ in ROUTES}
    assert documented == covered
