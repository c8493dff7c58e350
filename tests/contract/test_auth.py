"""Login, refresh-token rotation with reuse detection, logout, access-token checks."""
import time

import pytest

from support.fixtures import JWT_SECRET
from support.helpers import (assert_no_secrets, assert_problem, assert_unauthorized, b64url, is_uuid, jwt_encode,
                     jwt_parts, tamper_signature, uid)

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def test_login_answers_a_token_pair_and_the_user(srv):
    user = srv.new_user("operator")
    r = srv.anonymous().post(LOGIN, {"email": user["email"], "password": user["password"]})
    assert r.status == 200, r
    assert r.content_type.startswith("application/json")
    body = r.body
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert isinstance(body["refresh_token"], str) and len(body["refresh_token"]) >= 20
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert body["expires_in"] == 900  # DE_ACCESS_TOKEN_TTL's default
    assert body["user"]["id"] == user["id"] and body["user"]["email"] == user["email"]
    assert body["user"]["roles"] == ["operator"]
    assert_no_secrets(body["user"], [user["password"]])
    r = srv.anonymous().get(ME, headers={"Authorization": "Bearer " + body["access_token"]})
    assert r.status == 200 and r.body["id"] == user["id"], r


def test_login_with_username(srv):
    user = srv.new_user("viewer")
    r = srv.anonymous().post(LOGIN, {"username": user["username"], "password": user["password"]})
    assert r.status == 200, r
    assert r.body["user"]["id"] == user["id"]


def test_wrong_password_and_unknown_account_are_401(srv):
    user = srv.new_user("viewer")
    r = srv.anonymous().post(LOGIN, {"email": user["email"], "password": user["password"] + "x"})
    assert_unauthorized(r)
    r2 = srv.anonymous().post(LOGIN, {"email": "nobody-" + user["email"], "password": user["password"]})
    assert_unauthorized(r2)
    # the answer does not tell which of the two was wrong
    assert r.body["detail"] == r2.body["detail"]


def test_login_without_password_is_422(srv):
    r = srv.anonymous().post(LOGIN, {"email": "admin@example.com"})
    assert_problem(r, 422, "validation", fields=["password"])


def test_refresh_rotates_the_pair(srv):
    user = srv.new_user("viewer")
    first = srv.login(user["email"], user["password"])
    r = srv.anonymous().post(REFRESH, {"refresh_token": first["refresh_token"]})
    assert r.status == 200, r
    second = r.body
    assert second["token_type"] == "Bearer" and second["expires_in"] > 0
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"]["id"] == user["id"]
    me = srv.anonymous().get(ME, headers={"Authorization": "Bearer " + second["access_token"]})
    assert me.status == 200 and me.body["id"] == user["id"], me
    # the new refresh token works once more
    r = srv.anonymous().post(REFRESH, {"refresh_token": second["refresh_token"]})
    assert r.status == 200, r


def test_rotated_refresh_token_fails_and_its_reuse_revokes_the_family(srv):
    user = srv.new_user("viewer")
    first = srv.login(user["email"], user["password"])
    r = srv.anonymous().post(REFRESH, {"refresh_token": first["refresh_token"]})
    assert r.status == 200, r
    newest = r.body["refresh_token"]
    # the rotated token no longer works ...
    assert_unauthorized(srv.anonymous().post(REFRESH, {"refresh_token": first["refresh_token"]}))
    # ... and its reuse revoked the whole family: the newest one fails too
    assert_unauthorized(srv.anonymous().post(REFRESH, {"refresh_token": newest}))


def test_reuse_revokes_only_its_own_family(srv):
    user = srv.new_user("viewer")
    session_a = srv.login(user["email"], user["password"])
    session_b = srv.login(user["email"], user["password"])
    rotated = srv.anonymous().post(REFRESH, {"refresh_token": session_a["refresh_token"]})
    assert rotated.status == 200
    assert_unauthorized(srv.anonymous().post(REFRESH, {"refresh_token": session_a["refresh_token"]}))
    # another login of the same user is another family: unaffected
    r = srv.anonymous().post(REFRESH, {"refresh_token": session_b["refresh_token"]})
    assert r.status == 200, r


