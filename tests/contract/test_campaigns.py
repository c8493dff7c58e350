"""Marketing campaigns (docs/marketing.md, "Campaigns and the budget optimiser"): CRUD with exact
money, daily results (JSON and CSV, a day given again replaces it) and the metrics derived from
them, campaigns.* events, the budget optimiser, the marketing agent's tasks, campaign ROI on the
summary, and the demo campaigns."""
import email
import email.policy
import math
import secrets

import pytest

from support import ws as wsc
from support.helpers import assert_problem, is_timestamp, is_uuid, wait_for

CAMPAIGNS = "/api/v1/campaigns"
OPTIMIZE = "/api/v1/campaigns/optimize"
BACKENDS = ["sqlite", "postgres"]


def new_campaign(client, **fields):
    body = {"name": "campaign " + secrets.token_hex(3), "channel": "search", "budget": "100.00"}
    body.update(fields)
    r = client.post(CAMPAIGNS, body)
    assert r.status == 201, r
    return r.body


def record(client, campaign, days):
    r = client.post(f"{CAMPAIGNS}/{campaign['id']}/results", {"results": days})
    assert r.status == 200, r
    return r.body


def import_csv(client, campaign, text, content_type="text/csv"):
    return client.request("POST", f"{CAMPAIGNS}/{campaign['id']}/results/import", raw_body=text,
                          headers={"Content-Type": content_type})


def run_task(client, type_, input_data):
    r = client.post("/api/v1/tasks", {"type": type_, "input_data": input_data})
    assert r.status == 201, r
    return wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        client.get(f"/api/v1/tasks/{r.body['id']}").body), timeout=20, message=type_)


def curve(scale, rate, spend):
    return scale * (1 - math.exp(-rate * spend))


def synthetic_days(scale, rate, n=30, start_day=1):
    """Daily results of a campaign whose conversions follow scale * (1 - exp(-rate * spend))."""
    days = []
    for i in range(n):
        spend = 5 + (i * 37 % 29) * 7  # spread over 5..201
        conversions = round(curve(scale, rate, spend))
        days.append({"date": f"2026-03-{start_day + i:02d}" if start_day + i <= 31 else f"2026-04-{start_day + i - 31:02d}",
                     "spend": f"{spend}.00", "impressions": 1000 + i, "clicks": 50 + i, "conversions": conversions,
                     "revenue": f"{conversions * 20}.00"})
    return days


def test_a_campaign_is_created_read_changed_and_deleted(srv):
    c = new_campaign(srv.as_("operator"), name="Spring search", budget="250.5", start="2026-03-01",
                     end="2026-05-31", goal="revenue")
    assert is_uuid(c["id"]) and c["status"] == "draft" and c["currency"] == "USD" and c["budget"] == "250.50"
    assert (c["name"], c["channel"], c["start"], c["end"], c["goal"]) == \
        ("Spring search", "search", "2026-03-01", "2026-05-31", "revenue")
    assert c["created_by"] == srv.users["operator"]["id"] and is_timestamp(c["created_at"])
    assert c["totals"]["days"] == 0 and all(v is None for v in c["metrics"].values())
    got = srv.as_("viewer").get(f"{CAMPAIGNS}/{c['id']}")
    assert got.status == 200 and got.body == c, got
    changed = srv.as_("operator").patch(f"{CAMPAIGNS}/{c['id']}", {"status": "active", "budget": "300", "end": None})
    assert changed.status == 200, changed
    assert (changed.body["status"], changed.body["budget"], changed.body["end"]) == ("active", "300.00", None)
    listed = srv.admin.get(f"{CAMPAIGNS}?channel=search&status=active").body["items"]
    assert c["id"] in [x["id"] for x in listed] and all(x["channel"] == "search" for x in listed)
    record(srv.admin, c, [{"date": "2026-03-01", "spend": "10.00"}])
    assert srv.as_("operator").delete(f"{CAMPAIGNS}/{c['id']}").status == 204
    assert_problem(srv.admin.get(f"{CAMPAIGNS}/{c['id']}"), 404, "not-found")
    assert_problem(srv.admin.delete(f"{CAMPAIGNS}/{c['id']}"), 404, "not-found")
    assert srv.sql("SELECT count(*) FROM campaign_results WHERE campaign_id = ?", (c["id"],))[0][0] == 0


