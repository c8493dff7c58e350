"""Fields that work as credentials are shown only to roles that could make a new one, and never
to a read-only role (docs/api.md, "Secrets in answers"): a workflow's webhook URL, an API key,
a refresh token, a password."""
import secrets

import pytest

from support.helpers import assert_no_secrets, assert_problem

READERS = ["admin", "manager", "operator", "viewer"]
SEES_WEBHOOKS = {"admin", "manager"}


def webhook_workflow(srv):
    r = srv.admin.post("/api/v1/workflows", {
        "name": "hook-" + secrets.token_hex(4), "status": "active",
        "definition": {"trigger": {"type": "webhook"},
                       "steps": [{"id": "a", "type": "task", "task_type": "echo", "input": {}}]}})
    assert r.status == 201, r
    assert r.body["webhook_url"].startswith("/api/v1/hooks/"), r
    return r.body


@pytest.mark.parametrize("role", READERS)
def test_a_webhook_url_is_shown_only_to_those_who_manage_workflows(srv, role):
    workflow = webhook_workflow(srv)
    token = workflow["webhook_url"].rsplit("/", 1)[1]
    client = srv.as_(role)
    one = client.get(f"/api/v1/workflows/{workflow['id']}")
    listed = [w for w in client.list_all("/api/v1/workflows") if w["id"] == workflow["id"]]
    assert one.status == 200 and len(listed) == 1
    for seen in (one.body, listed[0]):
        assert seen["definition"]["trigger"]["type"] == "webhook"
        if role in SEES_WEBHOOKS:
            assert seen["webhook_url"] == workflow["webhook_url"]
        else:
            assert "webhook_url" not in seen, seen
            assert token not in str(seen)


def test_rotating_a_webhook_revokes_the_old_url(srv):
    workflow = webhook_workflow(srv)
    old = workflow["webhook_url"]
    for role in ("operator", "viewer"):
        assert_problem(srv.as_(role).post(f"/api/v1/workflows/{workflow['id']}/rotate-webhook"), 403)
    assert srv.admin.get(f"/api/v1/workflows/{workflow['id']}").body["webhook_url"] == old
    r = srv.as_("manager").post(f"/api/v1/workflows/{workflow['id']}/rotate-webhook")
    assert r.status == 200, r
    new = r.body["webhook_url"]
    assert new.startswith("/api/v1/hooks/") and new != old
    assert_problem(srv.anonymous().post(old, {}), 404)
    started = srv.anonymous().post(new, {})
    assert started.status == 202 and started.body["execution_id"], started
    assert srv.admin.get(f"/api/v1/workflows/{workflow['id']}").body["webhook_url"] == new


def test_rotating_needs_a_webhook_trigger_and_a_workflow(srv):
    r = srv.admin.post("/api/v1/workflows", {
        "name": "manual-" + secrets.token_hex(4),
        "definition": {"trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "task", "task_type": "echo"}]}})
    assert r.status == 201 and "webhook_url" not in r.body, r
    assert_problem(srv.admin.post(f"/api/v1/workflows/{r.body['id']}/rotate-webhook"), 409, "conflict")
    assert_problem(srv.admin.post("/api/v1/workflows/0190f0e0-0000-7000-8000-000000000000/rotate-webhook"), 404)


@pytest.mark.parametrize("role", READERS)
def test_no_reader_sees_another_credential(srv, role):
    """API keys show their prefix only after the 201; users never carry a password or hash; a
    refresh token is given only to its own user."""
    created = srv.admin.post("/api/v1/api-keys", {"name": "secret-" + secrets.token_hex(4), "roles": ["viewer"]})
    assert created.status == 201 and created.body["key"].startswith(created.body["prefix"]), created
    key = created.body["key"]
    client = srv.as_(role)
    for path in ("/api/v1/api-keys", "/api/v1/users", "/api/v1/workflows", "/api/v1/agents", "/api/v1/users/me"):
        r = client.get(path)
        if r.status == 403:
            continue
        assert r.status == 200, r
        assert key not in r.raw.decode(), f"{path} shows an API key to {role}"
        assert "refresh_token" not in r.raw.decode(), path
        assert_no_secrets(r.body, also_forbidden=[key, srv.passwords.get(role, "-")])


@pytest.mark.parametrize("role", READERS)
def test_a_webhook_signing_secret_is_shown_only_when_made(srv, role):
    """Only admins read webhook subscriptions, and nobody reads their signing secret again."""
    made = srv.admin.post("/api/v1/webhook-subscriptions", {"url": "http://127.0.0.1:9/hook", "topics": ["deals.*"]})
    assert made.status == 201 and made.body["secret"].startswith("whsec_"), made
    try:
        client = srv.as_(role)
        for path in ("/api/v1/webhook-subscriptions", f"/api/v1/webhook-subscriptions/{made.body['id']}",
                     f"/api/v1/webhook-subscriptions/{made.body['id']}/deliveries"):
            r = client.get(path)
            if role != "admin":
                assert_problem(r, 403)
                continue
            assert r.status == 200 and made.body["secret"] not in r.raw.decode(), path
            assert "secret" not in r.raw.decode(), path
    finally:
        assert srv.admin.delete(f"/api/v1/webhook-subscriptions/{made.body['id']}").status == 204
