"""The sales pipeline (docs/sales.md, "Pipeline and forecast"): deals with exact money amounts, their
stage history and deals.* events, filters, sorting and paging, the forecast with stage
probabilities learnt from closed deals, the sales.pipeline_forecast task, and the demo pipeline."""
import secrets

import pytest

from support import ws as wsc
from support.helpers import assert_problem, is_timestamp, is_uuid, wait_for

DEALS = "/api/v1/deals"
FORECAST = "/api/v1/pipeline/forecast"
BACKENDS = ["sqlite", "postgres"]


def owner():
    """An owner no other test uses: filtering by it isolates a test's deals."""
    return "rep-" + secrets.token_hex(4)


def new_deal(client, **fields):
    body = {"name": "deal " + secrets.token_hex(3), "amount": "1000.00"}
    body.update(fields)
    r = client.post(DEALS, body)
    assert r.status == 201, r
    return r.body


def move(client, deal, stage):
    r = client.patch(f"{DEALS}/{deal['id']}", {"stage": stage})
    assert r.status == 200, r
    return r.body


def test_a_deal_is_created_with_defaults_and_read_back_with_its_history(srv):
    rep = owner()
    d = new_deal(srv.as_("operator"), name="Acme renewal", account="Acme", owner=rep, amount="12500.5",
                 expected_close="2030-03-31", lead_id="lead-42")
    assert is_uuid(d["id"]) and d["stage"] == "prospecting" and d["currency"] == "USD"
    assert d["amount"] == "12500.50" and d["probability"] is None and d["closed_at"] is None
    assert (d["name"], d["account"], d["owner"], d["expected_close"], d["lead_id"]) == \
        ("Acme renewal", "Acme", rep, "2030-03-31", "lead-42")
    assert d["created_by"] == srv.users["operator"]["id"]
    assert all(is_timestamp(d[k]) for k in ("created_at", "updated_at", "stage_changed_at"))
    got = srv.as_("viewer").get(f"{DEALS}/{d['id']}")
    assert got.status == 200, got
    history = got.body.pop("stage_history")
    assert got.body == d
    assert history == [{"from_stage": None, "to_stage": "prospecting", "changed_by": srv.users["operator"]["id"],
                        "changed_at": d["created_at"]}]


@pytest.mark.parametrize("given,currency,stored", [
    ("0.10", "USD", "0.10"), (19.99, "USD", "19.99"), (0.1, "EUR", "0.10"), (7, "USD", "7.00"),
    ("999999999999.99", "USD", "999999999999.99"), ("1500", "JPY", "1500"), ("1.234", "BHD", "1.234"),
    ("0012.50", "USD", "12.50"), ("3.10", "JPY", None), ("1.2345", "BHD", None), ("1000000000000", "USD", None),
    ("-5", "USD", None), ("1e3", "USD", None), ("12.", "USD", None), ("", "USD", None), (True, "USD", None),
    (1e20, "USD", None),
])
def test_amounts_are_exact_decimals_in_their_currency(srv, given, currency, stored):
    r = srv.admin.post(DEALS, {"name": "money", "amount": given, "currency": currency, "owner": owner()})
    if stored is None:
        assert_problem(r, 422, "validation", ["amount"])
    else:
        assert r.status == 201 and r.body["amount"] == stored and r.body["currency"] == currency, r


def test_sums_of_amounts_do_not_drift(server_factory):
    server = server_factory(demo_data=False)
    admin = server.admin()
    for _ in range(10):
        new_deal(admin, amount=0.1)
    new_deal(admin, amount="0.2", currency="EUR")
    f = admin.get(FORECAST).body
    assert f["open"]["amount"] == "1.00" and f["open"]["count"] == 10 and f["other_currencies"] == {"EUR": 1}
    assert admin.get(FORECAST + "?currency=EUR").body["open"]["amount"] == "0.20"


def test_a_currency_change_keeps_the_amount_or_is_refused(srv):
    d = new_deal(srv.admin, amount="150", owner=owner())
    r = srv.admin.patch(f"{DEALS}/{d['id']}", {"currency": "JPY"})
    assert r.status == 200 and (r.body["amount"], r.body["currency"]) == ("150", "JPY"), r
    d = new_deal(srv.admin, amount="150.25", owner=owner())
    assert_problem(srv.admin.patch(f"{DEALS}/{d['id']}", {"currency": "JPY"}), 422, "validation", ["amount"])
    r = srv.admin.patch(f"{DEALS}/{d['id']}", {"currency": "JPY", "amount": 150})
    assert r.status == 200 and r.body["amount"] == "150", r