def test_bad_input_names_every_field_and_writes_nothing(srv):
    name = "bad " + secrets.token_hex(3)
    r = srv.admin.post(CAMPAIGNS, {"name": name, "channel": "", "budget": "1.234", "status": "live", "goal": "likes",
                                   "start": "2026-02-30", "currency": "usd", "color": "red"})
    assert_problem(r, 422, "validation", ["channel", "budget", "status", "goal", "start", "currency", "color"])
    assert_problem(srv.admin.post(CAMPAIGNS, {}), 422, "validation", ["name", "channel", "budget"])
    r = srv.admin.post(CAMPAIGNS, {"name": name, "channel": "x", "budget": "1", "start": "2026-05-01", "end": "2026-04-01"})
    assert_problem(r, 422, "validation", ["end"])
    assert name not in [c["name"] for c in srv.admin.list_all(CAMPAIGNS)]
    assert_problem(srv.admin.get(f"{CAMPAIGNS}?status=live"), 400, None, ["status"])


def test_results_replace_their_day_and_give_the_derived_metrics(srv):
    c = new_campaign(srv.admin)
    record(srv.admin, c, [{"date": "2026-03-02", "spend": "40.00", "impressions": 2000, "clicks": 40, "conversions": 4,
                           "revenue": "160.00"},
                          {"date": "2026-03-01", "spend": "10.00", "impressions": 1000, "clicks": 0}])
    # The same day again replaces it; a single day may be posted on its own.
    r = srv.admin.post(f"{CAMPAIGNS}/{c['id']}/results", {"date": "2026-03-01", "spend": "20.00", "impressions": 1000,
                                                           "clicks": 10, "conversions": 1, "revenue": "30.00"})
    assert r.status == 200 and r.body["recorded"] == 1, r
    got = srv.as_("viewer").get(f"{CAMPAIGNS}/{c['id']}/results").body
    assert [d["date"] for d in got["items"]] == ["2026-03-01", "2026-03-02"]
    assert got["items"][0]["spend"] == "20.00" and got["items"][0]["clicks"] == 10
    assert got["totals"] == {"days": 2, "spend": "60.00", "impressions": 3000, "clicks": 50, "conversions": 5,
                             "revenue": "190.00"}
    m = got["metrics"]
    assert m["ctr"] == pytest.approx(50 / 3000) and m["conversion_rate"] == pytest.approx(5 / 50)
    assert m["cpc"] == "1.20" and m["cpa"] == "12.00"
    assert m["roas"] == pytest.approx(190 / 60) and m["roi"] == pytest.approx(130 / 60)
    assert srv.admin.get(f"{CAMPAIGNS}/{c['id']}").body["metrics"] == m
    # Zero denominators give null, never NaN or infinity.
    empty = new_campaign(srv.admin)
    record(srv.admin, empty, [{"date": "2026-03-01", "spend": "0"}])
    metrics = srv.admin.get(f"{CAMPAIGNS}/{empty['id']}/results").body["metrics"]
    assert all(v is None for v in metrics.values()), metrics


def test_bad_results_name_the_day_and_field_and_write_nothing(srv):
    c = new_campaign(srv.admin)
    r = srv.admin.post(f"{CAMPAIGNS}/{c['id']}/results", {"results": [
        {"date": "2026-03-01", "spend": "5"}, {"date": "2026-03-01", "spend": "-1", "clicks": 1.5}, {"spend": "1"}]})
    assert_problem(r, 422, "validation", ["results[1].date", "results[1].spend", "results[1].clicks", "results[2].date"])
    assert srv.admin.get(f"{CAMPAIGNS}/{c['id']}/results").body["items"] == []
    assert_problem(srv.admin.post(f"{CAMPAIGNS}/{c['id']}/results", {"results": []}), 422, "validation", ["results"])


