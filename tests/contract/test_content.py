"""Marketing content (docs/marketing.md): each kind written offline from a brief, with its check
report; the brand voice's words to avoid; personalisation from a lead, a deal and a campaign; A/B results
(added) and their analysis; the marketing agent's task; bad input."""
import secrets

import pytest

from support.helpers import assert_problem, wait_for

CONTENT = "/api/v1/content"
VOICE = "/api/v1/brand-voice"
BRIEF = {"product": "Ledgerly", "audience": "finance teams at small companies", "goal": "close the books faster",
         "call_to_action": "Book a demo",
         "facts": ["Bank feeds reconcile themselves every night", "Month-end close takes 3 days instead of 8",
                   "Works with the spreadsheets you already use"]}
HARD_CHECKS = {"length", "avoid_words", "claims", "call_to_action", "links"}
KINDS = [("email", None, {"subject", "preheader"}), ("social_post", "x", {"hashtags"}),
         ("social_post", "linkedin", {"hashtags"}), ("social_post", "instagram", {"hashtags"}),
         ("ad_copy", None, {"headline", "description"}), ("blog_outline", None, {"title", "sections"}),
         ("landing_page", None, {"headline", "subheadline"})]


def generate(client, kind="email", network=None, **extra):
    body = {"kind": kind, "brief": extra.pop("brief", BRIEF), **extra}
    if network:
        body["network"] = network
    return client.post(CONTENT, body)


@pytest.mark.parametrize("kind,network,fields", KINDS, ids=[f"{k}-{n}" if n else k for k, n, _ in KINDS])
def test_each_kind_is_written_offline_and_passes_its_checks(srv, kind, network, fields):
    r = generate(srv.as_("operator"), kind, network, variants=2, seed=11)
    assert r.status == 201, r
    content = r.body
    assert r.headers["location"] == f"{CONTENT}/{content['id']}"
    assert content["kind"] == kind and content["network"] == network and content["passed"] is True, [
        (c, v["body"]) for v in content["variants"] for c in v["checks"] if not c["passed"]]
    assert len(content["variants"]) == 2
    for v in content["variants"]:
        assert fields <= set(v), v
        assert v["body"].strip() and v["passed"] is True, v
        assert v["provider"] == "offline" and v["model"] == "offline-1"
        assert v["prompt"]["name"] == "marketing.content" and v["prompt"]["version"] >= 1
        names = {c["name"] for c in v["checks"]}
        assert HARD_CHECKS | {"readability", "spam_words"} <= names, names
        for check in v["checks"]:
            assert set(check) == {"name", "passed", "severity", "detail"} and check["detail"], check
            if check["severity"] == "hard":
                assert check["passed"], check
        assert "Book a demo" in v["body"] or "book a demo" in v["body"], v["body"]
    assert content["variants"][0]["body"] != content["variants"][1]["body"]
    assert srv.admin.get(f"{CONTENT}/{content['id']}").body == content
    # The same seed writes the same piece.
    again = generate(srv.as_("operator"), kind, network, variants=2, seed=11).body
    assert [v["body"] for v in again["variants"]] == [v["body"] for v in content["variants"]]


def test_the_prompt_template_is_stored_and_versioned(srv):
    generate(srv.admin, seed=1)
    prompts = srv.admin.list_all("/api/v1/prompts")
    prompt = next(p for p in prompts if p["name"] == "marketing.content")
    assert "{{input}}" in srv.admin.get(f"/api/v1/prompts/{prompt['id']}").body["versions"][0]["template"]


def test_the_brand_voice_is_applied_and_its_avoid_words_are_checked(srv):
    before = srv.admin.get(VOICE).body
    assert set(before) == {"tone", "words_to_use", "words_to_avoid", "reading_level", "examples"}
    try:
        voice = {"tone": "formal", "words_to_use": ["reliable"], "words_to_avoid": ["spreadsheets"],
                 "reading_level": 9, "examples": ["Dear customer, thank you."]}
        r = srv.as_("manager").request("PUT", VOICE, json=voice)
        assert r.status == 200 and r.body == voice, r
        assert srv.as_("viewer").get(VOICE).body == voice
        content = generate(srv.admin, "email", seed=3, variants=3).body
        for v in content["variants"]:
            assert "spreadsheets" not in v["body"].lower(), v["body"]
            assert v["body"].startswith("Hello") or v["body"].startswith("Dear"), v["body"]  # formal
            assert "Reliable" in v["body"] or "reliable" in v["body"]
            assert next(c for c in v["checks"] if c["name"] == "avoid_words")["passed"]
        # A brief whose product is a word to avoid cannot pass: it fails after one rewrite.
        bad = generate(srv.admin, "email", seed=3, brief={**BRIEF, "product": "Spreadsheets Pro"}).body
        variant = bad["variants"][0]
        assert bad["passed"] is False and variant["passed"] is False and variant["attempts"] == 2, bad
        failed = next(c for c in variant["checks"] if c["name"] == "avoid_words")
        assert failed["passed"] is False and "spreadsheets" in failed["detail"], failed
    finally:
        srv.admin.request("PUT", VOICE, json=before)


