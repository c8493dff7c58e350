"""The permission matrix: every route x every role, from the roles table of docs/api.md, and
every route the OpenAPI document lists is in it. No credentials -> 401 (public routes excepted);
a role too weak -> 403; an allowed role -> the route's success status.

Each cell makes (1) the request as a client would, on a real resource with a valid body
(destructive cases work on fresh resources so that every cell is independent of the others;
refused writes are checked to have changed nothing), and (2) a probe with an id that names
nothing or a body that is invalid: the role is checked first, so a refused role gets its
401/403 whatever the id or the body, and an allowed one gets past the check (a 404 or a 422,
never 401/403). Routes without a real-resource case yet (the workflows) have the probe only.
"""
import secrets

import pytest

from support.helpers import UNHANDLED, assert_problem, assert_unauthorized

ROLES = ["none", "admin", "manager", "operator", "viewer", "agent"]
PUBLIC = "public"
ALL = {"admin", "manager", "operator", "viewer", "agent"}
READ = {"admin", "manager", "operator", "viewer"}
MANAGE = {"admin", "manager"}
CONTROL = {"admin", "manager", "operator"}
ADMIN = {"admin"}


def _user_body():
    name = "m" + secrets.token_hex(5)
    return {"email": f"{name}@example.com", "username": name, "password": "pw-" + secrets.token_hex(8),
            "roles": ["viewer"]}


def _key(srv):
    r = srv.admin.post("/api/v1/api-keys", {"name": "matrix-" + secrets.token_hex(4), "roles": ["viewer"]})
    assert r.status == 201, r
    return r.body


def _agent_exists(srv, agent_id):
    return srv.admin.get(f"/api/v1/agents/{agent_id}").status == 200


# --- setups: (srv, role) -> dict(path=..., body=..., client=..., ctx=...) ------------------------
def s_login(srv, role):
    user = srv.new_user("viewer")
    return dict(body={"email": user["email"], "password": user["password"]})


def s_refresh(srv, role):
    user = srv.new_user("viewer")
    return dict(body={"refresh_token": srv.login(user["email"], user["password"])["refresh_token"]})


def s_own_password(srv, role):
    if role == "none":
        user = srv.new_user("viewer")
        return dict(path=f"/api/v1/users/{user['id']}",
                    body={"current_password": user["password"], "password": "pw-" + secrets.token_hex(8)})
    user = srv.new_user(role)
    return dict(path=f"/api/v1/users/{user['id']}", client=srv.client_for(user),
                body={"current_password": user["password"], "password": "pw-" + secrets.token_hex(8)})


def s_new_user(srv, role):
    body = _user_body()
    return dict(body=body, ctx=body["email"])


def u_no_user(srv, email):
    assert email not in [u["email"] for u in srv.admin.list_all("/api/v1/users")]


def s_other_user(srv, role):
    user = srv.new_user("viewer")
    return dict(path=f"/api/v1/users/{user['id']}", ctx=user)


def s_patch_other_user(srv, role):
    user = srv.new_user("viewer")
    return dict(path=f"/api/v1/users/{user['id']}", body={"roles": ["manager"]}, ctx=user)


def u_user_roles(srv, user):
    assert srv.admin.get(f"/api/v1/users/{user['id']}").body["roles"] == ["viewer"]


def u_user_exists(srv, user):
    assert srv.admin.get(f"/api/v1/users/{user['id']}").status == 200


def s_new_key(srv, role):
    name = "matrix-" + secrets.token_hex(4)
    return dict(body={"name": name, "roles": ["viewer"]}, ctx=name)


def u_no_key(srv, name):
    assert name not in [k["name"] for k in srv.admin.list_all("/api/v1/api-keys")]


def s_delete_key(srv, role):
    key = _key(srv)
    return dict(path=f"/api/v1/api-keys/{key['id']}", ctx=key)


def s_patch_key(srv, role):
    key = _key(srv)
    return dict(path=f"/api/v1/api-keys/{key['id']}", body={"name": "renamed", "rate_limit_per_minute": 1}, ctx=key)


def u_key_unchanged(srv, key):
    shown = [k for k in srv.admin.list_all("/api/v1/api-keys") if k["id"] == key["id"]]
    assert shown[0]["name"] == key["name"] and shown[0]["rate_limit_per_minute"] is None, shown


def u_key_works(srv, key):
    assert srv.anonymous().with_api_key(key["key"]).get("/api/v1/agents").status == 200


def s_new_agent(srv, role):
    name = "matrix-" + secrets.token_hex(4)
    return dict(body={"name": name, "type": "sales"}, ctx=name)


def u_no_agent(srv, name):
    assert name not in [a["name"] for a in srv.admin.list_all("/api/v1/agents")]


def s_echo_agent(srv, role):
    return dict(path=f"/api/v1/agents/{srv.echo_agent['id']}")


def s_fresh_agent(srv, role):
    agent = srv.new_agent("remote")
    return dict(path=f"/api/v1/agents/{agent['id']}", ctx=agent)


def s_patch_agent(srv, role):
    agent = srv.new_agent("remote", config={"v": 1})
    return dict(path=f"/api/v1/agents/{agent['id']}", body={"config": {"v": 2}}, ctx=agent)


def u_agent_config(srv, agent):
    assert srv.admin.get(f"/api/v1/agents/{agent['id']}").body["config"] == {"v": 1}


def u_agent_exists(srv, agent):
    assert _agent_exists(srv, agent["id"])


def s_control(action):
    def setup(srv, role):
        agent = srv.new_agent("remote")
        if action == "start":
            assert srv.admin.post(f"/api/v1/agents/{agent['id']}/pause").status == 200
            agent["status"] = "paused"
        return dict(path=f"/api/v1/agents/{agent['id']}/{action}", ctx=agent)
    return setup


def u_agent_status(srv, agent):
    assert srv.admin.get(f"/api/v1/agents/{agent['id']}").body["status"] == agent["status"]


def s_execute(srv, role):
    return dict(path=f"/api/v1/agents/{srv.echo_agent['id']}/execute?timeout_ms=10000",
                body={"type": "echo", "input_data": {"role": role}})


