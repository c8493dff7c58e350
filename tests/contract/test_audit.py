"""The audit log (docs/security.md, "Audit log"): who did what, from where, with what outcome.

Each audited kind of action leaves its entry with the right actor; a failed login keeps the
address and the name tried but never the password; only admins read it (a page newest first,
or an export as JSON lines oldest first); the database itself refuses to change or delete an
entry; an entry exists only for a change that committed.
"""
import json
import secrets
import sqlite3
import threading
import time

import pytest

from support.helpers import assert_problem, assert_unauthorized, is_timestamp, uid

AUDIT = "/api/v1/audit"
EXPORT = "/api/v1/audit/export"
FIELDS = {"id", "at", "actor_type", "actor_id", "actor_email", "api_key_id", "actor_ip", "request_id", "action",
          "target_type", "target_id", "outcome", "details"}
APPROVAL = {"trigger": {"type": "manual"}, "steps": [{"id": "ok", "type": "approval", "role": "manager",
                                                     "message": "ship it?"}]}


def entries(srv, **filters):
    """Every entry matching the filters, newest first."""
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    r = srv.admin.get(f"{AUDIT}?limit=500&{query}")
    assert r.status == 200, r
    for e in r.body["items"]:
        assert set(e) == FIELDS, e
        assert isinstance(e["id"], int) and is_timestamp(e["at"]), e
    return r.body["items"]


def one(srv, action, target_id):
    """The single entry of `action` on `target_id`."""
    found = entries(srv, action=action, target_id=target_id)
    assert len(found) == 1, (action, target_id, found)
    return found[0]


def by_admin(srv, entry):
    admin = srv.users["admin"]
    assert entry["actor_type"] == "user" and entry["actor_id"] == admin["id"], entry
    assert entry["actor_email"] == admin["email"] and entry["api_key_id"] is None, entry
    assert entry["actor_ip"] == "127.0.0.1" and entry["outcome"] == "success", entry


# ---- sign-in -------------------------------------------------------------------------------

def test_a_failed_login_keeps_the_address_and_the_name_but_never_the_password(srv):
    user = srv.new_user("viewer")
    wrong = "not-the-password-" + secrets.token_hex(6)
    r = srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": wrong})
    assert r.status == 401, r
    failed = one(srv, "auth.login_failed", user["id"])
    assert failed["outcome"] == "failure" and failed["actor_type"] == "anonymous", failed
    assert failed["actor_id"] is None and failed["actor_ip"] == "127.0.0.1", failed
    assert failed["target_type"] == "user" and failed["request_id"] == r.headers["X-Request-Id"], failed
    assert failed["details"]["login"] == user["email"] and failed["details"]["reason"] == "invalid_credentials"
    # No password anywhere: not in the answer, not in the stored rows.
    assert wrong not in json.dumps(failed)
    stored = srv.sql("SELECT count(*) FROM audit_log WHERE CAST(details AS TEXT) LIKE ?", (f"%{wrong}%",))
    assert stored[0][0] == 0

    nobody = f"nobody-{uid()}@example.com"
    assert srv.anonymous().post("/api/v1/auth/login", {"email": nobody, "password": wrong}).status == 401
    unknown = [e for e in entries(srv, action="auth.login_failed") if e["details"].get("login") == nobody]
    assert len(unknown) == 1 and unknown[0]["target_id"] is None, unknown


def test_a_login_refresh_and_logout_are_recorded_as_the_user(srv):
    user = srv.new_user("operator")
    first = srv.login(user["email"], user["password"])
    login = one(srv, "auth.login", user["id"])
    assert login["actor_id"] == user["id"] and login["actor_email"] == user["email"], login
    assert login["details"] == {"login": user["email"], "session": "body"}, login
    assert first["refresh_token"] not in json.dumps(login) and first["access_token"] not in json.dumps(login)

    anonymous = srv.anonymous()
    second = anonymous.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status == 200, second
    refresh = one(srv, "auth.refresh", user["id"])
    assert refresh["actor_id"] == user["id"] and refresh["outcome"] == "success", refresh

    # The spent token again: its session is revoked, and that is a failure worth a look.
    assert anonymous.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}).status == 401
    reused = one(srv, "auth.refresh_reused", user["id"])
    assert reused["outcome"] == "failure" and reused["actor_id"] is None, reused

    assert anonymous.post("/api/v1/auth/logout", {"refresh_token": second.body["refresh_token"]}).status == 204
    logout = one(srv, "auth.logout", user["id"])
    assert logout["actor_id"] == user["id"] and logout["actor_email"] == user["email"], logout


