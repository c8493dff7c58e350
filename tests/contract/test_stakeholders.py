"""Stakeholders through the API (docs/product.md, "Stakeholders"): CRUD with influence and
interest from 1 to 5, the quadrant of the power/interest grid answered with each, and update drafts
made from the event log (requirements changed, deals moved) in the tone of the quadrant, stored as
drafts and sent by email (a real SMTP server on loopback) or Slack (Prism serving its contract);
bad input is a problem naming the field and writes nothing; product.stakeholder_update drafts the
same way as a task."""
import email
import email.policy
import secrets

from support.helpers import assert_problem, wait_for
from support.server import Session

STAKEHOLDERS = "/api/v1/stakeholders"
UPDATES = "/api/v1/stakeholders/updates"


def _new(srv, **fields):
    body = {"name": "S " + secrets.token_hex(4), "role": "CFO", "influence": 5, "interest": 5, **fields}
    r = srv.as_("manager").post(STAKEHOLDERS, body)
    assert r.status == 201, r
    return r.body


def test_crud_and_the_quadrant(srv):
    s = _new(srv, influence=5, interest=2, channel="slack", topics=["checkout", "billing"])
    assert s["quadrant"] == "keep_satisfied" and s["channel"] == "slack" and s["topics"] == ["checkout", "billing"]
    assert srv.as_("viewer").get(f"{STAKEHOLDERS}/{s['id']}").body == s
    assert s["id"] in [x["id"] for x in srv.as_("viewer").list_all(STAKEHOLDERS)]
    cases = [(5, 5, "manage_closely"), (3, 3, "manage_closely"), (4, 1, "keep_satisfied"), (2, 4, "keep_informed"),
             (1, 2, "monitor")]
    for influence, interest, quadrant in cases:
        r = srv.as_("manager").patch(f"{STAKEHOLDERS}/{s['id']}", {"influence": influence, "interest": interest})
        assert r.status == 200 and r.body["quadrant"] == quadrant, (influence, interest, r)
    assert srv.as_("viewer").get(f"{STAKEHOLDERS}/{s['id']}").body["quadrant"] == "monitor"
    assert srv.as_("manager").delete(f"{STAKEHOLDERS}/{s['id']}").status == 204
    assert_problem(srv.as_("viewer").get(f"{STAKEHOLDERS}/{s['id']}"), 404, "not-found")


def test_bad_input_names_the_field_and_writes_nothing(srv):
    name = "bad " + secrets.token_hex(4)
    m = srv.as_("manager")
    r = m.post(STAKEHOLDERS, {"name": name, "influence": 0, "interest": 6, "channel": "pigeon", "topics": [""],
                              "colour": "red"})
    assert_problem(r, 422, "validation", ["influence", "interest", "channel", "topics[0]", "colour"])
    assert_problem(m.post(STAKEHOLDERS, {"name": name}), 422, "validation", ["influence", "interest"])
    assert_problem(m.post(STAKEHOLDERS, {"name": " ", "influence": 1, "interest": 1}), 422, "validation", ["name"])
    assert name not in [x["name"] for x in srv.admin.list_all(STAKEHOLDERS)]
    s = _new(srv)
    assert_problem(m.patch(f"{STAKEHOLDERS}/{s['id']}", {"influence": "high"}), 422, "validation", ["influence"])
    assert srv.admin.get(f"{STAKEHOLDERS}/{s['id']}").body == s
    assert_problem(m.post(UPDATES, {"since": "last week"}), 422, "validation", ["since"])
    assert_problem(m.post(UPDATES, {"stakeholder_ids": ["01a20ce4-61b4-7003-b6ba-9486d2112aa4"]}), 404, "not-found")
    assert_problem(m.post(UPDATES, {"stakeholder_ids": ["nobody"]}), 422, "validation", ["stakeholder_ids[0]"])
    assert_problem(srv.as_("viewer").get(f"{UPDATES}?stakeholder_id=nope"), 400)
    assert_problem(srv.as_("operator").post(STAKEHOLDERS, {"name": "x", "influence": 1, "interest": 1}), 403, "forbidden")


