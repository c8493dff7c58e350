"""The AI services layer through the API (docs/ai.md): the providers and their keys (write-only,
sealed at rest), one model call (offline by default; against the stand-in vendors when they are
configured: fallback, retries and usage), and the counters on /metrics."""
import secrets

import pytest

from support.helpers import assert_problem, wait_for

FIELDS = {"provider", "model", "content", "json", "tool_calls", "finish_reason", "usage", "cost_usd",
          "latency_ms", "attempts"}
REPORT = "We doubled the webinar budget in March. Signups grew by 40 percent after that. The legal review still takes six weeks."


def usage_of(srv, group_by, key):
    rows = srv.admin.get(f"/api/v1/ai/usage?group_by={group_by}").body["items"]
    return next((row for row in rows if row["key"] == key), {"requests": 0})


def test_the_offline_provider_answers_without_any_key(srv):
    providers = srv.as_("viewer").get("/api/v1/ai/providers")
    assert providers.status == 200, providers
    by_name = {p["name"]: p for p in providers.body["items"]}
    assert set(by_name) == {"openai", "anthropic", "offline"}
    assert by_name["offline"]["configured"] is True and by_name["offline"]["circuit"] == "closed"
    assert providers.body["fallback_order"][-1] == "offline"
    before = usage_of(srv, "provider", "offline")["requests"]

    r = srv.as_("operator").post("/api/v1/ai/chat", {"messages": [{"role": "user", "content": REPORT}]})
    assert r.status == 200, r
    assert set(r.body) == FIELDS
    assert r.body["provider"] == "offline" and r.body["finish_reason"] == "stop"
    # Extractive: every sentence of the answer is one of the report's.
    assert r.body["content"] and all(s.strip(". ") in REPORT for s in r.body["content"].split(". "))
    assert r.body["usage"]["input_tokens"] > 0 and r.body["cost_usd"] == 0
    again = srv.admin.post("/api/v1/ai/chat", {"messages": [{"role": "user", "content": REPORT}]})
    assert again.body["content"] == r.body["content"], "the offline provider is deterministic"
    # Each call is recorded by a write nobody waits for.
    wait_for(lambda: usage_of(srv, "provider", "offline")["requests"] == before + 2, message="two calls recorded")


def test_structured_output_is_valid_against_its_schema(srv):
    schema = {"type": "object", "required": ["company", "employees"],
              "properties": {"company": {"type": "string"}, "employees": {"type": "integer", "minimum": 1},
                             "tier": {"type": "string", "enum": ["smb", "enterprise"]}}}
    r = srv.admin.post("/api/v1/ai/chat", {"messages": [{"role": "user", "content": "company: Acme Tools\nemployees: 250\ntier: enterprise"}],
                                           "json_schema": schema})
    assert r.status == 200, r
    assert r.body["json"] == {"company": "Acme Tools", "employees": 250, "tier": "enterprise"}
    assert_problem(srv.admin.post("/api/v1/ai/chat", {"messages": [{"role": "user", "content": "x"}],
                                                      "json_schema": {"type": "no-such-type"}}), 400)


def test_a_prompt_template_is_rendered_and_labels_the_usage(srv):
    name = "ai.summary." + secrets.token_hex(3)
    r = srv.admin.post("/api/v1/prompts", {"name": name, "template": "Summarise: {{report}}", "variables": ["report"]})
    assert r.status == 201, r
    answer = srv.admin.post("/api/v1/ai/chat", {"prompt": {"name": name, "variables": {"report": REPORT}}})
    assert answer.status == 200 and answer.body["content"], answer
    assert_problem(srv.admin.post("/api/v1/ai/chat", {"prompt": {"name": name, "variables": {}}}), 400, None,
                   ["variables.report"])
    assert_problem(srv.admin.post("/api/v1/ai/chat", {"prompt": {"name": "no.such.prompt"}}), 422, "validation",
                   ["prompt.name"])