def test_logout_is_204_and_the_refresh_token_then_fails(srv):
    user = srv.new_user("viewer")
    tokens = srv.login(user["email"], user["password"])
    r = srv.anonymous().post(LOGOUT, {"refresh_token": tokens["refresh_token"]})
    assert r.status == 204, r
    assert not r.raw
    assert_unauthorized(srv.anonymous().post(REFRESH, {"refresh_token": tokens["refresh_token"]}))


def test_refresh_with_garbage_or_missing_token(srv):
    assert_unauthorized(srv.anonymous().post(REFRESH, {"refresh_token": "garbage-" + "x" * 40}))
    assert_problem(srv.anonymous().post(REFRESH, {}), 422, "validation", fields=["refresh_token"])
    # Nothing at all (a browser's first visit: no cookie, no body): not signed in, not a media type error.
    assert_unauthorized(srv.anonymous().post(REFRESH))
    assert srv.anonymous().post(LOGOUT).status == 204  # signed out already: nothing to revoke
    assert_problem(srv.anonymous().post(REFRESH, {"refresh_token": 42}), 422, "validation", fields=["refresh_token"])


def test_users_me(srv):
    for role in ("admin", "manager", "operator", "viewer", "agent"):
        r = srv.as_(role).get(ME)
        assert r.status == 200, (role, r)
        assert r.body["id"] == srv.users[role]["id"]
        assert r.body["roles"] == [role]
        assert is_uuid(r.body["id"])
        assert_no_secrets(r.body, [srv.passwords[role]])


def test_me_without_credentials_is_401(srv):
    assert_unauthorized(srv.anonymous().get(ME))


@pytest.mark.parametrize("make", ["tampered-signature", "alg-none", "wrong-secret", "tampered-payload",
                                  "garbage", "empty", "basic-scheme", "three-dots", "tampered-end",
                                  "appended-char"])
def test_bad_access_tokens_are_401(srv, make):
    token = srv.tokens["viewer"]
    header, payload, signature = jwt_parts(token)
    if make == "tampered-signature":
        bad = tamper_signature(token)
    elif make == "alg-none":
        bad = jwt_encode(dict(header, alg="none"), payload, signature="")
    elif make == "wrong-secret":
        bad = jwt_encode(header, payload, secret="not-the-secret-" + "x" * 40)
    elif make == "tampered-payload":  # a viewer making itself admin, signature kept
        bad = jwt_encode(header, dict(payload, roles=["admin"]), signature=signature)
    elif make == "tampered-end":  # the last two characters of the signature changed
        bad = f"{token.rsplit('.', 1)[0]}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    elif make == "appended-char":
        bad = token + "x"
    elif make == "garbage":
        bad = "garbage"
    elif make == "empty":
        bad = ""
    elif make == "basic-scheme":
        r = srv.anonymous().get(ME, headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        assert_unauthorized(r)
        return
    else:
        bad = "..."
    r = srv.anonymous().get(ME, headers={"Authorization": "Bearer " + bad})
    assert_unauthorized(r)
    # a write is refused the same way, and nothing happens
    r = srv.anonymous().post("/api/v1/agents", {"name": "should-not-exist-" + make, "type": "echo"},
                             headers={"Authorization": "Bearer " + bad})
    assert_unauthorized(r)


def _forge(srv, role, **changes):
    """A token of `role` re-signed with the server's DE_JWT_SECRET after `changes`."""
    header, payload, _ = jwt_parts(srv.tokens[role])
    if header.get("alg") != "HS256":
        pytest.skip(f"the access token uses {header.get('alg')}, not HS256: cannot forge one")
    payload = dict(payload, **changes)
    return jwt_encode(header, payload, secret=JWT_SECRET)


def test_expired_access_token_is_401(srv):
    now = int(time.time())
    # control: re-signed with the configured secret and still valid, it is accepted
    valid = _forge(srv, "viewer", iat=now - 60, exp=now + 600)
    r = srv.anonymous().get(ME, headers={"Authorization": "Bearer " + valid})
    if r.status != 200:
        pytest.skip(f"a token signed with DE_JWT_SECRET is not accepted ({r.status}); cannot build an expired one")
    expired = _forge(srv, "viewer", iat=now - 3600, exp=now - 60)
    assert_unauthorized(srv.anonymous().get(ME, headers={"Authorization": "Bearer " + expired}))


def test_token_without_expiry_is_401(srv):
    header, payload, _ = jwt_parts(srv.tokens["viewer"])
    if header.get("alg") != "HS256":
        pytest.skip("not HS256")
    payload = {k: v for k, v in payload.items() if k != "exp"}
    token = jwt_encode(header, payload, secret=JWT_SECRET)
    assert_unauthorized(srv.anonymous().get(ME, headers={"Authorization": "Bearer " + token}))


def test_access_token_of_a_deleted_user_is_refused(srv):
    user = srv.new_user("viewer")
    client = srv.client_for(user)
    assert client.get(ME).status == 200
    assert srv.admin.delete(f"/api/v1/users/{user['id']}").status == 204
    r = client.get(ME)
    assert r.status in (401, 404), r
    assert r.status != 200


def test_bad_x_api_key_is_401(srv):
    r = srv.anonymous().get("/api/v1/agents", headers={"X-API-Key": "de_" + "0" * 40})
    assert_unauthorized(r)
    r = srv.anonymous().get("/api/v1/agents", headers={"X-API-Key": b64url(b"garbage")})
    assert_unauthorized(r)


# --- rate limits (docs/security.md, "Rate limits") -------------------------------------------------
def rate_headers(r):
    return tuple(int(r.headers[name]) for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))


