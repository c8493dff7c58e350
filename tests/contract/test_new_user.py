"""What a new user trips on (issue 25): waiting work says why, approvals say who and when,
the session survives a reload through an HttpOnly cookie, a deactivated account is told so,
and the task type filter matches by prefix."""
import secrets
import time

from support.helpers import assert_problem, assert_unauthorized, uid

TASKS = "/api/v1/tasks"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


# ---- work that silently waits ---------------------------------------------------------------

def test_a_task_no_agent_offers_has_a_warning_at_once_and_on_reading(srv):
    kind = "no.such.type" + secrets.token_hex(3)
    r = srv.admin.post(TASKS, {"type": kind})
    assert r.status == 201 and r.body["status"] == "queued", r
    [warning] = r.body["warnings"]
    assert warning["code"] == "no_capable_agent" and kind in warning["detail"], warning
    again = srv.admin.get(f"{TASKS}/{r.body['id']}").body
    assert again["warnings"] == r.body["warnings"]
    # A task an agent runs has none.
    ran = srv.admin.post(TASKS, {"type": "echo"}).body
    assert "warnings" not in ran
    # Cancelled, it no longer waits: no warning either.
    srv.admin.post(f"{TASKS}/{r.body['id']}/cancel")
    assert "warnings" not in srv.admin.get(f"{TASKS}/{r.body['id']}").body


def test_a_task_for_a_stopped_agent_says_start_it(srv):
    kind = "it.stopped." + secrets.token_hex(3)
    agent = srv.new_agent("echo", capabilities=[kind])
    assert srv.admin.post(f"/api/v1/agents/{agent['id']}/stop").status == 200
    r = srv.admin.post(TASKS, {"type": kind})
    [warning] = r.body["warnings"]
    assert warning["code"] == "agent_stopped" and warning["agent_id"] == agent["id"], warning
    assert "start it" in warning["detail"] and agent["name"] in warning["detail"]
    pinned = srv.admin.post(TASKS, {"type": "echo", "assigned_agent": agent["id"]}).body
    assert pinned["warnings"][0]["code"] == "agent_stopped"
    summary = srv.admin.get("/api/v1/analytics/summary").body
    row = [s for s in summary["stalled_queue"] if s["type"] == kind]
    assert row == [{"type": kind, "waiting": 1, "code": "agent_stopped", "agent_id": agent["id"]}], summary["stalled_queue"]
    # Started, the agent takes the waiting task and the warning is gone.
    assert srv.admin.post(f"/api/v1/agents/{agent['id']}/start").status == 200
    deadline = time.time() + 10
    while srv.admin.get(f"{TASKS}/{r.body['id']}").body["status"] not in ("completed", "failed") and time.time() < deadline:
        time.sleep(0.05)
    done = srv.admin.get(f"{TASKS}/{r.body['id']}").body
    assert done["status"] == "completed" and "warnings" not in done, done
    summary = srv.admin.get("/api/v1/analytics/summary").body
    assert not [s for s in summary["stalled_queue"] if s["type"] == kind]


def test_require_agent_refuses_what_would_wait(srv):
    kind = "no.such.type" + secrets.token_hex(3)
    before = srv.sql("SELECT count(*) FROM tasks")[0][0]
    r = srv.admin.post(f"{TASKS}?require_agent=true", {"type": kind})
    assert_problem(r, 422, "validation", fields=["type"])
    assert kind in r.body["detail"] or kind in r.body["errors"][0]["message"]
    r = srv.admin.post(f"{TASKS}/batch?require_agent=true", {"tasks": [{"type": "echo"}, {"type": kind}]})
    assert_problem(r, 422, "validation", fields=["tasks[1].type"])
    assert srv.sql("SELECT count(*) FROM tasks")[0][0] == before, "nothing is stored"
    assert srv.admin.post(f"{TASKS}?require_agent=true", {"type": "echo"}).status == 201
    assert_problem(srv.admin.post(f"{TASKS}?require_agent=maybe", {"type": "echo"}), 400, "bad-request")


def test_the_summary_counts_waiting_tasks_no_agent_offers(srv):
    kind = "it.nobody." + secrets.token_hex(3)
    for _ in range(3):
        srv.admin.post(TASKS, {"type": kind})
    summary = srv.as_("viewer").get("/api/v1/analytics/summary").body
    assert {"type": kind, "waiting": 3, "code": "no_capable_agent", "agent_id": None} in summary["stalled_queue"]


# ---- filters --------------------------------------------------------------------------------

def test_type_prefix_finds_the_family_and_type_stays_exact(srv):
    family = "fam" + secrets.token_hex(3)
    for kind in (f"{family}.a", f"{family}.b_c", f"{family}x.d"):
        srv.new_task(kind)
    srv.new_task("other." + family)
    listed = srv.admin.get(f"{TASKS}?type_prefix={family}.&limit=50").body["items"]
    assert sorted(t["type"] for t in listed) == [f"{family}.a", f"{family}.b_c"]
    assert len(srv.admin.get(f"{TASKS}?type_prefix={family}&limit=50").body["items"]) == 3
    assert [t["type"] for t in srv.admin.get(f"{TASKS}?type={family}.a").body["items"]] == [f"{family}.a"]
    assert srv.admin.get(f"{TASKS}?type={family}").body["items"] == []
    assert_problem(srv.admin.get(f"{TASKS}?type_prefix=Bad%20Type"), 400, "bad-request")


# ---- approvals ------------------------------------------------------------------------------