def test_bad_input_names_every_field_and_writes_nothing(srv):
    rep = owner()
    body = {"name": "", "amount": "abc", "currency": "usd", "stage": "closing", "probability": 1.5,
            "expected_close": "2030-02-30", "lead_id": 7, "account": ["x"], "owner": rep, "colour": "red"}
    r = srv.admin.post(DEALS, body)
    assert_problem(r, 422, "validation",
                   ["name", "amount", "currency", "stage", "probability", "expected_close", "lead_id", "account", "colour"])
    assert_problem(srv.admin.post(DEALS, {"owner": rep}), 422, "validation", ["name", "amount"])
    assert srv.admin.get(f"{DEALS}?owner={rep}").body["items"] == []
    d = new_deal(srv.admin, owner=rep)
    r = srv.admin.patch(f"{DEALS}/{d['id']}", {"stage": "won", "amount": "1.001"})
    assert_problem(r, 422, "validation", ["amount"])
    got = srv.admin.get(f"{DEALS}/{d['id']}").body
    assert got["stage"] == "prospecting" and len(got["stage_history"]) == 1, "a refused change changes nothing"
    assert_problem(srv.admin.post(DEALS, raw_body=b"{not json", headers={"Content-Type": "application/json"}), 400)
    assert_problem(srv.admin.patch(f"{DEALS}/01a20ce4-61b4-7003-b6ba-9486d2112aa4", {"stage": "won"}), 404, "not-found")