def _recent_activity(srv, tag):
    """A saved analysis with a conflicting pair and a deal moved to lost: events to report."""
    text = ("1. The system shall lock an account after 3 failed login attempts.\n"
            "2. The system shall lock an account after 5 failed login attempts.\n")
    saved = srv.as_("operator").post("/api/v1/requirements", {"title": f"{tag} security", "text": text})
    assert saved.status == 201, saved
    deal = srv.as_("operator").post("/api/v1/deals", {"name": f"{tag} renewal", "amount": "1000.00"})
    assert deal.status == 201, deal
    moved = srv.as_("operator").patch(f"/api/v1/deals/{deal.body['id']}", {"stage": "lost"})
    assert moved.status == 200, moved
    return saved.body, deal.body


def test_updates_are_drafted_from_recent_events_in_the_quadrants_tone(srv):
    tag = "t" + secrets.token_hex(4)
    saved, deal = _recent_activity(srv, tag)
    close = _new(srv, name=f"Close {tag}", influence=5, interest=5, topics=[tag])
    satisfied = _new(srv, name=f"Satisfied {tag}", influence=5, interest=1, topics=[tag])
    informed = _new(srv, name=f"Informed {tag}", influence=1, interest=5, topics=[tag])
    monitor = _new(srv, name=f"Monitor {tag}", influence=1, interest=1, topics=[tag])
    unrelated = _new(srv, name=f"Other {tag}", topics=["no-such-topic-" + tag])
    ids = [s["id"] for s in (close, satisfied, informed, monitor, unrelated)]
    r = srv.as_("manager").post(UPDATES, {"stakeholder_ids": ids})
    assert r.status == 200, r
    drafts = {d["stakeholder_id"]: d for d in r.body["drafts"]}
    assert set(drafts) == set(ids[:4]), r.body
    assert [s["stakeholder_id"] for s in r.body["skipped"]] == [unrelated["id"]]
    assert "concerns their topics" in r.body["skipped"][0]["reason"]
    for d in drafts.values():
        assert d["status"] == "draft" and d["method"] == "rules" and d["event_ids"], d

    # manage closely: every change, and the decisions needed (the conflict, the lost deal).
    body = drafts[close["id"]]["body"]
    assert drafts[close["id"]]["quadrant"] == "manage_closely"
    assert f"Requirements '{tag} security' saved (version 1): 2 requirements" in body, body
    assert f"Deal '{tag} renewal' moved from prospecting to lost" in body, body
    assert "Your decision is needed on:" in body and "1 conflicting pair to resolve" in body and "was lost" in body
    assert drafts[close["id"]]["subject"].startswith("Decision needed: 2 points")
    # keep satisfied: the counts and what needs attention, not every line.
    body = drafts[satisfied["id"]]["body"]
    assert "2 changes in deals" in body and "1 change in requirements" in body and "moved from" not in body, body
    assert "was lost" in body
    # keep informed: every change, no request.
    body = drafts[informed["id"]]["body"]
    assert "moved from prospecting to lost" in body and "decision" not in body.lower(), body
    # monitor: a digest of counts.
    body = drafts[monitor["id"]]["body"]
    assert "Digest since" in body and "moved from" not in body and "was lost" not in body, body

    # Stored as drafts, readable by any reader.
    listed = srv.as_("viewer").get(f"{UPDATES}?stakeholder_id={close['id']}").body["items"]
    assert [d["id"] for d in listed] == [drafts[close["id"]]["id"]]
    one = srv.as_("viewer").get(f"{UPDATES}/{drafts[close['id']]['id']}")
    assert one.status == 200 and one.body == drafts[close["id"]]

    # Nothing new since now: nothing drafted.
    later = srv.as_("manager").post(UPDATES, {"stakeholder_ids": [close["id"]], "since": "2999-01-01T00:00:00Z"})
    assert later.status == 200 and later.body["drafts"] == [] and len(later.body["skipped"]) == 1, later