def test_csv_import_records_the_days_and_a_malformed_file_writes_nothing(srv):
    c = new_campaign(srv.admin, currency="EUR")
    r = import_csv(srv.admin, c, "\ufeffDate;Spend;Impressions;Clicks;Conversions;Revenue\r\n"
                                 "2026-03-01;12.50;1000;20;2;50\r\n2026-03-02;7;800;10;;\r\n")
    assert r.status == 200 and r.body["recorded"] == 2 and (r.body["from"], r.body["to"]) == ("2026-03-01", "2026-03-02"), r
    got = srv.admin.get(f"{CAMPAIGNS}/{c['id']}/results").body
    assert got["currency"] == "EUR" and got["totals"]["spend"] == "19.50" and got["totals"]["conversions"] == 2
    bad = import_csv(srv.admin, c, "date,spend,clicks\n2026-03-03,1,2\n2026-03-04,1,many\n")
    body = assert_problem(bad, 400, None, ["row 3, column clicks"])
    assert "row 3" in body["detail"] and "clicks" in body["detail"]
    assert len(srv.admin.get(f"{CAMPAIGNS}/{c['id']}/results").body["items"]) == 2  # 2026-03-03 was not written
    assert_problem(import_csv(srv.admin, c, "date,clicks\n2026-03-03,1\n"), 400, None, ["row 1, column spend"])
    assert_problem(import_csv(srv.admin, c, "date,spend\n2026-03-03,1\n2026-03-03,2\n"), 400, None, ["row 3, column date"])
    assert_problem(import_csv(srv.admin, c, "date,spend\n\"2026-03-03,1\n"), 400)
    assert_problem(import_csv(srv.admin, c, "date,spend\n2026-03-03,1\n", "text/plain"), 415)


def test_every_change_is_a_campaigns_event(srv):
    async def scenario():
        ws, reply = await wsc.subscribe(srv, srv.tokens["viewer"], ["campaigns.*"])
        c = new_campaign(srv.admin)
        srv.admin.patch(f"{CAMPAIGNS}/{c['id']}", {"status": "active"})
        record(srv.admin, c, [{"date": "2026-03-01", "spend": "1"}, {"date": "2026-03-05", "spend": "2"}])
        assert srv.admin.delete(f"{CAMPAIGNS}/{c['id']}").status == 204
        events = []
        while len(events) < 4:
            message = await wsc.receive(ws)
            if message["type"] == "event" and message.get("data", {}).get("id") == c["id"]:
                events.append(message)
        await ws.close()
        return events

    events = wsc.run(scenario)
    assert [e["topic"] for e in events] == ["campaigns.created", "campaigns.updated", "campaigns.results_recorded",
                                            "campaigns.deleted"]
    assert events[1]["data"]["status"] == "active"
    assert (events[2]["data"]["days"], events[2]["data"]["from"], events[2]["data"]["to"]) == (2, "2026-03-01", "2026-03-05")