def test_unsupported_claims_in_a_brief_that_the_writer_cannot_meet_fail_with_reasons(srv):
    # A call to action over the ad network's 90 characters cannot fit: marked failing, with the reason.
    long_cta = "Book a demo with our team this week and see every feature for your own finance workflow today"
    content = generate(srv.admin, "ad_copy", seed=5, brief={**BRIEF, "call_to_action": long_cta}).body
    variant = content["variants"][0]
    assert variant["passed"] is False and variant["attempts"] == 2
    length = next(c for c in variant["checks"] if c["name"] == "length")
    assert length["passed"] is False and "/90" in length["detail"], length


def test_personalisation_uses_the_leads_data(srv):
    name = "Grace " + secrets.token_hex(3)
    lead = srv.admin.post("/api/v1/leads", {"name": name, "email": "grace@navy.example", "company": "Navy Labs",
                                            "attributes": {"industry": "defence"}}).body
    content = generate(srv.admin, "email", lead_id=lead["id"], seed=2).body
    assert content["recipient"]["source"] == "lead" and content["recipient"]["id"] == lead["id"]
    assert content["recipient"]["name"] == name and content["recipient"]["company"] == "Navy Labs"
    assert "industry: defence" in content["recipient"]["facts"]
    body = content["variants"][0]["body"]
    assert body.startswith("Hi Grace,"), body
    deal = srv.admin.post("/api/v1/deals", {"name": "Ledger rollout", "account": "Harbour Freight",
                                            "amount": 1200}).body
    by_deal = generate(srv.admin, "email", deal_id=deal["id"], seed=2).body
    assert by_deal["recipient"]["company"] == "Harbour Freight"
    assert "Harbour Freight" in by_deal["variants"][0]["body"]


def test_a_campaigns_piece_draws_on_its_data_and_tags_its_links(srv):
    name = "Autumn push " + secrets.token_hex(2)
    campaign = srv.admin.post("/api/v1/campaigns", {"name": name, "channel": "facebook", "budget": "500.00",
                                                    "start": "2026-10-01", "goal": "conversions"}).body
    r = srv.admin.post(f"/api/v1/campaigns/{campaign['id']}/results", {"results": [
        {"date": "2026-10-01", "spend": 40, "impressions": 12000, "clicks": 300, "conversions": 12, "revenue": 900},
        {"date": "2026-10-02", "spend": 35, "impressions": 10000, "clicks": 250, "conversions": 9, "revenue": 700}]})
    assert r.status in (200, 201), r
    brief = dict(BRIEF, call_to_action="Book a demo at https://ledgerly.example/demo")
    content = generate(srv.admin, "social_post", "instagram", brief=brief, campaign_id=campaign["id"], seed=3).body
    recipient = content["recipient"]
    assert recipient["source"] == "campaign" and recipient["id"] == campaign["id"] and recipient["name"] == name
    assert recipient["facts"] == ["channel: facebook", "goal: conversions",
                                  "results over 2 days: 22000 impressions, 550 clicks, 21 conversions"]
    variant = content["variants"][0]
    assert "utm_campaign=autumn-push-" in variant["body"] and "utm_source=instagram" in variant["body"], variant["body"]
    assert content["passed"] is True, variant["checks"]


def test_results_are_added_and_analysed(srv):
    content = generate(srv.admin, "email", variants=2, seed=4).body
    path = f"{CONTENT}/{content['id']}"
    early = srv.as_("viewer").get(f"{path}/analysis").body
    assert early["enough_data"] is False and "not enough data yet" in early["reason"], early
    assert [round(v["probability_best"], 1) for v in early["variants"]] == [0.5, 0.5]
    r = srv.as_("operator").post(f"{path}/results", {"results": [
        {"variant": 0, "sends": 600, "opens": 240, "clicks": 60, "conversions": 30},
        {"variant": 1, "sends": 600, "opens": 200, "clicks": 30, "conversions": 12}]})
    assert r.status == 200, r
    # Adds: a second batch on top of the first.
    srv.admin.post(f"{path}/results", {"results": [{"variant": 0, "sends": 400, "opens": 160, "clicks": 40, "conversions": 20},
                                                   {"variant": 1, "sends": 400, "opens": 150, "clicks": 20, "conversions": 8}]})
    variants = srv.admin.get(path).body["variants"]
    assert variants[0]["results"] == {"sends": 1000, "opens": 400, "clicks": 100, "conversions": 50}
    analysis = srv.admin.get(f"{path}/analysis").body
    assert analysis["enough_data"] is True and analysis["decided"] is True and analysis["leader"] == 0, analysis
    first = analysis["variants"][0]
    assert first["conversion_rate"]["value"] == pytest.approx(0.05)
    low, high = first["conversion_rate"]["interval"]
    assert low == pytest.approx(0.03813, abs=5e-4) and high == pytest.approx(0.06531, abs=5e-4)  # Wilson, 50/1000
    assert first["probability_best"] > 0.99
    assert sum(v["probability_best"] for v in analysis["variants"]) == pytest.approx(1.0)
    # More conversions than sends in total: refused whole, nothing added.
    r = srv.admin.post(f"{path}/results", {"results": [{"variant": 0, "sends": 1}, {"variant": 1, "conversions": 5000}]})
    assert_problem(r, 422, fields=["results"])
    assert srv.admin.get(path).body["variants"][0]["results"]["sends"] == 1000
    assert_problem(srv.admin.post(f"{path}/results", {"results": [{"variant": 4, "sends": 1}]}), 422,
                   fields=["results[0].variant"])


