"""Users: admin CRUD, never a password hash, duplicates, own password change."""
import secrets

import pytest

from support.helpers import NOT_A_ROUTE_ID, assert_no_secrets, assert_problem, assert_unauthorized, is_timestamp, is_uuid

USERS = "/api/v1/users"
USER_FIELDS = {"id", "email", "username", "roles", "is_active", "created_at", "updated_at"}


def new_body(role="viewer"):
    name = "u" + secrets.token_hex(5)
    return {"email": f"{name}@example.com", "username": name, "password": "pw-" + secrets.token_hex(8),
            "roles": [role]}


def check_user(user, body=None):
    assert USER_FIELDS <= user.keys(), user
    assert is_uuid(user["id"])
    assert isinstance(user["is_active"], bool)
    assert is_timestamp(user["created_at"]) and is_timestamp(user["updated_at"]), user
    assert_no_secrets(user, [body["password"]] if body else [])
    if body:
        assert user["email"] == body["email"] and user["username"] == body["username"]
        assert user["roles"] == body["roles"]


def test_create_get_list_update_delete(srv):
    admin = srv.admin
    body = new_body("operator")
    r = admin.post(USERS, body)
    assert r.status == 201, r
    assert body["password"].encode() not in r.raw
    user = r.body
    check_user(user, body)
    assert user["is_active"] is True
    assert r.headers["Location"] == f"{USERS}/{user['id']}", r.headers.get("Location")

    r = admin.get(f"{USERS}/{user['id']}")
    assert r.status == 200, r
    check_user(r.body, body)

    listed = admin.list_all(USERS)
    assert user["id"] in [u["id"] for u in listed]
    for u in listed:
        check_user(u)

    r = admin.patch(f"{USERS}/{user['id']}", {"roles": ["manager", "viewer"]})
    assert r.status == 200, r
    assert sorted(r.body["roles"]) == ["manager", "viewer"]
    check_user(r.body)
    assert sorted(admin.get(f"{USERS}/{user['id']}").body["roles"]) == ["manager", "viewer"]

    r = admin.delete(f"{USERS}/{user['id']}")
    assert r.status == 204, r
    assert not r.raw
    assert_problem(admin.get(f"{USERS}/{user['id']}"), 404, "not-found")
    assert_problem(admin.delete(f"{USERS}/{user['id']}"), 404, "not-found")
    # the deleted user can no longer log in
    assert_unauthorized(srv.anonymous().post("/api/v1/auth/login",
                                             {"email": body["email"], "password": body["password"]}))


def test_no_password_hash_in_any_user_response(srv):
    admin = srv.admin
    body = new_body()
    created = admin.post(USERS, body)
    responses = [created, admin.get(f"{USERS}/{created.body['id']}"), admin.get(USERS + "?limit=500"),
                 admin.patch(f"{USERS}/{created.body['id']}", {"password": "pw-" + secrets.token_hex(8)}),
                 srv.anonymous().post("/api/v1/auth/login", {"email": "viewer@example.com",
                                                               "password": srv.passwords["viewer"]}),
                 srv.as_("viewer").get(USERS + "/me")]
    for r in responses:
        assert r.status in (200, 201), r
        assert_no_secrets(r.body, [body["password"]])
        assert b"$argon2" not in r.raw, r


def test_defaults_role_viewer_and_username(srv):
    body = new_body()
    del body["roles"]
    r = srv.admin.post(USERS, body)
    assert r.status == 201, r
    assert r.body["roles"] == ["viewer"]


def test_duplicate_email_is_409(srv):
    body = new_body()
    assert srv.admin.post(USERS, body).status == 201
    before = srv.admin.count(USERS)
    again = dict(body, username="other" + secrets.token_hex(4))
    assert_problem(srv.admin.post(USERS, again), 409, "conflict")
    assert srv.admin.count(USERS) == before


def test_duplicate_username_is_409(srv):
    body = new_body()
    assert srv.admin.post(USERS, body).status == 201
    again = dict(body, email="other" + secrets.token_hex(4) + "@example.com")
    assert_problem(srv.admin.post(USERS, again), 409, "conflict")


def test_short_password_is_422(srv):
    body = dict(new_body(), password="short")
    assert_problem(srv.admin.post(USERS, body), 422, "validation", fields=["password"])


def test_unknown_id_is_404(srv):
    assert_problem(srv.admin.get(f"{USERS}/{NOT_A_ROUTE_ID}"), 404, "not-found")
    assert_problem(srv.admin.patch(f"{USERS}/{NOT_A_ROUTE_ID}", {"is_active": True}), 404, "not-found")