def test_the_optimiser_splits_the_budget_exactly_by_the_fitted_curves(srv):
    strong = new_campaign(srv.admin, name="strong " + secrets.token_hex(2), budget="100.00")
    weak = new_campaign(srv.admin, name="weak " + secrets.token_hex(2), budget="100.00")
    thin = new_campaign(srv.admin, name="thin " + secrets.token_hex(2), budget="0")
    record(srv.admin, strong, synthetic_days(40, 0.02))
    record(srv.admin, weak, synthetic_days(10, 0.02))
    record(srv.admin, thin, synthetic_days(20, 0.02, n=2))
    r = srv.as_("viewer").post(OPTIMIZE, {"budget": "200.01", "items": [strong["id"], weak["id"], thin["id"]]})
    assert r.status == 200, r
    a = {x["item"]: x for x in r.body["allocations"]}
    spends = [round(float(x["spend"]) * 100) for x in r.body["allocations"]]
    assert sum(spends) == 20001  # to the cent
    assert float(a[strong["id"]]["spend"]) > float(a[weak["id"]]["spend"])
    for x in r.body["allocations"]:
        low, high = x["interval"]
        assert low <= x["expected"] <= high and x["marginal_return"] >= 0
        assert x["share"] == pytest.approx(float(x["spend"]) / 200.01, abs=0.01)
    low, high = r.body["interval"]
    assert low <= r.body["expected_total"] <= high
    assert r.body["expected_total"] == pytest.approx(sum(x["expected"] for x in r.body["allocations"]), abs=0.05)
    assert a[strong["id"]]["curve"]["source"] == "own" and a[thin["id"]]["curve"]["source"] == "pooled"
    assert any(thin["name"] in note for note in r.body["notes"])
    assert r.body["expected_gain"] is not None and "expected to bring" in r.body["explanation"]
    # The marginal returns of the items that got spend are about equal at the optimum.
    funded = [x["marginal_return"] for x in r.body["allocations"] if float(x["spend"]) > 1]
    assert max(funded) - min(funded) < 0.05
    # Without max, no campaign gets more than 1.5 times its highest observed daily spend (201.00)...
    r = srv.admin.post(OPTIMIZE, {"budget": "500", "items": [strong["id"], weak["id"]]})
    assert r.status == 200 and all(float(x["spend"]) <= 301.5 for x in r.body["allocations"]), r
    assert not any(x["extrapolated"] for x in r.body["allocations"])
    # ... unless those caps together cannot hold the budget: then the note says so.
    r = srv.admin.post(OPTIMIZE, {"budget": "1000", "items": [strong["id"], weak["id"]]})
    assert r.status == 200 and any("past what was observed" in note for note in r.body["notes"]), r
    # Bounds: every item gets at least min and at most max.
    r = srv.admin.post(OPTIMIZE, {"budget": "200", "items": [strong["id"], weak["id"]], "min": "80", "max": "120",
                                  "objective": "revenue"})
    assert r.status == 200, r
    assert all(80 <= float(x["spend"]) <= 120 for x in r.body["allocations"]) and r.body["objective"] == "revenue"


def test_budgets_are_set_together_or_not_at_all(srv):
    a, b = new_campaign(srv.admin, budget="100.00"), new_campaign(srv.admin, budget="50.00", currency="EUR")
    r = srv.as_("operator").post(f"{CAMPAIGNS}/budgets", {"budgets": [{"id": a["id"], "budget": "180.00"},
                                                                     {"id": b["id"], "budget": "70.5"}]})
    assert r.status == 200, r
    assert r.body["updated"] == 2 and [c["budget"] for c in r.body["items"]] == ["180.00", "70.50"]
    assert srv.admin.get(f"{CAMPAIGNS}/{b['id']}").body["currency"] == "EUR"
    # One bad item: every problem named, nothing changed.
    r = srv.admin.post(f"{CAMPAIGNS}/budgets", {"budgets": [
        {"id": a["id"], "budget": "1.00"}, {"id": b["id"], "budget": "-3"},
        {"id": "01a20ce4-61b4-7003-b6ba-9486d2112aa4", "budget": "1"}, {"id": a["id"], "budget": "2.00"}, {"id": a["id"]}]})
    assert_problem(r, 422, "validation", ["budgets[1].budget", "budgets[2].id", "budgets[3].id", "budgets[4]"])
    assert [srv.admin.get(f"{CAMPAIGNS}/{c['id']}").body["budget"] for c in (a, b)] == ["180.00", "70.50"]
    for body in ({}, {"budgets": []}, {"budgets": "a"}):
        assert_problem(srv.admin.post(f"{CAMPAIGNS}/budgets", body), 422, "validation", ["budgets"])