def test_deleting_a_stakeholder_deletes_their_drafts(srv):
    tag = "d" + secrets.token_hex(4)
    _recent_activity(srv, tag)
    s = _new(srv, topics=[tag])
    draft = srv.as_("manager").post(UPDATES, {"stakeholder_ids": [s["id"]]}).body["drafts"][0]
    assert srv.as_("manager").delete(f"{STAKEHOLDERS}/{s['id']}").status == 204
    assert_problem(srv.as_("viewer").get(f"{UPDATES}/{draft['id']}"), 404, "not-found")


def test_the_product_manager_agent_drafts_updates_as_a_task(srv):
    srv.new_agent("product_manager")
    tag = "a" + secrets.token_hex(4)
    _recent_activity(srv, tag)
    s = _new(srv, topics=[tag], influence=1, interest=5)
    priorities = srv.as_("operator").post("/api/v1/requirements/prioritize",
                                          {"text": f"1. The {tag} report must list every order."}).body
    r = srv.as_("operator").post("/api/v1/tasks", {"type": "product.stakeholder_update",
                                                   "input_data": {"stakeholder_ids": [s["id"]], "priorities": priorities}})
    assert r.status == 201, r
    done = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        srv.admin.get(f"/api/v1/tasks/{r.body['id']}").body), timeout=15, message="the update task to finish")
    assert done["status"] == "completed", done
    draft = done["output_data"]["drafts"][0]
    assert draft["stakeholder_id"] == s["id"] and draft["quadrant"] == "keep_informed"
    assert f"1 requirements prioritised (1 must); highest RICE score" in draft["body"], draft
    assert f"Deal '{tag} renewal' moved from prospecting to lost" in draft["body"], draft
    assert srv.admin.get(f"{UPDATES}/{draft['id']}").body == draft


def test_the_demo_requirements_review_runs_to_its_stakeholder_update(srv):
    """The demo workflow: analyse, prioritise, draft the stakeholders' updates from both."""
    tag = "w" + secrets.token_hex(4)
    s = _new(srv, topics=[tag], influence=5, interest=5)
    demo = next(w for w in srv.admin.list_all("/api/v1/workflows") if w["name"] == "Requirements review")
    # The demo data keeps it a draft: an active copy runs.
    copy = srv.admin.post("/api/v1/workflows", {"name": f"review {tag}", "definition": demo["definition"], "status": "active"})
    assert copy.status == 201, copy
    workflow = copy.body
    document = f"1. The {tag} checkout must accept 5,000 customers at once.\n2. The {tag} receipt should be e-mailed.\n"
    r = srv.as_("operator").post(f"/api/v1/workflows/{workflow['id']}/execute", {"input": {"document": document}})
    assert r.status in (200, 201, 202), r
    execution = wait_for(lambda: (lambda e: e if e["status"] in ("completed", "failed", "cancelled") else None)(
        srv.admin.get(f"/api/v1/workflow-executions/{r.body['id']}").body), timeout=30, message="the review to finish")
    assert execution["status"] == "completed", execution
    drafts = srv.admin.get(f"{UPDATES}?stakeholder_id={s['id']}").body["items"]
    assert len(drafts) == 1, drafts
    assert "2 requirements prioritised (1 must, 1 should)" in drafts[0]["body"], drafts[0]
    assert f"R1 \"The {tag} checkout must accept 5,000 customers at once.\"" in drafts[0]["body"], drafts[0]