def s_new_task(srv, role):
    type_ = "matrix." + secrets.token_hex(4)
    return dict(body={"type": type_}, ctx=type_)


def s_batch(srv, role):
    type_ = "matrix." + secrets.token_hex(4)
    return dict(body={"tasks": [{"type": type_}, {"type": type_}]}, ctx=type_)


def u_no_task(srv, type_):
    assert srv.admin.get(f"/api/v1/tasks?type={type_}").body["items"] == []


def s_task(srv, role):
    return dict(path=f"/api/v1/tasks/{srv.new_task(UNHANDLED)['id']}")


def s_cancel(srv, role):
    task = srv.new_task()
    return dict(path=f"/api/v1/tasks/{task['id']}/cancel", ctx=task)


def u_task_waiting(srv, task):
    assert srv.admin.get(f"/api/v1/tasks/{task['id']}").body["status"] in ("pending", "queued")


def s_retry(srv, role):
    task = srv.new_cancelled_task()
    return dict(path=f"/api/v1/tasks/{task['id']}/retry", ctx=task)


def u_task_cancelled(srv, task):
    assert srv.admin.get(f"/api/v1/tasks/{task['id']}").body["status"] == "cancelled"


def s_metric(srv, role):
    name = "matrix." + secrets.token_hex(4)
    return dict(body={"name": name, "value": 1}, ctx=name)


def u_no_metric(srv, name):
    assert srv.admin.get(f"/api/v1/analytics/metrics?name={name}&agg=count").body["series"] == []


def s_message(srv, role):
    return dict(body={"to_agent": srv.echo_agent["id"], "message_type": "matrix.note", "payload": {"role": role}})


def s_new_deal(srv, role):
    owner = "matrix-" + secrets.token_hex(4)
    return dict(body={"name": "matrix deal", "amount": "10.00", "owner": owner}, ctx=owner)


def u_no_deal(srv, owner):
    assert srv.admin.get(f"/api/v1/deals?owner={owner}").body["items"] == []


def _made(srv, path, body):
    """A record made by the admin through `path` (a fixture for the role under test)."""
    r = srv.admin.post(path, body)
    assert r.status == 201, r
    return r.body


def _deal(srv):
    return _made(srv, "/api/v1/deals", {"name": "matrix deal", "amount": "10.00"})


def _lead(srv, **fields):
    return _made(srv, "/api/v1/leads", {"name": "matrix-" + secrets.token_hex(4), **fields})


def s_deal(srv, role):
    deal = _deal(srv)
    return dict(path=f"/api/v1/deals/{deal['id']}", ctx=deal)


def s_patch_deal(srv, role):
    deal = _deal(srv)
    return dict(path=f"/api/v1/deals/{deal['id']}", body={"stage": "won"}, ctx=deal)


def u_deal_unchanged(srv, deal):
    got = srv.admin.get(f"/api/v1/deals/{deal['id']}")
    assert got.status == 200 and got.body["stage"] == deal["stage"] and len(got.body["stage_history"]) == 1


def s_new_company(srv, role):
    name = "matrix-" + secrets.token_hex(4)
    return dict(body={"name": name, "domain": "matrix.example"}, ctx=name)


def u_no_company(srv, name):
    assert srv.admin.get(f"/api/v1/companies?name={name}").body["items"] == []


def _company(srv):
    return _made(srv, "/api/v1/companies", {"name": "matrix-" + secrets.token_hex(4)})


def s_company(srv, role):
    company = _company(srv)
    return dict(path=f"/api/v1/companies/{company['id']}", ctx=company)


def s_patch_company(srv, role):
    company = _company(srv)
    return dict(path=f"/api/v1/companies/{company['id']}", body={"industry": "changed"}, ctx=company)


def u_company_unchanged(srv, company):
    got = srv.admin.get(f"/api/v1/companies/{company['id']}")
    assert got.status == 200 and got.body == company


def s_requirements(srv, role):
    return dict(body={"requirements": [{"id": "R1", "text": f"The system shall greet the {role}."}]})


def s_new_lead(srv, role):
    name = "matrix-" + secrets.token_hex(4)
    return dict(body={"name": name, "attributes": {"visits": 3}}, ctx=name)


def u_no_lead(srv, name):
    assert name not in [lead["name"] for lead in srv.admin.list_all("/api/v1/leads")]


def s_lead(srv, role):
    lead = _lead(srv)
    return dict(path=f"/api/v1/leads/{lead['id']}", ctx=lead)


def s_patch_lead(srv, role):
    lead = _lead(srv)
    return dict(path=f"/api/v1/leads/{lead['id']}", body={"name": "changed"}, ctx=lead)


def u_lead_unchanged(srv, lead):
    assert srv.admin.get(f"/api/v1/leads/{lead['id']}").body["name"] == lead["name"]


def s_score_leads(srv, role):
    return dict(body={"leads": [{"attributes": {"email": "a@example.com"}}]})


def s_score_lead(srv, role):
    return dict(path=f"/api/v1/leads/{_lead(srv)['id']}/score")


BRIEF = {"product": "Ledgerly", "audience": "finance teams", "goal": "close the books faster",
         "call_to_action": "Book a demo", "facts": ["Bank feeds reconcile themselves every night"]}


def s_new_content(srv, role):
    return dict(body={"kind": "ad_copy", "brief": BRIEF, "seed": 1})


def _content(srv):
    r = srv.admin.post("/api/v1/content", {"kind": "ad_copy", "brief": BRIEF, "variants": 2, "seed": 1})
    assert r.status == 201, r
    return r.body


def _campaign(srv):
    r = srv.admin.post("/api/v1/campaigns", {"name": "matrix-" + secrets.token_hex(4), "channel": "email", "budget": "10.00"})
    assert r.status == 201, r
    return r.body


def _analysis(srv):
    r = srv.admin.post("/api/v1/requirements", {"title": "matrix " + secrets.token_hex(4),
                                                "text": "1. The system shall export reports as PDF."})
    assert r.status == 201, r
    return r.body


def s_content(srv, role):
    content = _content(srv)
    return dict(path=f"/api/v1/content/{content['id']}", ctx=content)