def run_approval(srv, role="manager"):
    definition = {"trigger": {"type": "manual"},
                  "steps": [{"id": "ok", "type": "approval", "role": role, "message": "ship it?"}]}
    w = srv.admin.post("/api/v1/workflows", {"name": "approve " + uid(), "status": "active", "definition": definition}).body
    execution = srv.admin.post(f"/api/v1/workflows/{w['id']}/execute", {"input": {"n": 1}}).body
    deadline = time.time() + 10
    while time.time() < deadline:
        e = srv.admin.get(f"/api/v1/workflow-executions/{execution['id']}").body
        if e["steps"][0]["status"] == "waiting":
            return e
        time.sleep(0.05)
    raise AssertionError("the approval did not wait")


def test_an_approval_keeps_who_decided_when_and_the_comment(srv):
    e = run_approval(srv)
    step = e["steps"][0]
    assert step["input"]["role"] == "manager", step  # who can decide, for those who cannot
    assert_problem(srv.as_("operator").post(f"/api/v1/workflow-executions/{e['id']}/steps/ok/approve",
                                            {"approved": True}), 403, "forbidden")
    r = srv.as_("manager").post(f"/api/v1/workflow-executions/{e['id']}/steps/ok/approve",
                                {"approved": True, "comment": "looks right"})
    assert r.status == 200, r
    out = [s for s in r.body["steps"] if s["id"] == "ok"][0]["output"]
    assert out["approved"] is True and out["by"] == "manager@example.com" and out["comment"] == "looks right"
    assert out["decided_at"].endswith("Z")


def test_a_rejection_keeps_who_when_and_why_too(srv):
    e = run_approval(srv, role="operator")
    r = srv.as_("operator").post(f"/api/v1/workflow-executions/{e['id']}/steps/ok/approve",
                                 {"approved": False, "comment": "not this week"})
    assert r.status == 200, r
    step = [s for s in r.body["steps"] if s["id"] == "ok"][0]
    assert step["status"] == "failed" and "not this week" in step["error"]
    assert step["output"]["approved"] is False and step["output"]["by"] == "operator@example.com"
    assert step["output"]["comment"] == "not this week" and step["output"]["decided_at"]


# ---- the session in a cookie ----------------------------------------------------------------

def cookie_attributes(header):
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name, value = name_value.split("=", 1)
    flags = {}
    for a in attributes:
        key, _, v = a.partition("=")
        flags[key.lower()] = v
    return name, value, flags


def test_a_cookie_session_keeps_the_refresh_token_away_from_scripts(srv):
    user = srv.new_user("operator")
    r = srv.anonymous().post(LOGIN, {"email": user["email"], "password": user["password"], "session": "cookie"})
    assert r.status == 200, r
    assert "refresh_token" not in r.body and r.body["access_token"]
    name, token, flags = cookie_attributes(r.headers["Set-Cookie"])
    assert name == "de_refresh" and len(token) >= 20
    assert "httponly" in flags and flags["samesite"] == "Strict" and flags["path"] == "/api/v1/auth"
    assert int(flags["max-age"]) > 0 and "secure" not in flags  # plain HTTP here
    # A reload (or a second tab) has only the cookie: it gets a new pair, the cookie rotated.
    r = srv.anonymous().post(REFRESH, headers={"Cookie": f"other=1; de_refresh={token}"})
    assert r.status == 200, r
    assert "refresh_token" not in r.body and r.body["user"]["email"] == user["email"]
    _, rotated, _ = cookie_attributes(r.headers["Set-Cookie"])
    assert rotated != token
    assert_unauthorized(srv.anonymous().post(REFRESH, headers={"Cookie": f"de_refresh={token}"}))  # reuse
    # Logout revokes the cookie's token and tells the browser to forget it.
    relogin = srv.anonymous().post(LOGIN, {"email": user["email"], "password": user["password"], "session": "cookie"})
    _, fresh, _ = cookie_attributes(relogin.headers["Set-Cookie"])
    r = srv.anonymous().post(LOGOUT, headers={"Cookie": f"de_refresh={fresh}"})
    assert r.status == 204
    _, emptied, flags = cookie_attributes(r.headers["Set-Cookie"])
    assert emptied == "" and flags["max-age"] == "0"
    assert_unauthorized(srv.anonymous().post(REFRESH, headers={"Cookie": f"de_refresh={fresh}"}))


def test_the_cookie_is_secure_behind_tls_and_body_clients_work_as_before(srv):
    user = srv.new_user("viewer")
    r = srv.anonymous().post(LOGIN, {"email": user["email"], "password": user["password"], "session": "cookie"},
                             headers={"X-Forwarded-Proto": "https"})
    assert "secure" in cookie_attributes(r.headers["Set-Cookie"])[2]
    body = srv.anonymous().post(LOGIN, {"email": user["email"], "password": user["password"]})
    assert body.body["refresh_token"] and "Set-Cookie" not in body.headers
    r = srv.anonymous().post(REFRESH, {"refresh_token": body.body["refresh_token"]})
    assert r.status == 200 and r.body["refresh_token"] and "Set-Cookie" not in r.headers
    assert_problem(srv.anonymous().post(LOGIN, {"email": user["email"], "password": "x", "session": "jar"}),
                   422, "validation", fields=["session"])


# ---- a deactivated account ------------------------------------------------------------------

def test_a_deactivated_user_with_the_right_password_is_told_so(srv):
    user = srv.new_user("operator")
    assert srv.admin.patch(f"/api/v1/users/{user['id']}", {"is_active": False}).status == 200
    r = srv.anonymous().post(LOGIN, {"email": user["email"], "password": user["password"]})
    assert_problem(r, 403, "account-deactivated")
    assert "deactivated" in r.body["detail"]
    # The wrong password learns nothing about the account.
    assert_unauthorized(srv.anonymous().post(LOGIN, {"email": user["email"], "password": "wrong-password"}))