def test_with_a_model_configured_the_ai_layer_words_the_draft_and_the_rules_keep_bad_estimates_out(server_factory,
                                                                                                  llm_standin):
    """The stand-in vendor answers plain chats with one sentence and schema'd calls with a value
    built from the schema (impact 4.2, confidence 4.2: outside RICE's ranges)."""
    server = server_factory(env={"DE_OPENAI_BASE_URL": llm_standin + "/v1", "DE_OPENAI_API_KEY": "sk-env-openai-0123456789",
                                 "DE_AI_PROVIDERS": "openai,offline", "DE_AI_MAX_ATTEMPTS": "1"})
    admin = server.admin()
    r = admin.post("/api/v1/requirements/prioritize", {"text": "1. The system must export invoices as PDF."})
    assert r.status == 200, r
    p = r.body["items"][0]["priority"]
    assert p["method"] == "rules" and p["impact"] in (0.25, 0.5, 1, 2, 3) and 0 < p["confidence"] <= 1, r.body
    tag = "m" + secrets.token_hex(4)
    assert admin.post("/api/v1/requirements", {"title": tag, "text": "1. The system must export invoices as PDF."}).status == 201
    s = admin.post(STAKEHOLDERS, {"name": "Model reader", "influence": 5, "interest": 5, "topics": [tag]}).body
    drafts = admin.post(UPDATES, {"stakeholder_ids": [s["id"]]}).body["drafts"]
    assert drafts[0]["method"] == "model" and drafts[0]["provider"].startswith("openai/"), drafts
    assert drafts[0]["body"] == "Hello from the stand-in."
    assert drafts[0]["event_ids"], drafts
    # Both calls went through the AI service and are in its usage records.
    wait_for(lambda: sum(row["requests"] for row in admin.get("/api/v1/ai/usage?group_by=provider").body["items"]) >= 2,
             message="the model calls recorded")


# ---- sending (docs/product.md, "Sending") -----------------------------------------------------

def _draft_for(srv, tag, **fields):
    """A stakeholder whose topics match fresh activity, and one draft for them."""
    _recent_activity(srv, tag)
    s = _new(srv, topics=[tag], **fields)
    r = srv.as_("manager").post(UPDATES, {"stakeholder_ids": [s["id"]]})
    assert r.status == 200 and len(r.body["drafts"]) == 1, r
    return s, r.body["drafts"][0]