def s_content_results(srv, role):
    content = _content(srv)
    return dict(path=f"/api/v1/content/{content['id']}/results", body={"results": [{"variant": 0, "sends": 10}]},
                ctx=content)


def u_content_results_unchanged(srv, content):
    variants = srv.admin.get(f"/api/v1/content/{content['id']}").body["variants"]
    assert all(v["results"]["sends"] == 0 for v in variants), variants


def s_content_analysis(srv, role):
    return dict(path=f"/api/v1/content/{_content(srv)['id']}/analysis")


def s_brand_voice(srv, role):
    return dict(body=srv.admin.get("/api/v1/brand-voice").body)  # the same settings: nothing changes


def s_new_campaign(srv, role):
    name = "matrix-" + secrets.token_hex(4)
    return dict(body={"name": name, "channel": "email", "budget": "10.00"}, ctx=name)


def u_no_campaign(srv, name):
    assert name not in [c["name"] for c in srv.admin.list_all("/api/v1/campaigns")]


def s_campaign(srv, role):
    campaign = _campaign(srv)
    return dict(path=f"/api/v1/campaigns/{campaign['id']}", ctx=campaign)


def s_patch_campaign(srv, role):
    campaign = _campaign(srv)
    return dict(path=f"/api/v1/campaigns/{campaign['id']}", body={"budget": "99.00"}, ctx=campaign)


def s_set_budgets(srv, role):
    campaign = _campaign(srv)
    return dict(path="/api/v1/campaigns/budgets", body={"budgets": [{"id": campaign["id"], "budget": "99.00"}]},
                ctx=campaign)


def u_campaign_unchanged(srv, campaign):
    got = srv.admin.get(f"/api/v1/campaigns/{campaign['id']}")
    assert got.status == 200 and got.body["budget"] == campaign["budget"] and got.body["totals"]["days"] == 0


def s_campaign_results(srv, role):
    campaign = _campaign(srv)
    return dict(path=f"/api/v1/campaigns/{campaign['id']}/results", body={"date": "2026-01-01", "spend": "5.00"},
                ctx=campaign)


def s_results_of(srv, role):
    return dict(path=f"/api/v1/campaigns/{_campaign(srv)['id']}/results")


def s_optimize(srv, role):
    campaign = _campaign(srv)
    r = srv.admin.post(f"/api/v1/campaigns/{campaign['id']}/results", {"date": "2026-01-01", "spend": "5.00", "conversions": 1})
    assert r.status == 200, r
    return dict(body={"budget": "10.00", "items": [campaign["id"]]})


def s_new_analysis(srv, role):
    title = "matrix " + secrets.token_hex(4)
    return dict(body={"title": title, "text": "1. The system shall export reports as PDF."}, ctx=title)


def u_no_analysis(srv, title):
    assert title not in [a["title"] for a in srv.admin.list_all("/api/v1/requirements")]


def s_analysis(srv, role):
    analysis = _analysis(srv)
    return dict(path=f"/api/v1/requirements/{analysis['id']}", ctx=analysis)


def s_new_version(srv, role):
    analysis = _analysis(srv)
    return dict(path=f"/api/v1/requirements/{analysis['id']}/versions",
                body={"text": "1. The system shall export reports as CSV."}, ctx=analysis)


def s_patch_item(srv, role):
    analysis = _analysis(srv)
    return dict(path=f"/api/v1/requirements/{analysis['id']}/items/R1", body={"priority": {"effort": 3}}, ctx=analysis)


def u_analysis_unchanged(srv, analysis):
    got = srv.admin.get(f"/api/v1/requirements/{analysis['id']}")
    assert got.status == 200 and got.body["version"] == 1 and got.body["items"] == analysis["items"], got


def _stakeholder(srv, **fields):
    r = srv.admin.post("/api/v1/stakeholders", {"name": "matrix-" + secrets.token_hex(4), "influence": 4, "interest": 2,
                                                **fields})
    assert r.status == 201, r
    return r.body


def s_new_stakeholder(srv, role):
    name = "matrix-" + secrets.token_hex(4)
    return dict(body={"name": name, "influence": 2, "interest": 5}, ctx=name)


def u_no_stakeholder(srv, name):
    assert name not in [s["name"] for s in srv.admin.list_all("/api/v1/stakeholders")]


def s_stakeholder(srv, role):
    stakeholder = _stakeholder(srv)
    return dict(path=f"/api/v1/stakeholders/{stakeholder['id']}", ctx=stakeholder)


def s_patch_stakeholder(srv, role):
    stakeholder = _stakeholder(srv)
    return dict(path=f"/api/v1/stakeholders/{stakeholder['id']}", body={"interest": 5}, ctx=stakeholder)


def u_stakeholder_unchanged(srv, stakeholder):
    got = srv.admin.get(f"/api/v1/stakeholders/{stakeholder['id']}")
    assert got.status == 200 and got.body == stakeholder, got


def s_draft(srv, role):
    _analysis(srv)  # an event to report
    stakeholder = _stakeholder(srv)
    return dict(body={"stakeholder_ids": [stakeholder["id"]]}, ctx=stakeholder)


def u_no_draft(srv, stakeholder):
    assert srv.admin.get(f"/api/v1/stakeholders/updates?stakeholder_id={stakeholder['id']}").body["items"] == []


def s_update(srv, role):
    _analysis(srv)
    stakeholder = _stakeholder(srv)
    r = srv.admin.post("/api/v1/stakeholders/updates", {"stakeholder_ids": [stakeholder["id"]]})
    assert r.status == 200 and r.body["drafts"], r
    return dict(path=f"/api/v1/stakeholders/updates/{r.body['drafts'][0]['id']}")


SOME_ID = "01a20ce4-61b4-7003-b6ba-9486d2112aa4"  # a UUID that names nothing