def test_stage_changes_are_kept_with_who_and_when_and_closing_sets_closed_at(srv):
    d = new_deal(srv.admin, owner=owner())
    engaged = move(srv.as_("manager"), d, "engaging")
    assert engaged["closed_at"] is None and engaged["stage_changed_at"] >= d["stage_changed_at"]
    won = move(srv.as_("operator"), d, "won")
    assert won["closed_at"] == won["stage_changed_at"] == won["updated_at"]
    same = srv.admin.patch(f"{DEALS}/{d['id']}", {"name": "renamed"}).body
    assert same["stage_changed_at"] == won["stage_changed_at"] and same["closed_at"] == won["closed_at"]
    reopened = move(srv.admin, d, "negotiation")
    assert reopened["closed_at"] is None
    history = srv.admin.get(f"{DEALS}/{d['id']}").body["stage_history"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [
        (None, "prospecting"), ("prospecting", "engaging"), ("engaging", "won"), ("won", "negotiation")]
    assert [h["changed_by"] for h in history] == [srv.users[r]["id"] for r in ("admin", "manager", "operator", "admin")]
    assert history[2]["changed_at"] == won["stage_changed_at"]


def test_probability_is_set_and_cleared(srv):
    d = new_deal(srv.admin, probability=0.35, owner=owner())
    assert d["probability"] == 0.35
    r = srv.admin.patch(f"{DEALS}/{d['id']}", {"probability": None, "expected_close": None})
    assert r.status == 200 and r.body["probability"] is None and r.body["expected_close"] is None, r


def test_every_change_is_a_deals_event(srv):
    async def scenario():
        ws, reply = await wsc.subscribe(srv, srv.tokens["viewer"], ["deals.*"])
        d = new_deal(srv.admin, owner=owner())
        move(srv.admin, d, "won")
        assert srv.admin.delete(f"{DEALS}/{d['id']}").status == 204
        events = []
        while len(events) < 4:
            message = await wsc.receive(ws)
            data = message.get("data", {})
            if message["type"] == "event" and data.get("id") == d["id"]:
                events.append(message)
        await ws.close()
        return events

    events = wsc.run(scenario)
    assert [e["topic"] for e in events] == ["deals.created", "deals.stage_changed", "deals.updated", "deals.deleted"]
    assert events[0]["data"]["amount"] == "1000.00"
    changed = events[1]["data"]
    assert (changed["from_stage"], changed["to_stage"], changed["changed_by"]) == ("prospecting", "won", srv.users["admin"]["id"])
    assert events[2]["data"]["stage"] == "won"


def test_delete_removes_the_deal_and_its_history(srv):
    d = new_deal(srv.as_("operator"), owner=owner())
    assert srv.as_("operator").delete(f"{DEALS}/{d['id']}").status == 204
    assert_problem(srv.admin.get(f"{DEALS}/{d['id']}"), 404, "not-found")
    assert_problem(srv.admin.delete(f"{DEALS}/{d['id']}"), 404, "not-found")
    assert srv.sql("SELECT count(*) FROM deal_stage_changes WHERE deal_id = ?", (d["id"],))[0][0] == 0


def test_filters_sorting_and_paging(srv):
    rep = owner()
    made = [new_deal(srv.admin, owner=rep, name=n, amount=a, stage=s, expected_close=c)
            for n, a, s, c in [("b", "30", "prospecting", "2030-05-01"), ("a", "10", "engaging", None),
                               ("d", "20", "won", "2030-01-15"), ("c", "40", "lost", "2030-03-01"),
                               ("e", "10", "engaging", "2030-02-01")]]

    def names(query):
        r = srv.as_("viewer").get(f"{DEALS}?owner={rep}&{query}")
        assert r.status == 200, r
        return [d["name"] for d in r.body["items"]]

    assert names("") == ["e", "c", "d", "a", "b"], "newest first by default"
    assert names("sort=amount") == ["a", "e", "d", "b", "c"], "ties by id"
    assert names("sort=-amount") == ["c", "b", "d", "e", "a"]
    assert names("sort=name") == ["a", "b", "c", "d", "e"]
    assert names("sort=expected_close") == ["a", "d", "e", "c", "b"], "no date first"
    assert names("stage=engaging") == ["e", "a"]
    assert names("status=open") == ["e", "a", "b"] and names("status=closed") == ["c", "d"]
    assert names("status=open&sort=-name") == ["e", "b", "a"]
    for sort in ("", "sort=amount", "sort=-expected_close", "sort=name", "sort=-updated_at"):
        whole = names(sort)
        for limit in (1, 2):
            seen, cursor = [], None
            while True:
                r = srv.admin.get(f"{DEALS}?owner={rep}&{sort}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
                seen += [d["name"] for d in r.body["items"]]
                cursor = r.body["next_cursor"]
                if cursor is None:
                    break
            assert seen == whole, (sort, limit)
    assert {d["id"] for d in made} == {d["id"] for d in srv.admin.list_all(f"{DEALS}?owner={rep}")}


@pytest.mark.parametrize("query,field", [("stage=closing", "stage"), ("status=all", "status"), ("sort=colour", "sort"),
                                         ("sort=--amount", "sort"), ("limit=0", None), ("cursor=nope", None)])
def test_bad_list_parameters_are_400(srv, query, field):
    assert_problem(srv.admin.get(f"{DEALS}?{query}"), 400, "bad-request", [field] if field else None)


def test_a_cursor_whose_deal_is_gone_is_400(srv):
    rep = owner()
    for _ in range(2):
        new_deal(srv.admin, owner=rep)
    cursor = srv.admin.get(f"{DEALS}?owner={rep}&limit=1").body["next_cursor"]
    assert srv.admin.delete(f"{DEALS}/{cursor}").status == 204
    assert_problem(srv.admin.get(f"{DEALS}?owner={rep}&limit=1&cursor={cursor}"), 400, "bad-request")


@pytest.mark.parametrize("query,field", [("by=year", "by"), ("currency=usd", "currency"), ("stale_days=0", "stale_days"),
                                         ("stale_days=x", "stale_days")])
def test_bad_forecast_parameters_are_400(srv, query, field):
    assert_problem(srv.as_("viewer").get(f"{FORECAST}?{query}"), 400, "bad-request", [field])


@pytest.mark.parametrize("backend", BACKENDS)
def test_stage_probabilities_are_learnt_from_closed_deals(server_factory, backend):
    # Two open stages: fixed weights 1/3 and 2/3, the prior of 10 pseudo-deals.
    server = server_factory(backend, env={"DE_PIPELINE_STAGES": "qualify,propose"}, demo_data=False)
    admin = server.admin()
    won_early = new_deal(admin, stage="qualify", owner="ann", amount="100")
    move(admin, won_early, "won")  # reached qualify only
    for outcome in ("won", "won", "lost"):
        d = new_deal(admin, stage="qualify", owner="bob", amount="100")
        move(admin, d, "propose")
        move(admin, d, outcome)
    lost = new_deal(admin, owner="bob", amount="100")
    move(admin, lost, "lost")
    open_q = new_deal(admin, stage="qualify", owner="ann", amount="1000", expected_close="2030-01-20")
    open_p = new_deal(admin, stage="propose", owner="bob", amount="2000", expected_close="2030-01-05")
    set_by_hand = new_deal(admin, stage="propose", owner="", amount="500", probability=0.9)

    f = admin.get(FORECAST).body
    probabilities = {s["stage"]: s for s in f["stage_probabilities"]}
    assert (probabilities["qualify"]["reached"], probabilities["qualify"]["won"]) == (5, 3)
    assert (probabilities["propose"]["reached"], probabilities["propose"]["won"]) == (3, 2)
    assert probabilities["qualify"]["probability"] == pytest.approx((3 + 10 / 3) / 15)
    assert probabilities["propose"]["probability"] == pytest.approx((2 + 20 / 3) / 13)
    assert probabilities["qualify"]["fixed_weight"] == pytest.approx(1 / 3)
    pq, pp = probabilities["qualify"]["probability"], probabilities["propose"]["probability"]
    weighted = 1000 * pq + 2000 * pp + 500 * 0.9
    assert f["open"] == {"count": 3, "amount": "3500.00", "weighted": f"{weighted:.2f}"}
    assert f["win_rate"] == pytest.approx(3 / 5)
    assert f["closed"] == {"won": 3, "lost": 2, "won_amount": "300.00"}
    assert f["average_cycle_days"] >= 0 and f["stale"]["count"] == 0 and f["stale"]["threshold_days"] == 60
    assert [(g["key"], g["count"], g["amount"]) for g in f["groups"]] == [("qualify", 1, "1000.00"), ("propose", 2, "2500.00")]
    assert f["groups"][0]["weighted"] == f"{1000 * pq:.2f}"
    by_owner = {g["key"]: g for g in admin.get(FORECAST + "?by=owner").body["groups"]}
    assert set(by_owner) == {"ann", "bob", None} and by_owner[None]["weighted"] == "450.00"
    by_month = admin.get(FORECAST + "?by=month").body["groups"]
    assert [(g["key"], g["amount"]) for g in by_month] == [("2030-01", "3000.00"), (None, "500.00")]

    # The sales agent's task answers the same forecast.
    assert admin.post("/api/v1/agents", {"name": "Sales", "type": "sales"}).status == 201
    r = admin.post("/api/v1/tasks", {"type": "sales.pipeline_forecast", "input_data": {"by": "owner"}})
    assert r.status == 201, r
    task = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        admin.get(f"/api/v1/tasks/{r.body['id']}").body), timeout=15)
    assert task["status"] == "completed", task
    now = admin.get(FORECAST + "?by=owner").body
    # Stored task output passes through PostgreSQL's jsonb, which may round a double's last digit.
    cycles = [forecast.pop("average_cycle_days") for forecast in (task["output_data"], now)]
    assert cycles[0] == pytest.approx(cycles[1])
    for forecast in (task["output_data"], now):
        forecast.pop("as_of")
    assert task["output_data"] == now
    bad = admin.post("/api/v1/tasks", {"type": "sales.pipeline_forecast", "input_data": {"by": "year"}}).body
    failed = wait_for(lambda: (lambda t: t if t["status"] == "failed" else None)(admin.get(f"/api/v1/tasks/{bad['id']}").body), timeout=15)
    assert "by" in failed["error"] and failed["attempts"] == 1

    summary = admin.get("/api/v1/analytics/summary").body
    assert summary["pipeline_value"] == 3500 and summary["weighted_pipeline_value"] == pytest.approx(weighted, abs=0.01)
    assert set_by_hand["probability"] == 0.9 and open_q["stage"] == "qualify" and open_p["stage"] == "propose"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_demo_pipeline_is_loaded_once_with_its_history(server_factory, backend):
    server = server_factory(backend)
    admin = server.admin()
    f = admin.get(FORECAST).body
    assert f["open"]["amount"] == "2750982.00" and f["open"]["count"] == 1234
    assert f["closed"] == {"won": 4238, "lost": 2473, "won_amount": "10005534.00"}
    engaging = next(s for s in f["stage_probabilities"] if s["stage"] == "engaging")
    assert engaging["reached"] == 6711 and engaging["won"] == 4238
    assert f["stale"]["count"] > 0 and all(d["days_in_stage"] > 60 for d in f["stale"]["deals"])
    server.stop()
    assert server.run("init").returncode == 0  # again: nothing is added twice
    server.start()
    assert server.admin(fresh=True).get(FORECAST).body["open"]["count"] == 1234