def test_an_update_goes_out_by_email_through_the_only_email_integration(server_factory, mail_server):
    server = server_factory("sqlite")
    session = Session(server)
    m = session.as_("manager")
    tag = "t" + secrets.token_hex(4)
    s, draft = _draft_for(session, tag, name="Ada Lovelace", channel="email", contact="ada@example.com")
    assert s["contact"] == "ada@example.com"
    assert draft["status"] == "draft" and draft["sent_at"] is None and draft["delivery"] is None
    # No email integration yet: nothing to send it with.
    assert_problem(m.post(f"{UPDATES}/{draft['id']}/send"), 409, "conflict")
    mail = session.admin.post("/api/v1/integrations", mail_server.integration())
    assert mail.status == 201, mail

    sent = m.post(f"{UPDATES}/{draft['id']}/send")
    assert sent.status == 200, sent
    assert sent.body["status"] == "sent" and sent.body["sent_via"] == mail.body["id"] and sent.body["sent_at"]
    assert sent.body["delivery"]["accepted"] == ["ada@example.com"]
    wait_for(lambda: mail_server.messages, message="the update arrives")
    envelope = mail_server.messages[0]
    assert envelope.rcpt_tos == ["ada@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == draft["subject"] and message["Message-ID"] == sent.body["delivery"]["message_id"]
    assert message.get_content().replace("\r\n", "\n").strip() == draft["body"].strip()
    assert m.get(f"{UPDATES}/{draft['id']}").body == sent.body
    # Once only.
    assert_problem(m.post(f"{UPDATES}/{draft['id']}/send"), 409, "conflict")
    assert len(mail_server.messages) == 1
    topics = [row[0] for row in server.sql("SELECT topic FROM events WHERE topic = 'stakeholders.update_sent'")]
    assert topics == ["stakeholders.update_sent"]
    audit = session.admin.get("/api/v1/audit?action=stakeholders.update_sent")
    assert audit.status == 200 and [e["target_id"] for e in audit.body["items"]] == [draft["id"]], audit


def test_an_update_goes_to_slack_through_the_integration_named(srv, prism_standin):
    standin = prism_standin("slack/slack-web-api.openapi.json")
    m = srv.as_("manager")
    slack = srv.admin.post("/api/v1/integrations", {"name": "slack " + secrets.token_hex(4), "type": "slack",
                                                    "config": {"base_url": standin.url},
                                                    "credentials": {"bot_token": "xoxb-" + secrets.token_hex(8)}})
    assert slack.status == 201, slack
    tag = "t" + secrets.token_hex(4)
    _, draft = _draft_for(srv, tag, channel="slack", contact="C012AB3CD")
    sent = m.post(f"{UPDATES}/{draft['id']}/send", {"integration": slack.body["name"]})
    assert sent.status == 200, sent
    # Prism answers from the contract's example, and fails the test if our request broke it.
    assert sent.body["status"] == "sent" and set(sent.body["delivery"]) == {"ts", "channel"}, sent


def test_what_cannot_be_sent_is_refused_clearly_and_stays_a_draft(srv, mail_server):
    m = srv.as_("manager")
    mail = srv.admin.post("/api/v1/integrations", mail_server.integration()).body
    tag = "t" + secrets.token_hex(4)
    _, by_phone = _draft_for(srv, tag, channel="phone")
    r = m.post(f"{UPDATES}/{by_phone['id']}/send", {"integration": mail["id"]})
    assert_problem(r, 409, "conflict")
    assert "phone" in r.body["detail"]
    _, no_address = _draft_for(srv, tag + "b", channel="email")
    r = m.post(f"{UPDATES}/{no_address['id']}/send", {"integration": mail["id"]})
    assert_problem(r, 409, "conflict")
    assert "contact" in r.body["detail"]
    _, by_mail = _draft_for(srv, tag + "c", channel="email", contact="grace@example.com")
    jira = srv.admin.post("/api/v1/integrations", {"name": "jira " + tag, "type": "jira",
                                                  "config": {"base_url": "https://example.atlassian.net"},
                                                  "credentials": {"email": "a@example.com", "api_token": "t"}}).body
    assert_problem(m.post(f"{UPDATES}/{by_mail['id']}/send", {"integration": jira["id"]}), 422, "validation", ["integration"])
    assert_problem(m.post(f"{UPDATES}/{by_mail['id']}/send", {"integration": 7}), 422, "validation", ["integration"])
    assert_problem(srv.as_("operator").post(f"{UPDATES}/{by_mail['id']}/send", {"integration": mail["id"]}), 403)
    assert_problem(m.post(f"{UPDATES}/01a20ce4-61b4-7003-b6ba-9486d2112aa4/send"), 404, "not-found")
    assert_problem(m.patch(f"{STAKEHOLDERS}/{by_mail['stakeholder_id']}", {"contact": "not-an-address"}), 422,
                   "validation", ["contact"])
    for draft in (by_phone, no_address, by_mail):
        assert srv.admin.get(f"{UPDATES}/{draft['id']}").body["status"] == "draft"
    assert mail_server.messages == []


def _finished(srv, task_id):
    return wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        srv.admin.get(f"/api/v1/tasks/{task_id}").body), timeout=30, message="the task to finish")


def test_the_product_manager_agent_sends_an_update_as_a_task(srv, mail_server):
    srv.new_agent("product_manager")
    mail = srv.admin.post("/api/v1/integrations", mail_server.integration()).body
    tag = "t" + secrets.token_hex(4)
    _, draft = _draft_for(srv, tag, channel="email", contact="cy@example.com")
    r = srv.as_("operator").post("/api/v1/tasks", {"type": "product.send_stakeholder_update",
                                                   "input_data": {"update_id": draft["id"], "integration": mail["name"]}})
    assert r.status == 201, r
    done = _finished(srv, r.body["id"])
    assert done["status"] == "completed", done
    assert done["output_data"]["status"] == "sent" and done["output_data"]["sent_via"] == mail["id"]
    wait_for(lambda: mail_server.messages, message="the update arrives")
    assert mail_server.messages[0].rcpt_tos == ["cy@example.com"]
    # Sent once: a second task fails and says why.
    again = srv.as_("operator").post("/api/v1/tasks", {"type": "product.send_stakeholder_update",
                                                       "input_data": {"update_id": draft["id"]}}).body
    failed = _finished(srv, again["id"])
    assert failed["status"] == "failed" and "sent already" in failed["error"], failed
    assert len(mail_server.messages) == 1
