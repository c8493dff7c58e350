"""API keys: shown once, work with their roles through X-API-Key, listed without the key, revocable."""
import secrets

from support.helpers import NOT_A_ROUTE_ID, assert_problem, assert_unauthorized, is_timestamp, is_uuid, wait_for

KEYS = "/api/v1/api-keys"


def create_key(srv, roles, name=None):
    name = name or "it-key-" + secrets.token_hex(4)
    r = srv.admin.post(KEYS, {"name": name, "roles": roles})
    assert r.status == 201, r
    return r


def test_create_shows_the_key_once(srv):
    r = create_key(srv, ["viewer"], name="dashboard reader")
    body = r.body
    assert {"id", "name", "roles", "key", "created_at"} <= body.keys(), body
    assert is_uuid(body["id"]) and is_timestamp(body["created_at"])
    assert body["name"] == "dashboard reader" and body["roles"] == ["viewer"]
    assert isinstance(body["key"], str) and body["key"].startswith("de_") and len(body["key"]) >= 24
    assert r.headers.get("Location") == f"{KEYS}/{body['id']}"
    # the list never shows the key
    r = srv.admin.get(KEYS + "?limit=500")
    assert r.status == 200, r
    assert body["key"].encode() not in r.raw
    listed = [k for k in srv.admin.list_all(KEYS) if k["id"] == body["id"]]
    assert len(listed) == 1
    entry = listed[0]
    assert {"id", "name", "roles", "prefix", "created_at", "last_used_at"} <= entry.keys(), entry
    assert "key" not in entry
    assert entry["name"] == "dashboard reader" and entry["roles"] == ["viewer"]
    assert isinstance(entry["prefix"], str) and body["key"].startswith(entry["prefix"])
    assert len(entry["prefix"]) < len(body["key"]) // 2, "the prefix gives too much of the key away"
    for k in srv.admin.list_all(KEYS):
        assert "key" not in k


def test_key_works_with_its_roles(srv):
    key = create_key(srv, ["viewer"]).body
    client = srv.anonymous().with_api_key(key["key"])
    r = client.get("/api/v1/agents")
    assert r.status == 200, r
    r = client.get("/api/v1/users/me")
    assert r.status == 200 and r.body["id"] == srv.users["admin"]["id"], r  # the key acts for its creator
    # ... but only with the key's roles, not the creator's
    assert_problem(client.post("/api/v1/agents", {"name": "by-key-" + secrets.token_hex(4), "type": "echo"}),
                   403, "forbidden")
    assert_problem(client.post("/api/v1/tasks", {"type": "echo"}), 403, "forbidden")
    assert_problem(client.get(KEYS), 403, "forbidden")
    # last_used_at is recorded (perhaps a moment later)
    def used():
        entry = [k for k in srv.admin.list_all(KEYS) if k["id"] == key["id"]][0]
        return entry if is_timestamp(entry["last_used_at"]) else None
    wait_for(used, timeout=5, message="last_used_at of a used key")


def test_operator_key_runs_tasks(srv):
    key = create_key(srv, ["operator"]).body
    client = srv.anonymous().with_api_key(key["key"])
    r = client.post("/api/v1/tasks", {"type": "nobody.handles_this"})
    assert r.status == 201, r
    assert client.post(f"/api/v1/tasks/{r.body['id']}/cancel").status == 200
    assert_problem(client.post("/api/v1/analytics/metrics", {"name": "x", "value": 1}), 403, "forbidden")
    assert_problem(client.get("/api/v1/users"), 403, "forbidden")


def test_agent_key_cannot_read_the_api(srv):
    key = create_key(srv, ["agent"]).body
    client = srv.anonymous().with_api_key(key["key"])
    assert_problem(client.get("/api/v1/agents"), 403, "forbidden")
    assert client.get("/api/v1/users/me").status == 200


def test_delete_revokes_the_key(srv):
    key = create_key(srv, ["admin"]).body
    client = srv.anonymous().with_api_key(key["key"])
    assert client.get(KEYS).status == 200
    r = srv.admin.delete(f"{KEYS}/{key['id']}")
    assert r.status == 204 and not r.raw, r
    assert_unauthorized(client.get("/api/v1/agents"))
    assert_unauthorized(client.get(KEYS))
    assert key["id"] not in [k["id"] for k in srv.admin.list_all(KEYS)]
    assert_problem(srv.admin.delete(f"{KEYS}/{key['id']}"), 404, "not-found")


def test_delete_unknown_key_is_404(srv):
    assert_problem(srv.admin.delete(f"{KEYS}/{NOT_A_ROUTE_ID}"), 404, "not-found")


def test_bad_key_bodies_are_422_and_nothing_is_written(srv):
    before = srv.admin.count(KEYS)
    for body, field in (({"name": "x", "roles": ["god"]}, "roles"), ({"roles": ["viewer"]}, "name"),
                        ({"name": "x"}, "roles"), ({"name": "x", "roles": []}, "roles"),
                        ({"name": "x", "roles": "viewer"}, "roles"), ({"name": 5, "roles": ["viewer"]}, "name"),
                        ({"name": "x", "roles": ["viewer"], "expires": "never"}, "expires")):
        r = srv.admin.post(KEYS, body)
        problem = assert_problem(r, 422, "validation")
        named = [e["field"] for e in problem.get("errors", [])]
        assert any(f == field or f.startswith(field + "[") for f in named), (body, named)
    assert srv.admin.count(KEYS) == before


def _key_of_another_admin(srv):
    owner = srv.new_user("admin")
    client = srv.client_for(owner)
    r = client.post(KEYS, {"name": "owned-" + secrets.token_hex(4), "roles": ["viewer"]})
    assert r.status == 201, r
    return owner, r.body


def test_key_of_a_deactivated_user_stops_working(srv):
    owner, key = _key_of_another_admin(srv)
    client = srv.anonymous().with_api_key(key["key"])
    assert client.get("/api/v1/agents").status == 200
    assert srv.admin.patch(f"/api/v1/users/{owner['id']}", {"is_active": False}).status == 200
    assert_unauthorized(client.get("/api/v1/agents"))
    assert srv.admin.patch(f"/api/v1/users/{owner['id']}", {"is_active": True}).status == 200
    assert client.get("/api/v1/agents").status == 200


def test_key_of_a_deleted_user_stops_working(srv):
    owner, key = _key_of_another_admin(srv)
    client = srv.anonymous().with_api_key(key["key"])
    assert client.get("/api/v1/agents").status == 200
    assert srv.admin.delete(f"/api/v1/users/{owner['id']}").status == 204
    assert_unauthorized(client.get("/api/v1/agents"))
