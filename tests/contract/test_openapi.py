"""The OpenAPI document: OpenAPI 3.1, lists every route the server has and nothing else.

How a route-404 is told from an id-404: both are 404 problems, but an unknown route has the
problem type ".../problems/no-route" while an unknown id on an existing route has
".../problems/not-found" (docs/api.md: every error is a problem with a type URL ending in a
slug). The test relies on that distinction to prove that each documented path is served.
"""
import json
import re
import time
import uuid

import pytest

from support.helpers import PROBLEM_BASE, uid

OPENAPI = "/api/v1/openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# Routes of the foundation (docs/api.md, DESIGN.md section 6) the server is known to serve.
FOUNDATION = [
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh"), ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/users/me"),
    ("GET", "/api/v1/users"), ("POST", "/api/v1/users"),
    ("GET", "/api/v1/users/{id}"), ("PATCH", "/api/v1/users/{id}"), ("DELETE", "/api/v1/users/{id}"),
    ("GET", "/api/v1/api-keys"), ("POST", "/api/v1/api-keys"), ("DELETE", "/api/v1/api-keys/{id}"),
    ("GET", "/api/v1/agents"), ("POST", "/api/v1/agents"),
    ("GET", "/api/v1/agents/{id}"), ("PATCH", "/api/v1/agents/{id}"), ("DELETE", "/api/v1/agents/{id}"),
    ("POST", "/api/v1/agents/{id}/start"), ("POST", "/api/v1/agents/{id}/pause"),
    ("POST", "/api/v1/agents/{id}/stop"), ("POST", "/api/v1/agents/{id}/execute"),
    ("GET", "/api/v1/tasks"), ("POST", "/api/v1/tasks"), ("POST", "/api/v1/tasks/batch"),
    ("GET", "/api/v1/tasks/{id}"), ("POST", "/api/v1/tasks/{id}/cancel"), ("POST", "/api/v1/tasks/{id}/retry"),
    ("GET", "/api/v1/analytics/metrics"), ("POST", "/api/v1/analytics/metrics"),
    ("GET", "/api/v1/analytics/summary"),
    ("GET", "/api/v1/messages"), ("POST", "/api/v1/messages"),
]


