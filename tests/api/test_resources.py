"""Every route of the foundation, used as a client would, on SQLite and PostgreSQL."""
import time
import uuid


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_health_readiness_and_metrics(api):
    assert api.request("GET", "/healthz", token=None) == (200, {"status": "ok"})
    assert api.request("GET", "/readyz", token=None) == (200, {"status": "ready"})
    import urllib.request
    with urllib.request.urlopen(api.url + "/metrics") as response:
        text = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE de_http_requests_total counter" in text
    assert 'de_tasks{status="queued"}' in text
    assert "de_store_batches_total" in text


def test_demo_data_has_the_business_agents_and_echo(api, echo_agent):
    status, page = api.request("GET", "/api/v1/agents")
    types = {a["type"] for a in page["items"]}
    assert {"product_manager", "sales", "marketing", "echo"} <= types
    assert echo_agent["capabilities"] == ["echo"]
    assert set(echo_agent["stats"]) == {"tasks_completed", "tasks_failed", "avg_latency_ms", "queue_depth"}


def test_login_refresh_rotation_reuse_and_logout(api):
    status, first = api.request("POST", "/api/v1/auth/login", {"username": "viewer-user", "password": "password-viewer"}, token=None)
    assert status == 200 and first["token_type"] == "Bearer" and first["expires_in"] == 900
    assert first["user"]["roles"] == ["viewer"] and "password" not in str(first["user"])
    status, second = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, token=None)
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    assert api.request("GET", "/api/v1/users/me", token=second["access_token"])[1]["email"] == "viewer@example.com"
    # Reusing the spent token revokes the whole session: the newest token stops working too.
    assert api.request("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, token=None)[0] == 401
    assert api.request("POST", "/api/v1/auth/refresh", {"refresh_token": second["refresh_token"]}, token=None)[0] == 401
    status, third = api.request("POST", "/api/v1/auth/login", {"email": "viewer@example.com", "password": "password-viewer"}, token=None)
    assert api.request("POST", "/api/v1/auth/logout", {"refresh_token": third["refresh_token"]}, token=None) == (204, None)
    assert api.request("POST", "/api/v1/auth/refresh", {"refresh_token": third["refresh_token"]}, token=None)[0] == 401


def test_users_crud_and_own_password(api):
    email = unique("ann") + "@example.com"
    status, user = api.request("POST", "/api/v1/users", {"email": email, "password": "first-password", "roles": ["operator"]})
    assert status == 201 and user["roles"] == ["operator"] and user["is_active"] is True
    assert "hash" not in str(user) and "password" not in str(user)
    assert api.request("POST", "/api/v1/users", {"email": email, "password": "other-password"})[0] == 409
    assert api.request("GET", f"/api/v1/users/{user['id']}")[1]["email"] == email
    status, page = api.request("GET", "/api/v1/users?limit=500")
    assert user["id"] in [u["id"] for u in page["items"]] and "password_hash" not in str(page)
    token = api.request("POST", "/api/v1/auth/login", {"email": email, "password": "first-password"}, token=None)[1]["access_token"]
    # A user changes their own password, with the current one; not anyone else's.
    assert api.request("PATCH", f"/api/v1/users/{user['id']}", {"password": "second-password"}, token=token)[0] == 422
    assert api.request("PATCH", f"/api/v1/users/{user['id']}", {"password": "second-password", "current_password": "first-password"}, token=token)[0] == 200
    assert api.request("POST", "/api/v1/auth/login", {"email": email, "password": "second-password"}, token=None)[0] == 200
    assert api.request("PATCH", f"/api/v1/users/{user['id']}", {"roles": ["admin"]}, token=token)[0] == 403
    assert api.request("PATCH", f"/api/v1/users/{api.users['viewer']['id']}", {"password": "x" * 10, "current_password": "y"}, token=token)[0] == 403
    # The admin deactivates: login stops working.
    assert api.request("PATCH", f"/api/v1/users/{user['id']}", {"is_active": False})[1]["is_active"] is False
    assert api.request("POST", "/api/v1/auth/login", {"email": email, "password": "second-password"}, token=None)[0] == 401
    assert api.request("DELETE", f"/api/v1/users/{user['id']}") == (204, None)
    assert api.request("GET", f"/api/v1/users/{user['id']}")[0] == 404
    me = api.request("GET", "/api/v1/users/me")[1]
    assert api.request("DELETE", f"/api/v1/users/{me['id']}")[0] == 409


def test_agents_crud_and_control(api):
    name = unique("Writer")
    status, agent = api.request("POST", "/api/v1/agents", {"name": name, "type": "marketing", "config": {"tone": "warm"}})
    assert status == 201 and agent["status"] == "idle" and "marketing.generate_content" in agent["capabilities"]
    assert api.request("POST", "/api/v1/agents", {"name": name, "type": "sales"})[0] == 409
    for action, expected in [("pause", "paused"), ("start", "idle"), ("stop", "stopped"), ("start", "idle")]:
        status, changed = api.request("POST", f"/api/v1/agents/{agent['id']}/{action}")
        assert status == 200 and changed["status"] == expected
    status, patched = api.request("PATCH", f"/api/v1/agents/{agent['id']}", {"capabilities": ["marketing.campaign_report"], "version": "2.0.0"})
    assert patched["capabilities"] == ["marketing.campaign_report"] and patched["version"] == "2.0.0"
    assert api.request("GET", f"/api/v1/agents?type=marketing&status=idle")[0] == 200
    assert api.request("DELETE", f"/api/v1/agents/{agent['id']}") == (204, None)
    assert api.request("GET", f"/api/v1/agents/{agent['id']}")[0] == 404


def test_tasks_create_idempotency_filters_paging_cancel_retry(api):
    kind = "nobody.handles." + uuid.uuid4().hex[:6]
    status, task = api.request("POST", "/api/v1/tasks", {"type": kind, "input_data": {"a": 1}})
    assert status == 201 and task["status"] == "queued" and task["priority"] == "normal"
    key = {"Idempotency-Key": unique("key")}
    status, first = api.request("POST", "/api/v1/tasks", {"type": kind}, headers=key)
    status2, again = api.request("POST", "/api/v1/tasks", {"type": kind}, headers=key)
    assert (status, status2) == (201, 200) and first["id"] == again["id"]
    assert api.request("POST", "/api/v1/tasks", {"type": kind, "priority": "high"}, headers=key)[0] == 422
    status, batch = api.request("POST", "/api/v1/tasks/batch", {"tasks": [{"type": kind}] * 5})
    assert status == 201 and len(batch["items"]) == 5
    seen, cursor = [], None
    while True:
        status, page = api.request("GET", f"/api/v1/tasks?type={kind}&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7
    assert api.request("GET", f"/api/v1/tasks/{task['id']}")[1]["input_data"] == {"a": 1}
    assert api.request("POST", f"/api/v1/tasks/{task['id']}/retry")[0] == 409
    status, cancelled = api.request("POST", f"/api/v1/tasks/{task['id']}/cancel")
    assert cancelled["status"] == "cancelled"
    assert api.request("POST", f"/api/v1/tasks/{task['id']}/cancel")[0] == 409
    assert api.request("GET", f"/api/v1/tasks?type={kind}&status=cancelled")[1]["items"][0]["id"] == task["id"]
    assert api.request("POST", f"/api/v1/tasks/{task['id']}/retry")[1]["status"] == "queued"


def test_echo_tasks_run_and_execute_answers_the_result(api, echo_agent):
    status, done = api.request("POST", f"/api/v1/agents/{echo_agent['id']}/execute", {"type": "echo", "input_data": {"hi": [1, 2]}})
    assert status == 200 and done["status"] == "completed" and done["output_data"] == {"hi": [1, 2]}
    status, task = api.request("POST", "/api/v1/tasks", {"type": "echo", "input_data": {"n": 7}})
    for _ in range(100):
        current = api.request("GET", f"/api/v1/tasks/{task['id']}")[1]
        if current["status"] == "completed":
            break
        time.sleep(0.05)
    assert current["output_data"] == {"n": 7} and current["attempts"] == 1
    status, failed = api.request("POST", "/api/v1/tasks", {"type": "sales.score_lead"})
    for _ in range(100):
        current = api.request("GET", f"/api/v1/tasks/{failed['id']}")[1]
        if current["status"] == "failed":
            break
        time.sleep(0.05)
    assert "not implemented yet" in current["error"]


def test_api_keys_are_shown_once_and_revocable(api):
    status, created = api.request("POST", "/api/v1/api-keys", {"name": unique("ci"), "roles": ["operator"]})
    assert status == 201 and created["key"].startswith("de_")
    key = {"X-API-Key": created["key"]}
    assert api.request("GET", "/api/v1/agents", token=None, headers=key)[0] == 200
    assert api.request("GET", "/api/v1/users", token=None, headers=key)[0] == 403
    status, page = api.request("GET", "/api/v1/api-keys")
    assert created["id"] in [k["id"] for k in page["items"]] and created["key"] not in str(page)
    assert api.request("DELETE", f"/api/v1/api-keys/{created['id']}") == (204, None)
    assert api.request("GET", "/api/v1/agents", token=None, headers=key)[0] == 401


def test_metrics_and_summary(api):
    name = unique("leads.scored")
    for value in (2, 3):
        status, metric = api.request("POST", "/api/v1/analytics/metrics", {"name": name, "value": value}, token=api.tokens["manager"])
        assert status == 201
    status, series = api.request("GET", f"/api/v1/analytics/metrics?name={name}&bucket=1m&agg=sum")
    assert status == 200 and sum(p["value"] for p in series["series"]) == 5
    status, summary = api.request("GET", "/api/v1/analytics/summary")
    for field in ["tasks_by_status", "tasks_total", "success_rate", "latency_ms", "agents_by_status", "queue_depth",
                  "pipeline_value", "weighted_pipeline_value", "campaign_roi", "leads_scored"]:
        assert field in summary


def test_messages_between_agents(api, echo_agent):
    status, page = api.request("GET", "/api/v1/agents?type=sales")
    sales = page["items"][0]
    status, message = api.request("POST", "/api/v1/messages", {"from_agent": sales["id"], "to_agent": echo_agent["id"],
                                                               "message_type": "lead.hot", "payload": {"lead": 1}})
    assert status == 201 and message["status"] == "sent"
    status, listed = api.request("GET", f"/api/v1/messages?agent_id={echo_agent['id']}")
    assert message["id"] in [m["id"] for m in listed["items"]]
    assert api.request("POST", "/api/v1/messages", {"to_agent": str(uuid.uuid4()), "message_type": "x"})[0] == 422