def test_own_password_change_with_current_password(srv):
    user = srv.new_user("viewer")
    me = srv.client_for(user)
    new_password = "pw-new-" + secrets.token_hex(6)
    r = me.patch(f"{USERS}/{user['id']}", {"current_password": user["password"], "password": new_password})
    assert r.status == 200, r
    assert_no_secrets(r.body, [new_password, user["password"]])
    assert_unauthorized(srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": user["password"]}))
    assert srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": new_password}).status == 200


def test_own_password_change_needs_the_right_current_password(srv):
    user = srv.new_user("operator")
    me = srv.client_for(user)
    for body in ({"password": "pw-new-" + secrets.token_hex(6)},
                 {"current_password": "wrong-" + secrets.token_hex(4), "password": "pw-new-" + secrets.token_hex(6)}):
        r = me.patch(f"{USERS}/{user['id']}", body)
        assert r.status in (400, 401, 403, 422), r
        assert_problem(r, r.status)
        if "current_password" not in body:
            assert r.status == 422, r
    # unchanged: the old password still works
    assert srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": user["password"]}).status == 200


def test_deleting_your_own_account_is_409(srv):
    me = srv.admin.get(f"{USERS}/me").body
    assert_problem(srv.admin.delete(f"{USERS}/{me['id']}"), 409, "conflict")
    assert srv.admin.get(f"{USERS}/me").status == 200


def test_non_admin_cannot_change_another_user(srv):
    victim = srv.new_user("viewer")
    for role in ("manager", "operator", "viewer", "agent"):
        r = srv.as_(role).patch(f"{USERS}/{victim['id']}", {"password": "pw-hijack-" + secrets.token_hex(4),
                                                            "current_password": victim["password"]})
        assert_problem(r, 403, "forbidden")
        r = srv.as_(role).patch(f"{USERS}/{victim['id']}", {"roles": ["admin"]})
        assert_problem(r, 403, "forbidden")
    assert srv.anonymous().post("/api/v1/auth/login",
                                {"email": victim["email"], "password": victim["password"]}).status == 200
    assert srv.admin.get(f"{USERS}/{victim['id']}").body["roles"] == ["viewer"]


def test_non_admin_cannot_change_own_roles(srv):
    user = srv.new_user("viewer")
    me = srv.client_for(user)
    r = me.patch(f"{USERS}/{user['id']}", {"roles": ["admin"]})
    assert_problem(r, 403, "forbidden")
    assert srv.admin.get(f"{USERS}/{user['id']}").body["roles"] == ["viewer"]
    assert me.get("/api/v1/users").status == 403


def test_admin_sets_another_users_password_without_current(srv):
    user = srv.new_user("viewer")
    new_password = "pw-reset-" + secrets.token_hex(6)
    r = srv.admin.patch(f"{USERS}/{user['id']}", {"password": new_password})
    assert r.status == 200, r
    assert srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": new_password}).status == 200


def test_deactivated_user_cannot_log_in(srv):
    user = srv.new_user("operator")
    tokens = srv.login(user["email"], user["password"])
    r = srv.admin.patch(f"{USERS}/{user['id']}", {"is_active": False})
    assert r.status == 200 and r.body["is_active"] is False, r
    assert_problem(srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": user["password"]}),
                   403, "account-deactivated")
    assert_unauthorized(srv.anonymous().post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}))
    assert srv.admin.patch(f"{USERS}/{user['id']}", {"is_active": True}).status == 200
    assert srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": user["password"]}).status == 200


# --- the password policy (docs/security.md, "Passwords") -------------------------------------------
WEAK_PASSWORDS = [
    ("pw-" + "x1y2z3w4", "at least 12 characters"),          # 11 characters
    ("çàéèêëïîôûüÿ"[:11], "at least 12 characters"),          # 11 characters in 22 bytes
    ("p" + "w0rd-" * 51 + "x", "at most 256 characters"),
    ("qwertyuiop123", "commonly used password"),              # in the breached-password list
    ("ILOVEYOU1234567", "commonly used password"),            # listed, whatever the case... or with digits added
    ("Summer2024!!!", "digits or symbols added"),
    ("!!password12345", "digits or symbols added"),
    ("aaaaaaaaaaaaaaa", "run or repetition"),
    ("abababababab", "run or repetition"),
    ("123456789012345", "run or repetition"),
    ("my digital-enterprise pass", "product's name"),
]


@pytest.mark.parametrize("password,rule", WEAK_PASSWORDS, ids=[rule + "-" + str(i) for i, (_, rule) in enumerate(WEAK_PASSWORDS)])
def test_weak_passwords_are_refused_naming_the_rule(srv, password, rule):
    body = new_body()
    body["password"] = password
    r = srv.admin.post(USERS, body)
    assert_problem(r, 422, fields=["password"])
    message = next(e["message"] for e in r.body["errors"] if e["field"] == "password")
    assert rule in message, (password, message)


def test_a_password_may_not_contain_the_email_name(srv):
    body = new_body()
    local = body["email"].split("@")[0]
    body["password"] = f"Secret-{local.upper()}-phrase"
    r = srv.admin.post(USERS, body)
    assert_problem(r, 422, fields=["password"])
    assert local in r.body["errors"][0]["message"]


def test_good_passwords_of_any_characters_are_taken(srv):
    """No composition rules: a long phrase of lower-case words, spaces, non-ASCII letters; the
    length counts characters, not bytes (12 characters in 24 bytes)."""
    for password in ("correct horse battery staple", "çàéèêëïîôûüÿ", "x" + "yz ab" * 51):
        body = new_body()
        body["password"] = password
        r = srv.admin.post(USERS, body)
        assert r.status == 201, (password, r)
        assert srv.login(body["email"], password)["access_token"]


def test_password_changes_follow_the_policy(srv):
    user = srv.new_user("viewer")
    client = srv.client_for(user)
    weak = client.patch(f"{USERS}/{user['id']}", {"password": "password", "current_password": user["password"]})
    assert_problem(weak, 422, fields=["password"])
    assert "at least 12" in weak.body["errors"][0]["message"]
    # an admin setting another's password, with a new email whose name the password contains
    renamed = "renamed" + secrets.token_hex(3)
    r = srv.admin.patch(f"{USERS}/{user['id']}", {"email": f"{renamed}@example.com", "password": f"my {renamed} phrase 1"})
    assert_problem(r, 422, fields=["password"])
    assert srv.login(user["email"], user["password"])["access_token"], "a refused change changed nothing"