def test_the_marketing_agent_generates_content_as_a_task(srv):
    task = srv.admin.post("/api/v1/tasks", {"type": "marketing.generate_content",
                                            "input_data": {"kind": "social_post", "network": "x", "brief": BRIEF,
                                                           "seed": 9}}).body
    done = wait_for(lambda: (t := srv.admin.get(f"/api/v1/tasks/{task['id']}").body)["status"] in ("completed", "failed") and t,
                    message="the content task finished")
    assert done["status"] == "completed", done["error"]
    out = done["output_data"]
    assert out["task_id"] == task["id"] and out["passed"] is True
    assert srv.admin.get(f"{CONTENT}/{out['id']}").body["variants"][0]["body"] == out["variants"][0]["body"]
    bad = srv.admin.post("/api/v1/tasks", {"type": "marketing.generate_content", "input_data": {"kind": "poem"}}).body
    failed = wait_for(lambda: (t := srv.admin.get(f"/api/v1/tasks/{bad['id']}").body)["status"] == "failed" and t,
                      message="the bad task failed")
    assert "input_data.kind" in failed["error"] or "input_data.brief" in failed["error"], failed["error"]


def test_bad_input(srv):
    admin = srv.admin
    assert_problem(admin.request("POST", CONTENT, raw_body="{not json", headers={"Content-Type": "application/json"}), 400)
    assert_problem(admin.post(CONTENT, {"kind": "poem", "brief": BRIEF}), 422, fields=["kind"])
    assert_problem(admin.post(CONTENT, {"kind": "social_post", "brief": BRIEF}), 422, fields=["network"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "network": "x", "brief": BRIEF}), 422, fields=["network"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "brief": {**BRIEF, "call_to_action": " "}}), 422,
                   fields=["brief.call_to_action"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "brief": {"product": "X"}}), 422,
                   fields=["brief.audience", "brief.goal", "brief.call_to_action"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "brief": BRIEF, "variants": 6}), 422, fields=["variants"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "brief": BRIEF, "lead_id": "01a20ce4-61b4-7003-b6ba-9486d2112aa4"}),
                   422, fields=["lead_id"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "brief": BRIEF, "campaign_id": "01a20ce4-61b4-7003-b6ba-9486d2112aa4"}),
                   422, fields=["campaign_id"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "brief": BRIEF, "campaign_id": "nope"}), 422, fields=["campaign_id"])
    assert_problem(admin.post(CONTENT, {"kind": "email", "brief": BRIEF, "colour": "red"}), 422, fields=["colour"])
    assert_problem(admin.get(f"{CONTENT}/01a20ce4-61b4-7003-b6ba-9486d2112aa4"), 404)
    assert_problem(admin.request("PUT", VOICE, json={"tone": "", "reading_level": 0, "words_to_avoid": [""]}), 422,
                   fields=["tone", "reading_level", "words_to_avoid[0]"])


def test_a_configured_model_writes_through_the_prompt_and_the_same_checks_apply(server_factory, llm_standin):
    # The stand-in vendor answers any structured request with "stand-in" in every field: a piece
    # without the call to action, so it is written once more, then returned failing with the reason.
    server = server_factory(env={"DE_OPENAI_BASE_URL": llm_standin + "/v1", "DE_OPENAI_API_KEY": "sk-env-openai-0123456789",
                                 "DE_AI_PROVIDERS": "openai,offline"})
    admin = server.admin()
    r = admin.post(CONTENT, {"kind": "email", "brief": BRIEF, "seed": 1})
    assert r.status == 201, r
    variant = r.body["variants"][0]
    assert variant["provider"] == "openai" and variant["model"] and variant["model"] != "offline-1", variant
    assert variant["subject"] == "stand-in" and variant["body"] == "stand-in"
    assert variant["attempts"] == 2 and variant["passed"] is False and r.body["passed"] is False
    failed = {c["name"] for c in variant["checks"] if not c["passed"] and c["severity"] == "hard"}
    assert failed == {"call_to_action"}, variant["checks"]
    usage = admin.get("/api/v1/ai/usage?group_by=model").body
    assert any(row.get("requests", 0) >= 2 for row in usage["items"]), usage