def test_rate_limit_per_user_and_per_api_key(server_factory):
    """DE_RATE_LIMIT_PER_MINUTE=5: a user's sixth request at once is 429 with Retry-After, on any
    route; every authenticated answer says where its caller stands; another user and an API key
    (even one the same user made) count on their own; anonymous routes carry no such fields."""
    server = server_factory("sqlite", env={"DE_RATE_LIMIT_PER_MINUTE": "5"})
    admin = server.client(token=server.token)
    key = admin.post("/api/v1/api-keys", {"name": "limit-key", "roles": ["viewer"]})
    assert key.status == 201 and rate_headers(key)[:2] == (5, 4), key.headers
    password = "pw-" + uid()
    viewer = admin.post("/api/v1/users", {"email": "limited@example.com", "password": password, "roles": ["viewer"]})
    assert viewer.status == 201 and rate_headers(viewer)[1] == 3
    seen = [rate_headers(admin.get("/api/v1/agents")) for _ in range(3)]
    assert [remaining for _, remaining, _ in seen] == [2, 1, 0], seen
    assert all(limit == 5 and 0 < reset <= 60 for limit, _, reset in seen), seen
    refused = admin.get("/api/v1/agents")
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 12, refused.headers
    assert rate_headers(refused)[:2] == (5, 0)
    assert "5 requests" in refused.body["detail"]
    assert admin.get("/api/v1/tasks").status == 429  # the caller's limit, not the route's

    by_key = server.client(api_key=key.body["key"]).get("/api/v1/agents")
    assert by_key.status == 200 and rate_headers(by_key)[1] == 4, by_key.headers
    other = server.client(token=server.login("limited@example.com", password)["access_token"]).get("/api/v1/agents")
    assert other.status == 200 and rate_headers(other)[1] == 4, other.headers

    health = server.client().get("/healthz")
    assert health.status == 200 and "RateLimit-Limit" not in health.headers


def test_rate_limit_zero_means_none(server_factory):
    server = server_factory("sqlite", env={"DE_RATE_LIMIT_PER_MINUTE": "0"})
    admin = server.client(token=server.token)
    for _ in range(20):
        r = admin.get("/api/v1/agents")
        assert r.status == 200 and "RateLimit-Limit" not in r.headers