def test_a_deactivated_account_login_is_a_failure_by_its_owner(srv):
    user = srv.new_user("viewer")
    assert srv.admin.patch(f"/api/v1/users/{user['id']}", {"is_active": False}).status == 200
    r = srv.anonymous().post("/api/v1/auth/login", {"email": user["email"], "password": user["password"]})
    assert r.status == 403, r
    failed = one(srv, "auth.login_failed", user["id"])
    assert failed["details"]["reason"] == "account_deactivated" and failed["actor_id"] == user["id"], failed


# ---- users, roles, keys, credentials --------------------------------------------------------

def test_user_creation_role_changes_deactivation_password_and_deletion(srv):
    user = srv.new_user("viewer")
    created = one(srv, "users.created", user["id"])
    by_admin(srv, created)
    assert created["details"]["roles"] == ["viewer"] and user["password"] not in json.dumps(created)

    assert srv.admin.patch(f"/api/v1/users/{user['id']}", {"roles": ["manager"]}).status == 200
    changed = one(srv, "users.role_changed", user["id"])
    by_admin(srv, changed)
    assert changed["details"]["from"] == ["viewer"] and changed["details"]["to"] == ["manager"], changed

    assert srv.admin.patch(f"/api/v1/users/{user['id']}", {"is_active": False}).status == 200
    by_admin(srv, one(srv, "users.deactivated", user["id"]))
    assert srv.admin.patch(f"/api/v1/users/{user['id']}", {"is_active": True}).status == 200
    by_admin(srv, one(srv, "users.activated", user["id"]))

    new_password = "pw-" + secrets.token_hex(8)
    r = srv.client_for(user).patch(f"/api/v1/users/{user['id']}",
                                   {"current_password": user["password"], "password": new_password})
    assert r.status == 200, r
    own = one(srv, "users.password_changed", user["id"])
    assert own["actor_id"] == user["id"] and own["actor_type"] == "user", own
    assert new_password not in json.dumps(own) and user["password"] not in json.dumps(own)

    assert srv.admin.delete(f"/api/v1/users/{user['id']}").status == 204
    deleted = one(srv, "users.deleted", user["id"])
    by_admin(srv, deleted)
    assert deleted["details"]["email"] == user["email"]
    # A deleted user's entries stay, with the email they had.
    assert len(entries(srv, target_id=user["id"])) >= 6


def test_api_keys_created_revoked_and_used_as_the_actor(srv):
    r = srv.admin.post("/api/v1/api-keys", {"name": "audit-" + uid(), "roles": ["admin"]})
    assert r.status == 201, r
    key = r.body
    created = one(srv, "api_keys.created", key["id"])
    by_admin(srv, created)
    assert key["key"] not in json.dumps(created) and created["details"]["roles"] == ["admin"], created

    # What a key does is recorded as the key (and its owner).
    lead = srv.admin.post("/api/v1/leads", {"name": "audit-" + uid()}).body
    assert srv.anonymous().with_api_key(key["key"]).delete(f"/api/v1/leads/{lead['id']}").status == 204
    deleted = one(srv, "leads.deleted", lead["id"])
    assert deleted["actor_type"] == "api_key" and deleted["api_key_id"] == key["id"], deleted
    assert deleted["actor_id"] == srv.users["admin"]["id"], deleted

    assert srv.admin.delete(f"/api/v1/api-keys/{key['id']}").status == 204
    by_admin(srv, one(srv, "api_keys.revoked", key["id"]))