@pytest.mark.parametrize("body, fields", [
    ({}, ["messages"]),
    ({"messages": [], "prompt": {"name": "x"}}, ["messages"]),
    ({"messages": [{"role": "robot", "content": "hi"}]}, ["messages[0].role"]),
    ({"messages": [{"role": "user"}]}, ["messages[0].content"]),
    ({"messages": [{"role": "user", "content": "hi"}], "temperature": 3}, ["temperature"]),
    ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, ["max_tokens"]),
])
def test_a_bad_call_is_refused_naming_the_field(srv, body, fields):
    assert_problem(srv.admin.post("/api/v1/ai/chat", body), 422, "validation", fields)


def test_an_unknown_provider_or_a_model_without_one_is_a_bad_request(srv):
    hi = [{"role": "user", "content": "hi"}]
    assert_problem(srv.admin.post("/api/v1/ai/chat", {"messages": hi, "provider": "mystery"}), 400)
    assert_problem(srv.admin.post("/api/v1/ai/chat", {"messages": hi, "model": "gpt-4o"}), 400)


def test_a_stored_key_is_write_only(srv):
    key = "sk-test-" + secrets.token_hex(12)
    assert_problem(srv.as_("manager").request("PUT", "/api/v1/ai/providers/openai/key", json={"api_key": key}), 403)
    assert_problem(srv.admin.request("PUT", "/api/v1/ai/providers/offline/key", json={"api_key": key}), 409)
    assert_problem(srv.admin.request("PUT", "/api/v1/ai/providers/mystery/key", json={"api_key": key}), 404)
    assert_problem(srv.admin.request("PUT", "/api/v1/ai/providers/openai/key", json={"api_key": ""}), 422, "validation", ["api_key"])
    r = srv.admin.request("PUT", "/api/v1/ai/providers/openai/key", json={"api_key": key})
    assert r.status == 204 and not r.raw, r
    openai = next(p for p in srv.admin.get("/api/v1/ai/providers").body["items"] if p["name"] == "openai")
    assert openai["key_source"] == "stored" and openai["configured"] is True
    sealed = srv.sql("SELECT sealed FROM ai_provider_keys WHERE provider = 'openai'")[0][0]
    assert key not in sealed and len(sealed) > len(key)
    for role in ("admin", "viewer"):
        for path in ("/api/v1/ai/providers", "/api/v1/analytics/summary"):
            assert key not in srv.as_(role).get(path).raw.decode()
    events = srv.sql("SELECT data FROM events WHERE topic = 'ai.providers.updated'")
    assert events and all(key not in str(data) for (data,) in events)
    assert key not in "".join(srv.server.log_lines())
    assert srv.admin.delete("/api/v1/ai/providers/openai/key").status == 204
    assert_problem(srv.admin.delete("/api/v1/ai/providers/openai/key"), 404)
    openai = next(p for p in srv.admin.get("/api/v1/ai/providers").body["items"] if p["name"] == "openai")
    assert openai["key_source"] == "none" and openai["configured"] is False


def test_a_stored_key_survives_a_restart_and_needs_its_master_key(server_factory):
    server = server_factory()
    key = "sk-kept-" + secrets.token_hex(12)
    assert server.admin().request("PUT", "/api/v1/ai/providers/anthropic/key", json={"api_key": key}).status == 204
    server.restart()
    anthropic = next(p for p in server.admin(fresh=True).get("/api/v1/ai/providers").body["items"] if p["name"] == "anthropic")
    assert anthropic["key_source"] == "stored" and anthropic["configured"] is True
    server.stop()
    server.env["DE_MASTER_KEY"] = "another-master-key-" + secrets.token_hex(16)
    server.start()
    anthropic = next(p for p in server.admin(fresh=True).get("/api/v1/ai/providers").body["items"] if p["name"] == "anthropic")
    assert anthropic["key_source"] == "none", "a key sealed under another master key cannot be used"
    assert "cannot be opened with this master key" in "".join(server.log_lines())