def normalise(path):
    """Parameter names do not matter: /a/{agent_id} and /a/{id} are the same route."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(doc):
    return {(m.upper(), path) for path, item in doc["paths"].items() for m in item if m in METHODS}


@pytest.fixture(scope="module")
def doc(srv):
    r = srv.anonymous().get(OPENAPI)
    assert r.status == 200, r
    assert r.content_type.startswith("application/json"), r.content_type
    assert isinstance(r.body, dict), "not JSON"
    return r.body


def test_is_openapi_3_1(doc):
    assert isinstance(doc.get("openapi"), str) and doc["openapi"].startswith("3.1"), doc.get("openapi")
    assert isinstance(doc.get("info"), dict) and doc["info"].get("title") and doc["info"].get("version")
    assert isinstance(doc.get("paths"), dict) and doc["paths"]
    for path, item in doc["paths"].items():
        assert path.startswith("/"), path
        ops = [m for m in item if m in METHODS]
        assert ops, f"{path} has no operation"
        for m in ops:
            assert isinstance(item[m].get("responses"), dict) and item[m]["responses"], (m, path)


def test_foundation_routes_are_documented(doc):
    documented = {(m, normalise(p)) for m, p in operations(doc)}
    missing = [(m, p) for m, p in FOUNDATION if (m, normalise(p)) not in documented]
    assert not missing, f"routes the server serves but the document lacks: {missing}"


def test_every_documented_route_is_served_and_the_access_log_names_it(srv, doc):
    prefix = f"openapi-{uid()}-"
    admin = srv.admin
    ops = sorted(operations(doc))
    seen = {}
    for n, (method, path) in enumerate(ops):
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        request_id = f"{prefix}{n}"
        r = admin.request(method, concrete, json=body, headers={"X-Request-Id": request_id})
        seen[request_id] = (method, path, r.status)
        assert r.status != 405, f"{method} {path}: 405 {r!r}"
        # 501/503/504 are answers of a served route (not configured, unavailable, timed out); 500 is a bug
        assert r.status < 500 or r.status in (501, 503, 504), f"{method} {path}: {r!r}"
        if r.status == 404:
            # an id that does not exist is fine; a missing route is not
            assert isinstance(r.body, dict) and r.body.get("type") == PROBLEM_BASE + "not-found", \
                f"{method} {path} is documented but not served: {r!r}"
            assert "not found" in r.body.get("title", "").lower() or "not exist" in r.body.get("detail", ""), r

    # The access log: one JSON line per request on stderr with method, route (the template),
    # status, duration_ms and request_id.
    entries = {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        entries = {e["request_id"]: e for e in srv.server.access_log()
                   if str(e.get("request_id", "")).startswith(prefix)}
        if len(entries) >= len(seen):
            break
        time.sleep(0.1)
    assert set(entries) == set(seen), f"requests without an access-log line: {sorted(set(seen) - set(entries))}"
    for request_id, (method, path, status) in seen.items():
        e = entries[request_id]
        assert {"method", "route", "status", "duration_ms", "request_id"} <= e.keys(), e
        assert e["method"] == method and e["status"] == status, (e, method, status)
        assert isinstance(e["duration_ms"], (int, float)) and e["duration_ms"] >= 0, e
        assert normalise(e["route"]) == normalise(path), f"{method} {path} logged as route {e['route']!r}"
    logged_routes = {normalise(e["route"]) for e in entries.values()}
    assert logged_routes == {normalise(p) for p in doc["paths"]}


def test_no_served_route_is_missing_from_the_document(srv, doc):
    """Every route template the access log shows with a 2xx answer (from all tests so far in
    this session, plus a few requests made here) is in the document."""
    admin = srv.admin
    for path in ("/healthz", "/readyz", "/metrics", "/api/v1/agents", "/api/v1/tasks", "/api/v1/users/me",
                 "/api/v1/analytics/summary"):
        assert admin.get(path).status == 200
    documented = {normalise(p) for p in doc["paths"]}
    served = {normalise(e["route"]) for e in srv.server.access_log()
              if 200 <= int(e["status"]) < 300 and str(e["route"]).startswith("/")
              and not str(e["route"]).startswith("/ws/")}
    assert served, "no access-log lines with a 2xx status"
    assert served <= documented, f"served but not documented: {sorted(served - documented)}"


def test_access_log_line_per_request(srv):
    request_id = f"log-{uid()}"
    r = srv.anonymous().get("/api/v1/nope-" + uid(), headers={"X-Request-Id": request_id})
    assert r.status == 404
    r = srv.anonymous().get("/api/v1/agents", headers={"X-Request-Id": request_id + "-b"})
    assert r.status == 401
    r = srv.anonymous().get(OPENAPI, headers={"X-Request-Id": request_id + "-c"})
    assert r.status == 200
    ids = (request_id, request_id + "-b", request_id + "-c")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in srv.server.log_lines() if request_id in line]
        if len(lines) >= 3:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # a second line for a request would come now
    # exactly one log line per request, and it is JSON
    lines = [line for line in srv.server.log_lines() if request_id in line]
    entries = [json.loads(line) for line in lines]
    assert sorted(e["request_id"] for e in entries) == sorted(ids), lines
    log = {e["request_id"]: e for e in entries}
    assert log[request_id]["status"] == 404 and log[request_id]["method"] == "GET"
    assert log[request_id + "-b"]["status"] == 401
    assert log[request_id + "-b"]["route"] == "/api/v1/agents"
    c = log[request_id + "-c"]
    assert c["method"] == "GET" and c["route"] == OPENAPI and c["status"] == 200, c
    assert c["duration_ms"] >= 0, c


def test_api_reference_is_served_offline_from_the_document(srv):
    """/api/docs: Swagger UI on /api/v1/openapi.json, every file from this server (no CDN)."""
    r = srv.anonymous().get("/api/docs")
    assert r.status == 200, r
    assert r.content_type.startswith("text/html"), r.content_type
    page = r.body
    assert "swagger-ui" in page
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    scripts = [u for u in refs if u.endswith(".js")]
    assert scripts and any(u.endswith(".css") for u in refs), refs
    for url in refs:
        assert url.startswith("/") and not url.startswith("//"), f"not served by this server: {url}"
        asset = srv.anonymous().get(url)
        assert asset.status == 200, (url, asset)
    bundle = "".join(srv.anonymous().get(u).body for u in scripts)
    assert "/api/v1/openapi.json" in bundle
    assert "https://unpkg.com" not in bundle and "cdn.jsdelivr" not in bundle