def test_integration_credentials_changes_say_which_never_their_values(srv):
    secret = "xoxb-" + secrets.token_hex(12)
    r = srv.admin.post("/api/v1/integrations", {"name": "audit " + uid(), "type": "slack",
                                                "credentials": {"bot_token": secret}})
    assert r.status == 201, r
    integration = r.body
    created = one(srv, "integrations.created", integration["id"])
    by_admin(srv, created)
    assert created["details"]["credentials"] == ["bot_token"] and created["details"]["type"] == "slack", created

    rotated = secret + "-2"
    assert srv.admin.patch(f"/api/v1/integrations/{integration['id']}",
                           {"credentials": {"bot_token": rotated}}).status == 200
    changed = one(srv, "integrations.credentials_changed", integration["id"])
    assert changed["details"]["credentials"] == ["bot_token"], changed
    assert srv.admin.patch(f"/api/v1/integrations/{integration['id']}", {"name": "renamed " + uid()}).status == 200
    assert one(srv, "integrations.updated", integration["id"])["details"]["fields"] == ["name"]
    assert srv.admin.delete(f"/api/v1/integrations/{integration['id']}").status == 204
    by_admin(srv, one(srv, "integrations.deleted", integration["id"]))

    everything = srv.admin.get(f"{EXPORT}?target_id={integration['id']}").body
    assert secret not in everything and rotated not in everything
    stored = srv.sql("SELECT count(*) FROM audit_log WHERE CAST(details AS TEXT) LIKE ?", (f"%{secret}%",))
    assert stored[0][0] == 0


def test_webhook_subscriptions_and_their_secrets(srv):
    r = srv.admin.post("/api/v1/webhook-subscriptions",
                       {"url": "http://127.0.0.1:9/audit", "topics": ["nothing.audit"], "description": "audit"})
    assert r.status == 201, r
    sub = r.body
    by_admin(srv, one(srv, "webhook_subscriptions.created", sub["id"]))
    rotated = srv.admin.post(f"/api/v1/webhook-subscriptions/{sub['id']}/rotate-secret")
    assert rotated.status == 200, rotated
    entry = one(srv, "webhook_subscriptions.secret_rotated", sub["id"])
    assert sub["secret"] not in json.dumps(entry) and rotated.body["secret"] not in json.dumps(entry)
    assert srv.admin.patch(f"/api/v1/webhook-subscriptions/{sub['id']}", {"description": "changed"}).status == 200
    assert one(srv, "webhook_subscriptions.updated", sub["id"])["details"]["fields"] == ["description"]
    assert srv.admin.delete(f"/api/v1/webhook-subscriptions/{sub['id']}").status == 204
    by_admin(srv, one(srv, "webhook_subscriptions.deleted", sub["id"]))


# ---- decisions and settings -----------------------------------------------------------------

def test_a_workflow_approval_decision_is_recorded_with_its_decider(srv):
    w = srv.admin.post("/api/v1/workflows", {"name": "audit " + uid(), "status": "active",
                                             "definition": APPROVAL}).body
    execution = srv.admin.post(f"/api/v1/workflows/{w['id']}/execute", {"input": {}}).body
    deadline = time.time() + 10
    while srv.admin.get(f"/api/v1/workflow-executions/{execution['id']}").body["steps"][0]["status"] != "waiting":
        assert time.time() < deadline, "the approval did not wait"
        time.sleep(0.05)
    r = srv.as_("manager").post(f"/api/v1/workflow-executions/{execution['id']}/steps/ok/approve",
                                {"approved": False, "comment": "not yet"})
    assert r.status == 200, r
    decided = one(srv, "workflow_approvals.decided", execution["id"])
    manager = srv.users["manager"]
    assert decided["actor_id"] == manager["id"] and decided["actor_email"] == manager["email"], decided
    assert decided["details"] == {"step_id": "ok", "approved": False, "workflow_id": w["id"]}, decided


def test_brand_voice_budgets_and_the_active_prompt_are_settings(srv):
    voice = srv.admin.get("/api/v1/brand-voice").body
    before = {e["id"] for e in entries(srv, action="brand_voice.changed")}
    assert srv.as_("manager").request("PUT", "/api/v1/brand-voice", json=voice).status == 200
    changed = [e for e in entries(srv, action="brand_voice.changed") if e["id"] not in before]
    assert len(changed) == 1 and changed[0]["actor_id"] == srv.users["manager"]["id"], changed

    campaign = srv.admin.post("/api/v1/campaigns", {"name": "audit-" + uid(), "channel": "email",
                                                    "budget": "10.00"}).body
    assert srv.admin.patch(f"/api/v1/campaigns/{campaign['id']}", {"name": "renamed-" + uid()}).status == 200
    assert entries(srv, action="campaigns.budget_changed", target_id=campaign["id"]) == []  # not a budget
    assert srv.admin.patch(f"/api/v1/campaigns/{campaign['id']}", {"budget": "20.00"}).status == 200
    assert srv.admin.post("/api/v1/campaigns/budgets",
                          {"budgets": [{"id": campaign["id"], "budget": "30.00"}]}).status == 200
    budgets = entries(srv, action="campaigns.budget_changed", target_id=campaign["id"])
    assert [e["details"]["budget"] for e in budgets] == ["30.00", "20.00"], budgets

    prompt = srv.admin.post("/api/v1/prompts", {"name": "p." + secrets.token_hex(4), "template": "one"}).body
    assert srv.admin.post(f"/api/v1/prompts/{prompt['id']}/versions", {"template": "two"}).status == 201
    assert srv.admin.post(f"/api/v1/prompts/{prompt['id']}/activate", {"version": 2}).status == 200
    assert one(srv, "prompts.activated", prompt["id"])["details"] == {"version": 2}