def test_metrics_count_calls_by_provider_and_model(srv):
    srv.admin.post("/api/v1/ai/chat", {"messages": [{"role": "user", "content": "count me"}]})
    text = srv.anonymous().get("/metrics").body
    for family in ("de_ai_requests_total", "de_ai_errors_total", "de_ai_tokens_total", "de_ai_cost_usd_total"):
        assert f"# TYPE {family} counter" in text, family
    assert 'de_ai_requests_total{provider="offline",model="offline-1"}' in text


@pytest.fixture
def vendor_server(server_factory, llm_standin):
    """A server whose OpenAI and Anthropic providers are the stand-in vendors (keys from the
    environment), tried in that order before the offline one."""
    return server_factory(env={
        "DE_OPENAI_BASE_URL": llm_standin + "/v1", "DE_OPENAI_API_KEY": "sk-env-openai-0123456789",
        "DE_ANTHROPIC_BASE_URL": llm_standin, "DE_ANTHROPIC_API_KEY": "sk-env-anthropic-0123456789",
        "DE_AI_PROVIDERS": "openai,anthropic,offline", "DE_AI_MAX_ATTEMPTS": "2"})


def test_the_vendors_answer_through_the_same_call(vendor_server):
    admin = vendor_server.admin()
    hi = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]
    first = admin.post("/api/v1/ai/chat", {"messages": hi})
    assert first.status == 200, first
    assert first.body["provider"] == "openai" and first.body["content"] == "Hello from the stand-in."
    assert first.body["usage"] == {"input_tokens": 21, "output_tokens": 7}
    anthropic = admin.post("/api/v1/ai/chat", {"messages": hi, "provider": "anthropic"})
    assert anthropic.status == 200 and anthropic.body["provider"] == "anthropic", anthropic
    schema = {"type": "object", "required": ["name", "score"],
              "properties": {"name": {"type": "string"}, "score": {"type": "integer"}}}
    structured = admin.post("/api/v1/ai/chat", {"messages": hi, "json_schema": schema, "provider": "anthropic"})
    assert structured.status == 200 and structured.body["json"] == {"name": "stand-in", "score": 42}, structured
    providers = {p["name"]: p for p in admin.get("/api/v1/ai/providers").body["items"]}
    assert providers["openai"]["key_source"] == "environment" and providers["openai"]["configured"]
    assert_problem(admin.request("PUT", "/api/v1/ai/providers/openai/key", json={"api_key": "sk-other"}), 409)
    assert "sk-env-openai" not in "".join(vendor_server.log_lines())


def test_a_failing_vendor_is_retried_then_the_next_one_answers(vendor_server):
    admin = vendor_server.admin()
    hi = [{"role": "user", "content": "Say hello."}]
    limited = admin.post("/api/v1/ai/chat", {"messages": hi, "provider": "openai", "model": "rate-limited"})
    assert limited.status == 200 and limited.body["provider"] == "openai", limited
    assert limited.body["attempts"] == 2, "a 429 with Retry-After: 1 is waited for, then retried"
    assert limited.body["latency_ms"] >= 900
    broken = admin.post("/api/v1/ai/chat", {"messages": hi, "provider": "openai", "model": "server-error"})
    assert broken.status == 200 and broken.body["provider"] == "anthropic", broken
    assert broken.body["attempts"] == 3, "two attempts at OpenAI (500 is retryable), then Anthropic"
    refused = admin.post("/api/v1/ai/chat", {"messages": hi, "provider": "openai", "model": "unauthorized"})
    assert refused.status == 200 and refused.body["provider"] == "anthropic" and refused.body["attempts"] == 2, refused
    openai = next(p for p in admin.get("/api/v1/ai/providers").body["items"] if p["name"] == "openai")
    assert openai["last_error"] and "sk-env" not in openai["last_error"]
    wait_for(lambda: sum(row["requests"] for row in admin.get("/api/v1/ai/usage?group_by=provider").body["items"]) == 3,
             message="three calls recorded")
    metrics = vendor_server.client().get("/metrics").body
    assert 'de_ai_errors_total{provider="openai",model="server-error"} 2' in metrics