def test_optimiser_input_is_checked(srv):
    c = new_campaign(srv.admin)
    assert_problem(srv.admin.post(OPTIMIZE, {"items": [c["id"]], "objective": "likes", "budget": "x"}), 422,
                   "validation", ["objective", "budget"])
    assert_problem(srv.admin.post(OPTIMIZE, {"items": ["01a20ce4-61b4-7003-b6ba-9486d2112aa4"]}), 422, "validation",
                   ["items[0]"])
    # No results yet: nothing to fit.
    assert_problem(srv.admin.post(OPTIMIZE, {"items": [c["id"]], "budget": "10"}), 422, "validation", ["items"])
    record(srv.admin, c, [{"date": "2026-03-01", "spend": "1", "conversions": 1}])
    assert_problem(srv.admin.post(OPTIMIZE, {"items": [c["id"]], "budget": "10", "min": "20"}), 422, "validation", ["budget"])
    assert_problem(srv.admin.post(OPTIMIZE, {"items": [c["id"]], "budget": "10", "max": "5"}), 422, "validation", ["max"])
    eur = new_campaign(srv.admin, currency="EUR")
    assert_problem(srv.admin.post(OPTIMIZE, {"items": [c["id"], eur["id"]]}), 422, "validation", ["items"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_agents_report_and_optimise_and_the_summary_shows_roi(server_factory, backend):
    admin = server_factory(backend, demo_data=False).admin()
    assert admin.get("/api/v1/analytics/summary").body["campaign_roi"] is None
    assert admin.post("/api/v1/agents", {"name": "Marketing", "type": "marketing"}).status == 201
    a = new_campaign(admin, name="A", status="active")
    b = new_campaign(admin, name="B", status="active")
    record(admin, a, synthetic_days(40, 0.02, n=14))
    record(admin, b, synthetic_days(10, 0.02, n=14))
    days = [d for c in (a, b) for d in admin.get(f"{CAMPAIGNS}/{c['id']}/results").body["items"]]
    spend = sum(float(d["spend"]) for d in days)
    revenue = sum(float(d["revenue"]) for d in days)
    assert admin.get("/api/v1/analytics/summary").body["campaign_roi"] == pytest.approx((revenue - spend) / spend)

    report = run_task(admin, "marketing.campaign_report", {"days": 7})
    assert report["status"] == "completed", report
    out = report["output_data"]
    assert out["period"] == {"from": "2026-03-08", "to": "2026-03-14"}
    assert out["previous_period"] == {"from": "2026-03-01", "to": "2026-03-07"}
    current = [d for d in days if d["date"] >= "2026-03-08"]
    previous = [d for d in days if d["date"] < "2026-03-08"]
    conversions_now = sum(d["conversions"] for d in current)
    conversions_before = sum(d["conversions"] for d in previous)
    assert out["totals"]["current"]["conversions"] == conversions_now
    assert out["totals"]["previous"]["conversions"] == conversions_before
    assert out["totals"]["change"]["conversions"] == pytest.approx((conversions_now - conversions_before) / conversions_before, abs=1e-4)
    assert f"got {conversions_now} conversions" in out["summary"]
    assert out["narrative"] == out["summary"] and out["phrased_by"] is None  # offline: the computed report itself

    optimised = run_task(admin, "marketing.optimize_budget", {"report": out})
    assert optimised["status"] == "completed", optimised
    plan = optimised["output_data"]
    assert plan["budget"] == "200.00" and {x["item"] for x in plan["allocations"]} == {a["id"], b["id"]}
    bad = run_task(admin, "marketing.optimize_budget", {"objective": "likes"})
    assert bad["status"] == "failed" and "objective" in bad["error"]
    content = run_task(admin, "marketing.generate_content", {})  # the content generator checks its own input
    assert content["status"] == "failed" and "kind" in content["error"], content


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_demo_campaigns_are_loaded_once_and_the_demo_workflow_runs(server_factory, backend):
    server = server_factory(backend)
    admin = server.admin()
    campaigns = admin.list_all(CAMPAIGNS)
    demo = [c for c in campaigns if c["totals"]["days"] > 0]
    assert len(demo) >= 4 and all(c["totals"]["conversions"] > 0 for c in demo)
    assert admin.get("/api/v1/analytics/summary").body["campaign_roi"] is not None
    workflow = next(w for w in admin.list_all("/api/v1/workflows") if w["name"] == "Weekly campaign budget")
    r = admin.post(f"/api/v1/workflows/{workflow['id']}/execute", {"input": {}})
    assert r.status in (201, 202), r
    execution = wait_for(lambda: (lambda e: e if e["status"] in ("completed", "failed", "waiting") or
                                  any(s["status"] == "waiting" for s in e.get("steps", [])) else None)(
        admin.get(f"/api/v1/workflow-executions/{r.body['id']}").body), timeout=30, message="the demo workflow")
    steps = {s["id"]: s for s in execution["steps"]}
    assert steps["report"]["status"] == "completed" and steps["optimize"]["status"] == "completed", execution
    # The report covers every campaign; the split, the active ones among them (not the paused lead origins).
    assert len(steps["report"]["output"]["campaigns"]) == len(campaigns)
    active = {c["id"] for c in campaigns if c["status"] == "active"}
    assert {a["item"] for a in steps["optimize"]["output"]["allocations"]} == active and len(active) == 6
    server.stop()
    assert server.run("init").returncode == 0  # again: nothing is added twice
    server.start()
    assert len(server.admin(fresh=True).list_all(CAMPAIGNS)) == len(campaigns)


def test_a_configured_model_phrases_the_report(server_factory, llm_standin):
    """The report goes through the AI services layer: with a vendor model configured, its
    answer is the narrative; the computed summary stays as it is."""
    server = server_factory(demo_data=False, env={"DE_OPENAI_BASE_URL": llm_standin + "/v1",
                                                  "DE_OPENAI_API_KEY": "sk-env-openai-0123456789"})
    admin = server.admin()
    assert admin.post("/api/v1/agents", {"name": "Marketing", "type": "marketing"}).status == 201
    c = new_campaign(admin, status="active")
    record(admin, c, synthetic_days(20, 0.02, n=14))
    out = run_task(admin, "marketing.campaign_report", {})["output_data"]
    assert out["narrative"] == "Hello from the stand-in." and out["phrased_by"].startswith("openai/"), out
    assert out["summary"].startswith("Over 2026-03-08 to 2026-03-14 the 1 USD campaigns spent")
    calls = wait_for(lambda: next((r for r in admin.get("/api/v1/ai/usage?group_by=provider").body["items"]
                                   if r["key"] == "openai"), None), message="the call recorded")
    assert calls["requests"] == 1


def test_the_campaign_report_goes_out_by_email_or_says_why_not(server_factory, mail_server):
    """`send` on marketing.campaign_report (docs/marketing.md): the report's narrative by email
    through the only email integration (a real SMTP server on loopback), kept as `sent`."""
    admin = server_factory(demo_data=False).admin()
    assert admin.post("/api/v1/agents", {"name": "Marketing", "type": "marketing"}).status == 201
    c = new_campaign(admin, status="active")
    record(admin, c, synthetic_days(20, 0.02, n=14))
    no_integration = run_task(admin, "marketing.campaign_report", {"send": {"channel": "email", "to": "cmo@example.com"}})
    assert no_integration["status"] == "failed" and "no active email integration" in no_integration["error"], no_integration
    bad = run_task(admin, "marketing.campaign_report", {"send": {"channel": "fax"}})
    assert bad["status"] == "failed" and "input_data.send.channel" in bad["error"], bad
    mail = admin.post("/api/v1/integrations", mail_server.integration()).body

    report = run_task(admin, "marketing.campaign_report", {"days": 7, "send": {"channel": "email", "to": "cmo@example.com"}})
    assert report["status"] == "completed", report
    out = report["output_data"]
    assert out["sent"]["channel"] == "email" and out["sent"]["integration_id"] == mail["id"], out
    assert out["sent"]["delivery"]["accepted"] == ["cmo@example.com"], out
    wait_for(lambda: mail_server.messages, message="the report arrives")
    message = email.message_from_bytes(mail_server.messages[0].original_content, policy=email.policy.default)
    assert message["Subject"] == "Campaign report: 2026-03-08 to 2026-03-14"
    assert message.get_content().replace("\r\n", "\n").strip() == out["narrative"].strip()