def _lead(srv):
    return srv.admin.post("/api/v1/leads", {"name": "audit-" + uid()}).body


def _deal(srv):
    return srv.admin.post("/api/v1/deals", {"name": "audit deal", "amount": "10.00"}).body


def _campaign(srv):
    return srv.admin.post("/api/v1/campaigns", {"name": "audit-" + uid(), "channel": "email", "budget": "1.00"}).body


def _workflow(srv):
    return srv.admin.post("/api/v1/workflows", {"name": "audit " + uid(), "definition": APPROVAL}).body


def _requirements(srv):
    return srv.admin.post("/api/v1/requirements", {"title": "audit " + uid(),
                                                   "text": "1. The system shall export reports as PDF."}).body


def _stakeholder(srv):
    return srv.admin.post("/api/v1/stakeholders", {"name": "audit-" + uid(), "influence": 4, "interest": 2}).body


def _agent(srv):
    return srv.new_agent()


def _prompt(srv):
    return srv.admin.post("/api/v1/prompts", {"name": "p." + secrets.token_hex(4), "template": "hello"}).body


DELETABLE = [("leads", _lead, "leads.deleted"), ("deals", _deal, "deals.deleted"),
             ("campaigns", _campaign, "campaigns.deleted"), ("workflows", _workflow, "workflows.deleted"),
             ("requirements", _requirements, "requirements.deleted"),
             ("stakeholders", _stakeholder, "stakeholders.deleted"), ("agents", _agent, "agents.deleted"),
             ("prompts", _prompt, "prompts.deleted")]


@pytest.mark.parametrize("collection,make,action", DELETABLE, ids=[d[0] for d in DELETABLE])
def test_every_delete_is_recorded(srv, collection, make, action):
    thing = make(srv)
    assert "id" in thing, thing
    assert srv.as_("manager").delete(f"/api/v1/{collection}/{thing['id']}").status == 204
    entry = one(srv, action, thing["id"])
    assert entry["actor_id"] == srv.users["manager"]["id"] and entry["outcome"] == "success", entry


# ---- only what committed --------------------------------------------------------------------

