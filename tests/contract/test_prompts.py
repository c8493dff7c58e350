"""Prompt templates (docs/ai.md, "Prompts"): immutable versions, one active per name, typed
variables checked against the template on write and against the values on render."""
import secrets

import pytest

from support.helpers import assert_problem, is_timestamp, is_uuid


def new_prompt(srv, **fields):
    body = {"name": "p." + secrets.token_hex(4), "description": "a follow-up email",
            "template": "Write to {{ name }} about {{product}} within {{budget}} USD.",
            "variables": ["name", "product", {"name": "budget", "type": "number"}]}
    body.update(fields)
    r = srv.admin.post("/api/v1/prompts", body)
    assert r.status == 201, r
    return r.body


def test_a_prompt_is_created_with_its_first_version_active(srv):
    p = new_prompt(srv)
    assert is_uuid(p["id"]) and p["active_version"] == 1
    assert p["variables"] == [{"name": "name", "type": "string"}, {"name": "product", "type": "string"},
                              {"name": "budget", "type": "number"}]
    assert [v["version"] for v in p["versions"]] == [1] and p["versions"][0]["active"] is True
    assert is_timestamp(p["created_at"]) and p["created_by"] == srv.users["admin"]["id"]
    got = srv.as_("viewer").get(f"/api/v1/prompts/{p['id']}")
    assert got.status == 200 and got.body == p
    listed = [x for x in srv.as_("viewer").list_all("/api/v1/prompts") if x["id"] == p["id"]]
    assert len(listed) == 1 and "versions" not in listed[0] and listed[0]["template"] == p["template"]
    assert_problem(srv.admin.post("/api/v1/prompts", {"name": p["name"], "template": "x"}), 409, "conflict")


def test_versions_are_immutable_and_one_is_active(srv):
    p = new_prompt(srv)
    r = srv.as_("manager").post(f"/api/v1/prompts/{p['id']}/versions", {"template": "Hi {{name}}", "variables": ["name"]})
    assert r.status == 201, r
    assert r.body["active_version"] == 1 and [(v["version"], v["active"]) for v in r.body["versions"]] == [(1, True), (2, False)]
    r = srv.admin.post(f"/api/v1/prompts/{p['id']}/activate", {"version": 2})
    assert r.status == 200 and r.body["active_version"] == 2 and r.body["template"] == "Hi {{name}}", r
    assert r.body["versions"][0]["template"] == p["template"], "an older version never changes"
    r = srv.admin.post(f"/api/v1/prompts/{p['id']}/versions", {"template": "Yo {{name}}", "variables": ["name"], "activate": True})
    assert r.status == 201 and r.body["active_version"] == 3, r
    assert_problem(srv.admin.post(f"/api/v1/prompts/{p['id']}/activate", {"version": 9}), 422, "validation", ["version"])
    assert srv.admin.get(f"/api/v1/prompts/{p['id']}").body["active_version"] == 3


def test_render_checks_every_variable_by_name_and_type(srv):
    p = new_prompt(srv)
    r = srv.as_("viewer").post(f"/api/v1/prompts/{p['id']}/render",
                               {"variables": {"name": "Ada", "product": "the hub", "budget": 12.5}})
    assert r.status == 200, r
    assert r.body == {"name": p["name"], "version": 1, "text": "Write to Ada about the hub within 12.5 USD."}
    bad = srv.admin.post(f"/api/v1/prompts/{p['id']}/render", {"variables": {"name": "Ada", "budget": "12", "extra": 1}})
    assert_problem(bad, 400, "bad-request", ["variables.product", "variables.budget", "variables.extra"])
    srv.admin.post(f"/api/v1/prompts/{p['id']}/versions", {"template": "Hi {{name}}", "variables": ["name"]})
    old = srv.admin.post(f"/api/v1/prompts/{p['id']}/render", {"variables": {"name": "Bo"}, "version": 2})
    assert old.status == 200 and old.body["text"] == "Hi Bo" and old.body["version"] == 2, old
    assert_problem(srv.admin.post(f"/api/v1/prompts/{p['id']}/render", {"variables": {}, "version": 7}), 404)


@pytest.mark.parametrize("body, fields", [
    ({"name": "Bad Name", "template": "x"}, ["name"]),
    ({"name": "ok.name", "template": "{{a}} {{b}}", "variables": ["a"]}, ["template"]),
    ({"name": "ok.name", "template": "{{a}}", "variables": ["a", "unused"]}, ["variables"]),
    ({"name": "ok.name", "template": "{{a}}", "variables": ["a", "a"]}, ["variables[1]"]),
    ({"name": "ok.name", "template": "{{a}}", "variables": [{"name": "a", "type": "date"}]}, ["variables[0].type"]),
    ({"name": "ok.name", "template": "{{a}}", "variables": "a"}, ["variables"]),
    ({"name": "ok.name"}, ["template"]),
    ({"name": "ok.name", "template": "x" * (100 * 1024 + 1)}, ["template"]),
    ({"name": "ok.name", "template": "x", "colour": "red"}, ["colour"]),
])
def test_a_bad_template_is_refused_naming_the_field(srv, body, fields):
    assert_problem(srv.admin.post("/api/v1/prompts", body), 422, "validation", fields)


def test_a_prompt_can_be_deleted_with_its_versions(srv):
    p = new_prompt(srv)
    assert srv.as_("operator").delete(f"/api/v1/prompts/{p['id']}").status == 403
    assert srv.admin.delete(f"/api/v1/prompts/{p['id']}").status == 204
    assert_problem(srv.admin.get(f"/api/v1/prompts/{p['id']}"), 404)
    assert srv.admin.post("/api/v1/prompts", {"name": p["name"], "template": "again"}).status == 201


def test_the_usage_report_groups_and_bounds_its_window(srv):
    for group in ("agent", "model", "provider", "day"):
        r = srv.as_("viewer").get(f"/api/v1/ai/usage?group_by={group}")
        assert r.status == 200 and r.body["group_by"] == group, r
        assert isinstance(r.body["items"], list)
        assert set(r.body["totals"]) == {"requests", "errors", "input_tokens", "output_tokens", "cost_usd", "latency_ms_avg"}
        assert is_timestamp(r.body["from"]) and is_timestamp(r.body["to"]) and r.body["from"] < r.body["to"]
    assert_problem(srv.admin.get("/api/v1/ai/usage?group_by=colour"), 400)
    assert_problem(srv.admin.get("/api/v1/ai/usage?from=yesterday"), 400)
    assert_problem(srv.admin.get("/api/v1/ai/usage?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z"), 400)