def test_an_api_key_has_its_own_rate_limit(server_factory):
    """A key made with rate_limit_per_minute=3 is held to 3 under a server limit of 100. PATCH
    changes that at once: 0 is no limit, null the server's again; each change is audited."""
    server = server_factory("sqlite", env={"DE_RATE_LIMIT_PER_MINUTE": "100"})
    admin = server.client(token=server.token)
    made = admin.post("/api/v1/api-keys", {"name": "batch", "roles": ["viewer"], "rate_limit_per_minute": 3})
    assert made.status == 201 and made.body["rate_limit_per_minute"] == 3, made
    key = server.client(api_key=made.body["key"])
    answers = [key.get("/api/v1/agents") for _ in range(4)]
    assert [r.status for r in answers] == [200, 200, 200, 429], answers
    assert rate_headers(answers[0])[:2] == (3, 2) and rate_headers(answers[3])[:2] == (3, 0)
    assert "this API key" in answers[3].body["detail"] and "3 requests" in answers[3].body["detail"]
    assert rate_headers(admin.get("/api/v1/agents"))[0] == 100  # the admin's user keeps the server's

    path = f"/api/v1/api-keys/{made.body['id']}"
    unlimited = admin.patch(path, {"rate_limit_per_minute": 0})
    assert unlimited.status == 200, unlimited
    assert unlimited.body["rate_limit_per_minute"] == 0 and unlimited.body["name"] == "batch"
    for _ in range(5):
        r = key.get("/api/v1/agents")
        assert r.status == 200 and "RateLimit-Limit" not in r.headers, r
    renamed = admin.patch(path, {"name": "nightly batch", "rate_limit_per_minute": None})
    assert renamed.status == 200 and renamed.body["rate_limit_per_minute"] is None, renamed
    assert renamed.body["name"] == "nightly batch" and "key" not in renamed.body
    # What the key spent carries over: three at 3 a minute put it a minute ahead, which at 100 a
    # minute is the whole quota spent; the next request passes once one request's share (0.6 s) is back.
    time.sleep(1)
    r = key.get("/api/v1/agents")
    assert r.status == 200 and rate_headers(r)[:2] == (100, 0), r.headers
    listed = [k for k in admin.get("/api/v1/api-keys").body["items"] if k["id"] == made.body["id"]]
    assert listed[0]["rate_limit_per_minute"] is None and listed[0]["name"] == "nightly batch", listed

    for bad in ({"rate_limit_per_minute": -1}, {"rate_limit_per_minute": "many"}, {"rate_limit_per_minute": 1.5},
                {"roles": ["admin"]}):
        assert_problem(admin.patch(path, bad), 422)
    assert_problem(admin.patch(f"/api/v1/api-keys/{'0' * 8}-0000-7000-8000-{'0' * 12}", {"name": "x"}), 404)
    assert_problem(admin.post("/api/v1/api-keys", {"name": "k", "roles": ["viewer"], "rate_limit_per_minute": -5}),
                   422)
    changes = admin.get(f"/api/v1/audit?action=api_keys.updated&target_id={made.body['id']}").body["items"]
    assert [c["details"]["rate_limit_per_minute"] for c in changes] == [None, 0], changes
    assert all(made.body["key"] not in str(c) for c in changes)


# --- the client's address behind a proxy (docs/security.md, "Client address") -----------------------
def failed_login(client, email, forwarded_for):
    return client.post(LOGIN, {"email": email, "password": "wrong-" + uid()},
                       headers={"X-Forwarded-For": forwarded_for})


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(srv, server_factory):
    """Behind DE_TRUSTED_PROXIES (here the loopback the tests connect from), the address a proxy
    appended to X-Forwarded-For is the client: audited, and throttled on its own, so one client's
    guesses do not lock out everyone behind the same proxy. Without it, the header is ignored."""
    user = srv.new_user("viewer")
    assert failed_login(srv.anonymous(), user["email"], "198.51.100.7").status == 401
    ignored = srv.admin.get(f"/api/v1/audit?action=auth.login_failed&target_id={user['id']}").body["items"]
    assert [e["actor_ip"] for e in ignored] == ["127.0.0.1"], ignored

    server = server_factory("sqlite", env={"DE_TRUSTED_PROXIES": "127.0.0.1/32, ::1"})
    admin = server.client(token=server.token)
    password = "pw-" + uid()
    made = admin.post("/api/v1/users", {"email": "behind@example.com", "password": password, "roles": ["viewer"]})
    assert made.status == 201, made
    client = server.client()
    # A client-written entry to the left of the proxy's is not believed: the proxy's is the client.
    answers = [failed_login(client, "behind@example.com", "10.9.9.9, 198.51.100.7") for _ in range(5)]
    assert [r.status for r in answers] == [401] * 5, answers
    locked = failed_login(client, "behind@example.com", "198.51.100.7")
    assert_problem(locked, 429)
    assert failed_login(client, "behind@example.com", "198.51.100.8").status == 401  # another client
    seen = admin.get(f"/api/v1/audit?action=auth.login_failed&target_id={made.body['id']}").body["items"]
    assert {e["actor_ip"] for e in seen} == {"198.51.100.7", "198.51.100.8"}, seen
    assert server.client().post(LOGIN, {"email": "behind@example.com", "password": password},
                                headers={"X-Forwarded-For": "198.51.100.8"}).status == 200
