"""Bad input of every class gets a clear problem+json 4xx and writes nothing."""
import base64
import json
import socket
import time
import urllib.request

import pytest


def task_count(api):
    return api.request("GET", "/api/v1/analytics/summary")[1]["tasks_total"]


def raw(api, method, path, body=b"", headers=None):
    request = urllib.request.Request(api.url + path, data=body, method=method)
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def assert_problem(status, headers, body, expected):
    assert status == expected, body
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected and problem["title"] and problem["detail"] and problem["type"]
    return problem


BAD_TASKS = [
    (b"{", 400), (b"[1,2]", 400), (b'"text"', 400), (b"", 400),
    (b'{"type": 5}', 422), (b'{"type": "echo", "priority": "urgent"}', 422), (b'{}', 422),
    (b'{"type": "echo", "colour": "red"}', 422), (b'{"type": "echo", "input_data": [1]}', 422),
    (b'{"type": "echo", "max_attempts": 0}', 422), (b'{"type": "echo", "assigned_agent": "nope"}', 422),
]


@pytest.mark.parametrize("body,expected", BAD_TASKS, ids=[b.decode() or "empty" for b, _ in BAD_TASKS])
def test_bad_task_bodies_are_refused_and_nothing_is_written(api, body, expected):
    before = task_count(api)
    status, headers, answer = raw(api, "POST", "/api/v1/tasks", body,
                                  {"Authorization": "Bearer " + api.token, "Content-Type": "application/json"})
    problem = assert_problem(status, headers, answer, expected)
    if expected == 422:
        assert problem["errors"] and all(e["field"] and e["message"] for e in problem["errors"])
    assert task_count(api) == before


def test_a_batch_is_all_or_nothing_and_names_the_bad_item(api):
    before = task_count(api)
    status, problem = api.request("POST", "/api/v1/tasks/batch",
                                  {"tasks": [{"type": "echo"}, {"type": "echo", "priority": "urgent"}]})
    assert status == 422 and problem["errors"][0]["field"] == "tasks[1].priority"
    assert task_count(api) == before


@pytest.mark.parametrize("path,body,field", [
    ("/api/v1/agents", {"name": "X", "type": "robot"}, "type"),
    ("/api/v1/users", {"email": "a@b.example", "password": "long-enough", "roles": ["god"]}, "roles[0]"),
    ("/api/v1/users", {"email": "not-an-email", "password": "long-enough"}, "email"),
    ("/api/v1/users", {"email": "c@d.example", "password": "short"}, "password"),
    ("/api/v1/api-keys", {"name": "k", "roles": "admin"}, "roles"),
])
def test_validation_errors_name_the_field(api, path, body, field):
    status, problem = api.request("POST", path, body)
    assert status == 422 and field in [e["field"] for e in problem["errors"]]


def test_oversize_bodies_wrong_types_routes_and_methods(api):
    auth = {"Authorization": "Bearer " + api.token}
    big = b'{"type":"echo","input_data":{"x":"' + b"a" * (1024 * 1024) + b'"}}'
    before = task_count(api)
    assert_problem(*raw(api, "POST", "/api/v1/tasks", big, {**auth, "Content-Type": "application/json"}), 413)
    assert task_count(api) == before
    assert_problem(*raw(api, "POST", "/api/v1/tasks", b'{"type":"echo"}', {**auth, "Content-Type": "text/plain"}), 415)
    problem = assert_problem(*raw(api, "GET", "/api/v1/nothing-here", None, auth), 404)
    assert problem["type"].endswith("/no-route")
    status, headers, body = raw(api, "PUT", "/api/v1/tasks", b"{}", auth)
    assert_problem(status, headers, body, 405)
    assert set(headers["Allow"].split(", ")) == {"GET", "POST"}
    assert_problem(*raw(api, "GET", "/api/v1/tasks?limit=9999", None, auth), 400)
    assert_problem(*raw(api, "GET", "/api/v1/tasks?cursor=garbage", None, auth), 400)
    assert_problem(*raw(api, "GET", "/api/v1/tasks?status=sleeping", None, auth), 400)
    problem = assert_problem(*raw(api, "GET", "/api/v1/tasks/not-a-uuid", None, auth), 404)
    assert problem["type"].endswith("/not-found")


def test_missing_tampered_and_forged_tokens_get_401(api):
    status, headers, body = raw(api, "GET", "/api/v1/agents")
    assert_problem(status, headers, body, 401)
    assert headers["WWW-Authenticate"] == "Bearer"
    header, payload, signature = api.token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    for token in [tampered, f"{none}.{payload}.", "garbage", api.token + "x"]:
        assert_problem(*raw(api, "GET", "/api/v1/agents", None, {"Authorization": "Bearer " + token}), 401)
    assert_problem(*raw(api, "GET", "/api/v1/agents", None, {"Authorization": "Basic abc"}), 401)
    assert_problem(*raw(api, "GET", "/api/v1/agents", None, {"X-API-Key": "de_not_a_key"}), 401)


def test_login_is_throttled_after_five_failures(api):
    email = f"throttle-{time.time_ns()}@example.com"
    api.request("POST", "/api/v1/users", {"email": email, "password": "right-password"})
    for _ in range(5):
        assert api.request("POST", "/api/v1/auth/login", {"email": email, "password": "wrong-password"}, token=None)[0] == 401
    status, headers, body = raw(api, "POST", "/api/v1/auth/login",
                                json.dumps({"email": email, "password": "right-password"}).encode(),
                                {"Content-Type": "application/json"})
    assert_problem(status, headers, body, 429)
    assert 0 < int(headers["Retry-After"]) <= 60


def test_garbage_on_the_socket_and_the_server_stays_up(api):
    with socket.create_connection(("127.0.0.1", api.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n")
        reply = s.recv(4096)
        assert reply == b"" or reply.startswith(b"HTTP/1.1 400")
    assert api.request("GET", "/healthz", token=None)[0] == 200