# method, path (the template when the setup gives it), allowed roles, success status (None: only
# "neither 401 nor 403", for the routes that have the probe only), setup, check-unchanged
ROUTES = [
    ("GET", "/healthz", PUBLIC, 200, None, None),
    ("GET", "/readyz", PUBLIC, 200, None, None),
    ("GET", "/metrics", PUBLIC, 200, None, None),
    ("GET", "/api/v1/openapi.json", PUBLIC, 200, None, None),
    ("GET", "/api/docs", PUBLIC, 200, None, None),
    ("POST", "/api/v1/auth/login", PUBLIC, 200, s_login, None),
    ("POST", "/api/v1/auth/refresh", PUBLIC, 200, s_refresh, None),
    ("POST", "/api/v1/auth/logout", PUBLIC, 204, s_refresh, None),
    ("GET", "/api/v1/auth/providers", PUBLIC, 200, None, None),
    ("GET", "/api/v1/auth/oidc/login", PUBLIC, None, None, None),
    ("GET", "/api/v1/auth/oidc/callback", PUBLIC, None, None, None),
    ("GET", "/api/v1/users/me", ALL, 200, None, None),
    ("PATCH", "/api/v1/users/{own id}", ALL, 200, s_own_password, None),
    ("GET", "/api/v1/users", ADMIN, 200, None, None),
    ("POST", "/api/v1/users", ADMIN, 201, s_new_user, u_no_user),
    ("GET", "/api/v1/users/{id}", ADMIN, 200, s_other_user, None),
    ("PATCH", "/api/v1/users/{id}", ADMIN, 200, s_patch_other_user, u_user_roles),
    ("DELETE", "/api/v1/users/{id}", ADMIN, 204, s_other_user, u_user_exists),
    ("GET", "/api/v1/api-keys", ADMIN, 200, None, None),
    ("POST", "/api/v1/api-keys", ADMIN, 201, s_new_key, u_no_key),
    ("PATCH", "/api/v1/api-keys/{id}", ADMIN, 200, s_patch_key, u_key_unchanged),
    ("DELETE", "/api/v1/api-keys/{id}", ADMIN, 204, s_delete_key, u_key_works),
    ("GET", "/api/v1/audit", ADMIN, 200, None, None),
    ("GET", "/api/v1/audit/export?limit=10", ADMIN, 200, None, None),
    ("GET", "/api/v1/agents", READ, 200, None, None),
    ("POST", "/api/v1/agents", MANAGE, 201, s_new_agent, u_no_agent),
    ("GET", "/api/v1/agents/{id}", READ, 200, s_echo_agent, None),
    ("PATCH", "/api/v1/agents/{id}", MANAGE, 200, s_patch_agent, u_agent_config),
    ("DELETE", "/api/v1/agents/{id}", MANAGE, 204, s_fresh_agent, u_agent_exists),
    ("POST", "/api/v1/agents/{id}/start", CONTROL, 200, s_control("start"), u_agent_status),
    ("POST", "/api/v1/agents/{id}/pause", CONTROL, 200, s_control("pause"), u_agent_status),
    ("POST", "/api/v1/agents/{id}/stop", CONTROL, 200, s_control("stop"), u_agent_status),
    ("POST", "/api/v1/agents/{id}/execute", CONTROL, 200, s_execute, None),
    ("GET", "/api/v1/tasks", READ, 200, None, None),
    ("POST", "/api/v1/tasks", CONTROL, 201, s_new_task, u_no_task),
    ("POST", "/api/v1/tasks/batch", CONTROL, 201, s_batch, u_no_task),
    ("GET", "/api/v1/tasks/{id}", READ, 200, s_task, None),
    ("POST", "/api/v1/tasks/{id}/cancel", CONTROL, 200, s_cancel, u_task_waiting),
    ("POST", "/api/v1/tasks/{id}/retry", CONTROL, 200, s_retry, u_task_cancelled),
    ("GET", "/api/v1/analytics/metrics?name=matrix.read", READ, 200, None, None),
    ("POST", "/api/v1/analytics/metrics", MANAGE, 201, s_metric, u_no_metric),
    ("GET", "/api/v1/analytics/summary", READ, 200, None, None),
    ("GET", "/api/v1/messages", READ, 200, None, None),
    ("POST", "/api/v1/messages", CONTROL, 201, s_message, None),
    ("GET", "/api/v1/workflows", READ, 200, None, None),
    ("POST", "/api/v1/workflows", MANAGE, None, None, None),
    ("GET", "/api/v1/workflows/{id}", READ, None, None, None),
    ("PATCH", "/api/v1/workflows/{id}", MANAGE, None, None, None),
    ("DELETE", "/api/v1/workflows/{id}", MANAGE, None, None, None),
    ("POST", "/api/v1/workflows/{id}/execute", CONTROL, None, None, None),
    ("GET", "/api/v1/workflow-executions", READ, 200, None, None),
    ("GET", "/api/v1/workflow-executions/{id}", READ, None, None, None),
    ("POST", "/api/v1/workflow-executions/{id}/cancel", CONTROL, None, None, None),
    ("POST", "/api/v1/workflow-executions/{id}/steps/{step_id}/approve", CONTROL, None, None, None),
    ("POST", "/api/v1/workflows/{id}/rotate-webhook", MANAGE, None, None, None),
    ("POST", "/api/v1/hooks/{token}", PUBLIC, None, None, None),
    ("GET", "/api/v1/prompts", READ, 200, None, None),
    ("POST", "/api/v1/prompts", MANAGE, None, None, None),
    ("GET", "/api/v1/prompts/{id}", READ, None, None, None),
    ("DELETE", "/api/v1/prompts/{id}", MANAGE, None, None, None),
    ("POST", "/api/v1/prompts/{id}/versions", MANAGE, None, None, None),
    ("POST", "/api/v1/prompts/{id}/activate", MANAGE, None, None, None),
    ("POST", "/api/v1/prompts/{id}/render", READ, None, None, None),
    ("GET", "/api/v1/ai/usage", READ, 200, None, None),
    ("GET", "/api/v1/ai/providers", READ, 200, None, None),
    ("PUT", "/api/v1/ai/providers/{name}/key", ADMIN, None, None, None),
    ("DELETE", "/api/v1/ai/providers/{name}/key", ADMIN, None, None, None),
    ("POST", "/api/v1/ai/chat", CONTROL, None, None, None),
    ("GET", "/api/v1/tool-approvals", READ, 200, None, None),
    ("GET", "/api/v1/tool-approvals/{id}", READ, None, None, None),
    ("POST", "/api/v1/tool-approvals/{id}/approve", CONTROL, None, None, None),
    ("GET", "/api/v1/deals", READ, 200, None, None),
    ("POST", "/api/v1/deals", CONTROL, 201, s_new_deal, u_no_deal),
    ("GET", "/api/v1/deals/{id}", READ, 200, s_deal, None),
    ("PATCH", "/api/v1/deals/{id}", CONTROL, 200, s_patch_deal, u_deal_unchanged),
    ("DELETE", "/api/v1/deals/{id}", CONTROL, 204, s_deal, u_deal_unchanged),
    ("GET", "/api/v1/pipeline/forecast", READ, 200, None, None),
    ("POST", "/api/v1/requirements/analyze", READ, 200, s_requirements, None),
    ("POST", "/api/v1/requirements/prioritize", CONTROL, 200, s_requirements, None),
    ("GET", "/api/v1/requirements", READ, 200, None, None),
    ("POST", "/api/v1/requirements", CONTROL, 201, s_new_analysis, u_no_analysis),
    ("GET", "/api/v1/requirements/{id}", READ, 200, s_analysis, None),
    ("DELETE", "/api/v1/requirements/{id}", CONTROL, 204, s_analysis, u_analysis_unchanged),
    ("POST", "/api/v1/requirements/{id}/versions", CONTROL, 201, s_new_version, u_analysis_unchanged),
    ("PATCH", "/api/v1/requirements/{id}/items/{item_id}", CONTROL, 200, s_patch_item, u_analysis_unchanged),
    ("GET", "/api/v1/stakeholders", READ, 200, None, None),
    ("POST", "/api/v1/stakeholders", MANAGE, 201, s_new_stakeholder, u_no_stakeholder),
    ("GET", "/api/v1/stakeholders/{id}", READ, 200, s_stakeholder, None),
    ("PATCH", "/api/v1/stakeholders/{id}", MANAGE, 200, s_patch_stakeholder, u_stakeholder_unchanged),
    ("DELETE", "/api/v1/stakeholders/{id}", MANAGE, 204, s_stakeholder, u_stakeholder_unchanged),
    ("POST", "/api/v1/stakeholders/updates", MANAGE, 200, s_draft, u_no_draft),
    ("GET", "/api/v1/stakeholders/updates", READ, 200, None, None),
    ("GET", "/api/v1/stakeholders/updates/{id}", READ, 200, s_update, None),
    ("POST", "/api/v1/stakeholders/updates/{id}/send", MANAGE, None, None, None),
    ("GET", "/api/v1/companies", READ, 200, None, None),
    ("POST", "/api/v1/companies", MANAGE, 201, s_new_company, u_no_company),
    ("GET", "/api/v1/companies/{id}", READ, 200, s_company, None),
    ("PATCH", "/api/v1/companies/{id}", MANAGE, 200, s_patch_company, u_company_unchanged),
    ("DELETE", "/api/v1/companies/{id}", MANAGE, 204, s_company, u_company_unchanged),
    ("GET", "/api/v1/leads", READ, 200, None, None),
    ("POST", "/api/v1/leads", MANAGE, 201, s_new_lead, u_no_lead),
    ("GET", "/api/v1/leads/{id}", READ, 200, s_lead, None),
    ("PATCH", "/api/v1/leads/{id}", MANAGE, 200, s_patch_lead, u_lead_unchanged),
    ("DELETE", "/api/v1/leads/{id}", MANAGE, 204, s_lead, u_lead_unchanged),
    ("POST", "/api/v1/leads/import", MANAGE, None, None, None),
    ("POST", "/api/v1/leads/score", CONTROL, 200, s_score_leads, None),
    ("POST", "/api/v1/leads/{id}/score", CONTROL, 200, s_score_lead, None),
    ("GET", "/api/v1/campaigns", READ, 200, None, None),
    ("POST", "/api/v1/campaigns", CONTROL, 201, s_new_campaign, u_no_campaign),
    ("GET", "/api/v1/campaigns/{id}", READ, 200, s_campaign, None),
    ("PATCH", "/api/v1/campaigns/{id}", CONTROL, 200, s_patch_campaign, u_campaign_unchanged),
    ("DELETE", "/api/v1/campaigns/{id}", CONTROL, 204, s_campaign, u_campaign_unchanged),
    ("GET", "/api/v1/campaigns/{id}/results", READ, 200, s_results_of, None),
    ("POST", "/api/v1/campaigns/{id}/results", CONTROL, 200, s_campaign_results, u_campaign_unchanged),
    ("POST", "/api/v1/campaigns/{id}/results/import", CONTROL, None, None, None),
    ("POST", "/api/v1/campaigns/optimize", READ, 200, s_optimize, None),
    ("POST", "/api/v1/campaigns/budgets", CONTROL, 200, s_set_budgets, u_campaign_unchanged),
    ("GET", "/api/v1/lead-models", READ, 200, None, None),
    ("POST", "/api/v1/lead-models", MANAGE, None, None, None),
    ("GET", "/api/v1/lead-models/{id}", READ, None, None, None),
    ("POST", "/api/v1/lead-models/{id}/activate", MANAGE, None, None, None),
    ("GET", "/api/v1/content", READ, 200, None, None),
    ("POST", "/api/v1/content", CONTROL, 201, s_new_content, None),
    ("GET", "/api/v1/content/{id}", READ, 200, s_content, None),
    ("POST", "/api/v1/content/{id}/results", CONTROL, 200, s_content_results, u_content_results_unchanged),
    ("GET", "/api/v1/content/{id}/analysis", READ, 200, s_content_analysis, None),
    ("GET", "/api/v1/brand-voice", READ, 200, None, None),
    ("PUT", "/api/v1/brand-voice", MANAGE, 200, s_brand_voice, None),
    ("GET", "/api/v1/webhook-subscriptions", ADMIN, 200, None, None),
    ("POST", "/api/v1/webhook-subscriptions", ADMIN, None, None, None),
    ("GET", "/api/v1/webhook-subscriptions/{id}", ADMIN, None, None, None),
    ("PATCH", "/api/v1/webhook-subscriptions/{id}", ADMIN, None, None, None),
    ("DELETE", "/api/v1/webhook-subscriptions/{id}", ADMIN, None, None, None),
    ("POST", "/api/v1/webhook-subscriptions/{id}/rotate-secret", ADMIN, None, None, None),
    ("GET", "/api/v1/webhook-subscriptions/{id}/deliveries", ADMIN, None, None, None),
    ("POST", "/api/v1/webhook-subscriptions/{id}/deliveries/{delivery_id}/redeliver", ADMIN, None, None, None),
    ("GET", "/api/v1/integrations", READ, 200, None, None),
    ("POST", "/api/v1/integrations", MANAGE, None, None, None),
    ("GET", "/api/v1/integrations/{id}", READ, None, None, None),
    ("PATCH", "/api/v1/integrations/{id}", MANAGE, None, None, None),
    ("DELETE", "/api/v1/integrations/{id}", MANAGE, None, None, None),
    ("POST", "/api/v1/integrations/{id}/test", MANAGE, None, None, None),
    ("POST", "/api/v1/integrations/{id}/actions/{action}", MANAGE, None, None, None),
    ("POST", "/api/v1/integrations/{id}/consent", MANAGE, None, None, None),
    ("GET", "/api/v1/integrations/oauth/callback", PUBLIC, None, None, None),
    ("POST", "/api/v1/webhooks/{integration_id}", PUBLIC, None, None, None),
    ("POST", "/api/v1/integrations/{id}/sync", MANAGE, None, None, None),
    ("GET", "/api/v1/integrations/{id}/sync-runs", READ, None, None, None),
    ("GET", "/api/v1/sync-conflicts", READ, 200, None, None),
    ("POST", "/api/v1/sync-conflicts/{id}/resolve", MANAGE, None, None, None),
]