def test_an_entry_exists_only_for_a_change_that_committed(srv):
    """Ten deletes of one lead at once: one commits, nine fail with 404 and their jobs (with the
    entry each wrote) roll back; a refused change (409) leaves no entry either."""
    lead = _lead(srv)
    statuses = []

    def delete():
        statuses.append(srv.as_("manager").delete(f"/api/v1/leads/{lead['id']}").status)

    threads = [threading.Thread(target=delete) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [204] + [404] * 9, statuses
    assert len(entries(srv, action="leads.deleted", target_id=lead["id"])) == 1

    user = srv.new_user("viewer")
    taken = srv.users["operator"]["email"]
    r = srv.admin.patch(f"/api/v1/users/{user['id']}", {"roles": ["manager"], "email": taken})
    assert_problem(r, 409, "conflict")
    assert entries(srv, action="users.role_changed", target_id=user["id"]) == []
    assert srv.admin.get(f"/api/v1/users/{user['id']}").body["roles"] == ["viewer"]


# ---- reading it -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["none", "manager", "operator", "viewer", "agent"])
def test_only_admins_read_the_audit_log(srv, role):
    for path in (AUDIT, EXPORT):
        r = srv.as_(role).get(path)
        if role == "none":
            assert_unauthorized(r)
        else:
            assert_problem(r, 403, "forbidden")


def test_filters_and_cursor_paging_newest_first(srv):
    user = srv.new_user("viewer")
    for roles in (["manager"], ["operator"], ["viewer"]):
        assert srv.admin.patch(f"/api/v1/users/{user['id']}", {"roles": roles}).status == 200
    mine = entries(srv, target_type="user", target_id=user["id"])
    assert [e["action"] for e in mine] == ["users.role_changed"] * 3 + ["users.created"], mine
    ids = [e["id"] for e in mine]
    assert ids == sorted(ids, reverse=True)

    seen, cursor = [], None
    while True:
        r = srv.admin.get(f"{AUDIT}?target_id={user['id']}&limit=1" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        seen += [e["id"] for e in r.body["items"]]
        cursor = r.body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert seen == ids

    assert [e["id"] for e in entries(srv, target_id=user["id"], action_prefix="users.role")] == ids[:3]
    assert [e["id"] for e in entries(srv, target_id=user["id"], action="users.created")] == ids[3:]
    admin = srv.users["admin"]
    assert {e["id"] for e in entries(srv, target_id=user["id"], actor=admin["email"])} == set(ids)
    assert {e["id"] for e in entries(srv, target_id=user["id"], actor=admin["id"])} == set(ids)
    assert entries(srv, target_id=user["id"], actor=srv.users["viewer"]["id"]) == []
    first_at = mine[-1]["at"]
    assert entries(srv, target_id=user["id"], until=first_at) == []
    assert len(entries(srv, target_id=user["id"], since=first_at)) == 4
    assert entries(srv, action_prefix="auth.login_failed%25") == []  # a wildcard is a character

    for query in ("limit=0", "limit=501", "cursor=abc", "cursor=-1", "since=yesterday"):
        assert_problem(srv.admin.get(f"{AUDIT}?{query}"), 400)


def test_the_export_is_json_lines_oldest_first_and_continues(srv):
    user = srv.new_user("viewer")
    for roles in (["manager"], ["operator"], ["viewer"], ["agent"]):
        assert srv.admin.patch(f"/api/v1/users/{user['id']}", {"roles": roles}).status == 200
    r = srv.admin.get(f"{EXPORT}?target_id={user['id']}")
    assert r.status == 200 and r.content_type == "application/x-ndjson", r
    assert r.body.endswith("\n")
    lines = [json.loads(line) for line in r.body.splitlines()]
    assert [e["action"] for e in lines] == ["users.created"] + ["users.role_changed"] * 4
    assert all(set(e) == FIELDS for e in lines)
    ids = [e["id"] for e in lines]
    assert ids == sorted(ids) and "Link" not in r.headers

    # At most ?limit= lines; the Link header continues after the last one.
    part = srv.admin.get(f"{EXPORT}?target_id={user['id']}&limit=2")
    assert [json.loads(line)["id"] for line in part.body.splitlines()] == ids[:2]
    link = part.headers["Link"]
    assert link.endswith('>; rel="next"') and f"after={ids[1]}" in link, link
    rest = srv.admin.get(link[1:link.index(">")])
    assert [json.loads(line)["id"] for line in rest.body.splitlines()] == ids[2:4]
    assert srv.admin.get(f"{EXPORT}?target_id={user['id']}&after={ids[-1]}").body is None  # nothing after
    for query in ("limit=0", "limit=100001", "after=x"):
        assert_problem(srv.admin.get(f"{EXPORT}?{query}"), 400)


# ---- append-only in the database ------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_database_refuses_to_change_or_delete_an_entry(server_factory, backend):
    server = server_factory(backend)
    client = server.admin()
    r = client.post("/api/v1/users", {"email": f"{uid()}@example.com", "password": "pw-" + secrets.token_hex(8),
                                      "roles": ["viewer"]})
    assert r.status == 201, r
    if backend == "sqlite":
        server.stop()  # the file is the server's while it runs
        refused = sqlite3.IntegrityError
    else:
        refused = RuntimeError  # psql's error
    count = server.sql("SELECT count(*) FROM audit_log")[0][0]
    assert count >= 2  # the first admin (by the system), the login, the new user
    statements = ["UPDATE audit_log SET action = 'nothing.happened'", "DELETE FROM audit_log"]
    if backend == "postgres":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(refused, match="append-only"):
            server.sql(statement)
    assert server.sql("SELECT count(*) FROM audit_log")[0][0] == count
    assert server.sql("SELECT count(*) FROM audit_log WHERE action = 'nothing.happened'")[0][0] == 0
    system = server.sql("SELECT actor_type, action FROM audit_log ORDER BY id LIMIT 1")
    assert system == [("system", "users.created")], system