# The probes, (method, path) -> (the request's path, its body): an id that names nothing, a body
# that is invalid (so that an allowed caller gets a 4xx and the matrix changes no data).
PROBES = {
    ("POST", "/api/v1/auth/login"): ("/api/v1/auth/login", {"email": "nobody@example.com", "password": "whatever1"}),
    ("POST", "/api/v1/auth/refresh"): ("/api/v1/auth/refresh", {"refresh_token": "rt_nothing"}),
    # Single sign-on is not configured on the session servers: 404 (test_oidc.py has the flow).
    ("GET", "/api/v1/auth/oidc/login"): ("/api/v1/auth/oidc/login", None),
    ("GET", "/api/v1/auth/oidc/callback"): ("/api/v1/auth/oidc/callback?state=x&code=y", None),
    ("POST", "/api/v1/auth/logout"): ("/api/v1/auth/logout", {"refresh_token": "rt_nothing"}),
    ("POST", "/api/v1/users"): ("/api/v1/users", {"email": "@", "password": "x"}),
    ("GET", "/api/v1/users/{id}"): (f"/api/v1/users/{SOME_ID}", None),
    ("PATCH", "/api/v1/users/{id}"): (f"/api/v1/users/{SOME_ID}", {}),
    ("DELETE", "/api/v1/users/{id}"): (f"/api/v1/users/{SOME_ID}", None),
    ("POST", "/api/v1/api-keys"): ("/api/v1/api-keys", {"name": "", "roles": []}),
    ("PATCH", "/api/v1/api-keys/{id}"): (f"/api/v1/api-keys/{SOME_ID}", {}),
    ("DELETE", "/api/v1/api-keys/{id}"): (f"/api/v1/api-keys/{SOME_ID}", None),
    ("POST", "/api/v1/agents"): ("/api/v1/agents", {"name": "", "type": "robot"}),
    ("GET", "/api/v1/agents/{id}"): (f"/api/v1/agents/{SOME_ID}", None),
    ("PATCH", "/api/v1/agents/{id}"): (f"/api/v1/agents/{SOME_ID}", {}),
    ("DELETE", "/api/v1/agents/{id}"): (f"/api/v1/agents/{SOME_ID}", None),
    ("POST", "/api/v1/agents/{id}/start"): (f"/api/v1/agents/{SOME_ID}/start", None),
    ("POST", "/api/v1/agents/{id}/pause"): (f"/api/v1/agents/{SOME_ID}/pause", None),
    ("POST", "/api/v1/agents/{id}/stop"): (f"/api/v1/agents/{SOME_ID}/stop", None),
    ("POST", "/api/v1/agents/{id}/execute"): (f"/api/v1/agents/{SOME_ID}/execute", {"type": "Bad Type"}),
    ("POST", "/api/v1/tasks"): ("/api/v1/tasks", {"type": "Bad Type"}),
    ("POST", "/api/v1/tasks/batch"): ("/api/v1/tasks/batch", {"tasks": []}),
    ("GET", "/api/v1/tasks/{id}"): (f"/api/v1/tasks/{SOME_ID}", None),
    ("POST", "/api/v1/tasks/{id}/cancel"): (f"/api/v1/tasks/{SOME_ID}/cancel", None),
    ("POST", "/api/v1/tasks/{id}/retry"): (f"/api/v1/tasks/{SOME_ID}/retry", None),
    ("POST", "/api/v1/analytics/metrics"): ("/api/v1/analytics/metrics", {"name": ""}),
    ("POST", "/api/v1/messages"): ("/api/v1/messages", {"to_agent": "x"}),
    ("POST", "/api/v1/workflows"): ("/api/v1/workflows", {"name": ""}),
    ("GET", "/api/v1/workflows/{id}"): (f"/api/v1/workflows/{SOME_ID}", None),
    ("PATCH", "/api/v1/workflows/{id}"): (f"/api/v1/workflows/{SOME_ID}", {}),
    ("DELETE", "/api/v1/workflows/{id}"): (f"/api/v1/workflows/{SOME_ID}", None),
    ("POST", "/api/v1/workflows/{id}/execute"): (f"/api/v1/workflows/{SOME_ID}/execute", {}),
    ("GET", "/api/v1/workflow-executions/{id}"): (f"/api/v1/workflow-executions/{SOME_ID}", None),
    ("POST", "/api/v1/workflow-executions/{id}/cancel"): (f"/api/v1/workflow-executions/{SOME_ID}/cancel", None),
    ("POST", "/api/v1/workflow-executions/{id}/steps/{step_id}/approve"):
        (f"/api/v1/workflow-executions/{SOME_ID}/steps/a/approve", {}),
    ("POST", "/api/v1/workflows/{id}/rotate-webhook"): (f"/api/v1/workflows/{SOME_ID}/rotate-webhook", None),
    ("POST", "/api/v1/hooks/{token}"): ("/api/v1/hooks/no-such-token", {}),
    ("POST", "/api/v1/prompts"): ("/api/v1/prompts", {"name": ""}),
    ("GET", "/api/v1/prompts/{id}"): (f"/api/v1/prompts/{SOME_ID}", None),
    ("DELETE", "/api/v1/prompts/{id}"): (f"/api/v1/prompts/{SOME_ID}", None),
    ("POST", "/api/v1/prompts/{id}/versions"): (f"/api/v1/prompts/{SOME_ID}/versions", {}),
    ("POST", "/api/v1/prompts/{id}/activate"): (f"/api/v1/prompts/{SOME_ID}/activate", {}),
    ("POST", "/api/v1/prompts/{id}/render"): (f"/api/v1/prompts/{SOME_ID}/render", {}),
    ("PUT", "/api/v1/ai/providers/{name}/key"): ("/api/v1/ai/providers/no-such-provider/key", {"api_key": "x"}),
    ("DELETE", "/api/v1/ai/providers/{name}/key"): ("/api/v1/ai/providers/no-such-provider/key", None),
    ("POST", "/api/v1/ai/chat"): ("/api/v1/ai/chat", {"messages": []}),
    ("GET", "/api/v1/tool-approvals/{id}"): (f"/api/v1/tool-approvals/{SOME_ID}", None),
    ("POST", "/api/v1/tool-approvals/{id}/approve"): (f"/api/v1/tool-approvals/{SOME_ID}/approve", {}),
    ("POST", "/api/v1/deals"): ("/api/v1/deals", {"name": ""}),
    ("GET", "/api/v1/deals/{id}"): (f"/api/v1/deals/{SOME_ID}", None),
    ("PATCH", "/api/v1/deals/{id}"): (f"/api/v1/deals/{SOME_ID}", {}),
    ("DELETE", "/api/v1/deals/{id}"): (f"/api/v1/deals/{SOME_ID}", None),
    ("POST", "/api/v1/requirements/analyze"): ("/api/v1/requirements/analyze", {"text": ""}),
    ("POST", "/api/v1/requirements/prioritize"): ("/api/v1/requirements/prioritize", {"text": ""}),
    ("POST", "/api/v1/requirements"): ("/api/v1/requirements", {"title": ""}),
    ("GET", "/api/v1/requirements/{id}"): (f"/api/v1/requirements/{SOME_ID}", None),
    ("DELETE", "/api/v1/requirements/{id}"): (f"/api/v1/requirements/{SOME_ID}", None),
    ("POST", "/api/v1/requirements/{id}/versions"): (f"/api/v1/requirements/{SOME_ID}/versions", {}),
    ("PATCH", "/api/v1/requirements/{id}/items/{item_id}"): (f"/api/v1/requirements/{SOME_ID}/items/R1", {}),
    ("POST", "/api/v1/stakeholders"): ("/api/v1/stakeholders", {"name": ""}),
    ("GET", "/api/v1/stakeholders/{id}"): (f"/api/v1/stakeholders/{SOME_ID}", None),
    ("PATCH", "/api/v1/stakeholders/{id}"): (f"/api/v1/stakeholders/{SOME_ID}", {}),
    ("DELETE", "/api/v1/stakeholders/{id}"): (f"/api/v1/stakeholders/{SOME_ID}", None),
    ("POST", "/api/v1/stakeholders/updates"): ("/api/v1/stakeholders/updates", {"since": "yesterday"}),
    ("GET", "/api/v1/stakeholders/updates/{id}"): (f"/api/v1/stakeholders/updates/{SOME_ID}", None),
    ("POST", "/api/v1/stakeholders/updates/{id}/send"): (f"/api/v1/stakeholders/updates/{SOME_ID}/send", {}),
    ("POST", "/api/v1/leads"): ("/api/v1/leads", {"outcome": "maybe"}),
    ("GET", "/api/v1/leads/{id}"): (f"/api/v1/leads/{SOME_ID}", None),
    ("PATCH", "/api/v1/leads/{id}"): (f"/api/v1/leads/{SOME_ID}", {}),
    ("DELETE", "/api/v1/leads/{id}"): (f"/api/v1/leads/{SOME_ID}", None),
    ("POST", "/api/v1/leads/import"): ("/api/v1/leads/import", {"not": "csv"}),
    ("POST", "/api/v1/leads/score"): ("/api/v1/leads/score", {"leads": []}),
    ("POST", "/api/v1/leads/{id}/score"): (f"/api/v1/leads/{SOME_ID}/score", None),
    ("POST", "/api/v1/campaigns"): ("/api/v1/campaigns", {"name": ""}),
    ("GET", "/api/v1/campaigns/{id}"): (f"/api/v1/campaigns/{SOME_ID}", None),
    ("PATCH", "/api/v1/campaigns/{id}"): (f"/api/v1/campaigns/{SOME_ID}", {}),
    ("DELETE", "/api/v1/campaigns/{id}"): (f"/api/v1/campaigns/{SOME_ID}", None),
    ("GET", "/api/v1/campaigns/{id}/results"): (f"/api/v1/campaigns/{SOME_ID}/results", None),
    ("POST", "/api/v1/campaigns/{id}/results"): (f"/api/v1/campaigns/{SOME_ID}/results", {}),
    ("POST", "/api/v1/campaigns/{id}/results/import"): (f"/api/v1/campaigns/{SOME_ID}/results/import", {"not": "csv"}),
    ("POST", "/api/v1/campaigns/optimize"): ("/api/v1/campaigns/optimize", {"objective": "likes"}),
    ("POST", "/api/v1/lead-models"): ("/api/v1/lead-models", {"activate": "sometimes"}),
    ("GET", "/api/v1/lead-models/{id}"): (f"/api/v1/lead-models/{SOME_ID}", None),
    ("POST", "/api/v1/lead-models/{id}/activate"): (f"/api/v1/lead-models/{SOME_ID}/activate", None),
    ("POST", "/api/v1/content"): ("/api/v1/content", {"kind": "poem"}),
    ("GET", "/api/v1/content/{id}"): (f"/api/v1/content/{SOME_ID}", None),
    ("POST", "/api/v1/content/{id}/results"): (f"/api/v1/content/{SOME_ID}/results", {"results": []}),
    ("GET", "/api/v1/content/{id}/analysis"): (f"/api/v1/content/{SOME_ID}/analysis", None),
    ("PUT", "/api/v1/brand-voice"): ("/api/v1/brand-voice", {"reading_level": 99}),
    ("POST", "/api/v1/webhook-subscriptions"): ("/api/v1/webhook-subscriptions", {"url": "nowhere", "topics": []}),
    ("POST", "/api/v1/integrations"): ("/api/v1/integrations", {"type": "fax"}),
    ("GET", "/api/v1/integrations/{id}"): (f"/api/v1/integrations/{SOME_ID}", None),
    ("PATCH", "/api/v1/integrations/{id}"): (f"/api/v1/integrations/{SOME_ID}", {}),
    ("DELETE", "/api/v1/integrations/{id}"): (f"/api/v1/integrations/{SOME_ID}", None),
    ("POST", "/api/v1/integrations/{id}/test"): (f"/api/v1/integrations/{SOME_ID}/test", None),
    ("POST", "/api/v1/integrations/{id}/actions/{action}"):
        (f"/api/v1/integrations/{SOME_ID}/actions/post_message", {"input": {}}),
    ("POST", "/api/v1/integrations/{id}/consent"): (f"/api/v1/integrations/{SOME_ID}/consent", None),
    ("GET", "/api/v1/integrations/oauth/callback"): ("/api/v1/integrations/oauth/callback?state=never-begun", None),
    ("POST", "/api/v1/webhooks/{integration_id}"): (f"/api/v1/webhooks/{SOME_ID}", {}),
    ("GET", "/api/v1/webhook-subscriptions/{id}"): (f"/api/v1/webhook-subscriptions/{SOME_ID}", None),
    ("PATCH", "/api/v1/webhook-subscriptions/{id}"): (f"/api/v1/webhook-subscriptions/{SOME_ID}", {}),
    ("DELETE", "/api/v1/webhook-subscriptions/{id}"): (f"/api/v1/webhook-subscriptions/{SOME_ID}", None),
    ("POST", "/api/v1/webhook-subscriptions/{id}/rotate-secret"):
        (f"/api/v1/webhook-subscriptions/{SOME_ID}/rotate-secret", None),
    ("GET", "/api/v1/webhook-subscriptions/{id}/deliveries"):
        (f"/api/v1/webhook-subscriptions/{SOME_ID}/deliveries", None),
    ("POST", "/api/v1/webhook-subscriptions/{id}/deliveries/{delivery_id}/redeliver"):
        (f"/api/v1/webhook-subscriptions/{SOME_ID}/deliveries/{SOME_ID}/redeliver", None),
    ("POST", "/api/v1/integrations/{id}/sync"): (f"/api/v1/integrations/{SOME_ID}/sync", None),
    ("GET", "/api/v1/integrations/{id}/sync-runs"): (f"/api/v1/integrations/{SOME_ID}/sync-runs", None),
    ("POST", "/api/v1/sync-conflicts/{id}/resolve"): (f"/api/v1/sync-conflicts/{SOME_ID}/resolve", {"value": "mine"}),
}


def expected(allowed, role):
    """"ok", 401 or 403."""
    if allowed == PUBLIC:
        return "ok"
    if role == "none":
        return 401
    return "ok" if role in allowed else 403


def _cases():
    cases = []
    for method, path, allowed, ok, setup_fn, unchanged_fn in ROUTES:
        for role in ROLES:
            want = expected(allowed, role)
            shown = want if want != "ok" else (ok or "allowed")
            cases.append(pytest.param(method, path, role, want, ok, setup_fn, unchanged_fn,
                                      id=f"{method} {path} as {role} -> {shown}"))
    return cases


CASES = _cases()


@pytest.mark.parametrize("method,path,role,want,ok,setup,unchanged", CASES)
def test_permission(srv, method, path, role, want, ok, setup, unchanged):
    if ok is not None:  # (1) as a client would use the route
        spec = setup(srv, role) if setup else {}
        url = spec.get("path", path)
        client = spec.get("client") or srv.as_(role)
        body = spec.get("body")
        if body is None and method in ("POST", "PATCH"):
            body = {}
        r = client.request(method, url, json=body)
        if want == "ok":
            assert r.status == ok, f"{role} should be allowed ({ok}) on {method} {url}: {r!r}"
        elif want == 401:
            assert_unauthorized(r)
        else:
            assert_problem(r, 403, "forbidden")
        if want != "ok" and unchanged:
            unchanged(srv, spec.get("ctx"))
    probe = PROBES.get((method, path))
    if probe:  # (2) an id that names nothing, a body that is invalid
        url, body = probe
        r = srv.as_(role).request(method, url, json=body)
        if path in PUBLIC_PATHS:
            assert r.status != 403, f"a public route answered 403 to {role}: {r!r}"
        elif want == "ok":
            assert r.status not in (401, 403), f"{role} should get past the check on {method} {url}: {r!r}"
        elif want == 401:
            assert_unauthorized(r)
        else:
            assert_problem(r, 403, "forbidden")


PUBLIC_PATHS = {path for _, path, allowed, _, _, _ in ROUTES if allowed == PUBLIC}


def test_the_matrix_covers_every_documented_route(srv):
    r = srv.anonymous().get("/api/v1/openapi.json")
    assert r.status == 200, r
    documented = {(m.upper(), p) for p, item in r.body["paths"].items() for m in item}
    covered = {(m, p.split("?")[0].replace("{own id}", "{id}")) for m, p, _, _, _, _ in ROUTES}
    assert documented == covered, (f"documented, not in the matrix: {sorted(documented - covered)}; "
                                   f"in the matrix, not documented: {sorted(covered - documented)}")
