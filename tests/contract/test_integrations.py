"""Integrations (docs/integrations.md): the registry (CRUD, per-type checks, write-only sealed
credentials that no answer, event or log line shows), credential checks against the vendors and
their actions. The vendors are stand-ins: Prism serving the contracts in ../shared/contracts
(Slack, Jira, Confluence, Salesforce: a request the contract rejects fails the test), a HubSpot
stand-in written from the contract's fact sheet, and a real SMTP server on loopback (aiosmtpd)."""
import base64
import email
import email.policy
import hashlib
import hmac
import json
import time

import pytest
from support.helpers import assert_problem, uid, wait_for
from support.receiver import JsonStandin
from support.server import free_port
from support.standins import contracts

SECRET = "xoxb-" + "s3cr3t-" * 3


def create(client, body, status=201):
    r = client.post("/api/v1/integrations", body)
    assert r.status == status, r
    return r.body


def slack(base_url, **config):
    return {"name": "slack " + uid(), "type": "slack", "config": {"base_url": base_url, **config},
            "credentials": {"bot_token": SECRET}}


def closed_port():
    """A port nothing listens on."""
    return free_port()


def test_an_integration_is_created_read_listed_changed_and_deleted(srv):
    admin = srv.admin
    made = create(srv.as_("manager"), {"name": "Team Slack", "type": "slack", "credentials": {"bot_token": SECRET}})
    assert set(made) == {"id", "name", "type", "config", "credentials_set", "is_active", "last_sync", "last_test",
                         "created_by", "created_at", "updated_at"}, made
    assert made["config"] == {"base_url": "https://slack.com/api"}, made  # the default filled in
    assert made["credentials_set"] == ["bot_token"] and made["is_active"] is True, made
    assert made["last_test"] is None and made["last_sync"] is None, made
    assert made["created_by"] == srv.users["manager"]["id"], made

    assert srv.as_("viewer").get(f"/api/v1/integrations/{made['id']}").body == made
    slack_ids = [i["id"] for i in admin.list_all("/api/v1/integrations?type=slack")]
    assert made["id"] in slack_ids
    assert made["id"] not in [i["id"] for i in admin.list_all("/api/v1/integrations?type=jira")]
    assert_problem(admin.get("/api/v1/integrations?type=fax"), 400, fields=["type"])

    r = admin.patch(f"/api/v1/integrations/{made['id']}",
                    {"config": {"default_channel": "#sales"}, "credentials": {"signing_secret": "sign-" + SECRET}})
    assert r.status == 200, r
    assert r.body["config"] == {"base_url": "https://slack.com/api", "default_channel": "#sales"}, r
    assert r.body["credentials_set"] == ["bot_token", "signing_secret"], r
    r = admin.patch(f"/api/v1/integrations/{made['id']}", {"credentials": {"signing_secret": None}, "is_active": False})
    assert r.body["credentials_set"] == ["bot_token"] and r.body["is_active"] is False, r
    assert_problem(admin.patch(f"/api/v1/integrations/{made['id']}", {"type": "email"}), 422, fields=["type"])
    # A required credential cannot be removed.
    assert_problem(admin.patch(f"/api/v1/integrations/{made['id']}", {"credentials": {"bot_token": None}}), 422,
                   fields=["credentials.bot_token"])

    assert admin.delete(f"/api/v1/integrations/{made['id']}").status == 204
    assert_problem(admin.get(f"/api/v1/integrations/{made['id']}"), 404)
    assert_problem(admin.delete(f"/api/v1/integrations/{made['id']}"), 404)


def test_credentials_are_sealed_and_never_shown_in_answers_events_or_the_log(srv):
    made = create(srv.admin, {"name": "sealed", "type": "jira",
                              "config": {"base_url": "https://example.atlassian.net", "project_key": "DE"},
                              "credentials": {"email": "bot@example.com", "api_token": SECRET}})
    srv.admin.patch(f"/api/v1/integrations/{made['id']}", {"credentials": {"api_token": SECRET + "-2"}})
    srv.admin.delete(f"/api/v1/integrations/{made['id']}")
    events = srv.server.sql("SELECT topic, data FROM events WHERE topic LIKE 'integrations.%'")
    mine = [(topic, data) for topic, data in events if made["id"] in str(data)]
    assert {t for t, _ in mine} >= {"integrations.created", "integrations.updated", "integrations.deleted"}, mine
    assert all(SECRET not in str(data) for _, data in mine), mine
    assert SECRET not in srv.server.log_tail(100000)


def test_the_stored_credentials_are_sealed(srv):
    made = create(srv.admin, slack("https://slack.example.com/api"))
    (stored,), = srv.server.sql("SELECT credentials_encrypted FROM integrations WHERE id = ?", (made["id"],))
    assert stored and SECRET not in stored and "bot_token" not in stored, stored


@pytest.mark.parametrize("body,fields", [
    ({"name": "x", "type": "fax"}, ["type"]),
    ({"type": "slack", "credentials": {"bot_token": "t"}}, ["name"]),
    ({"name": "x", "type": "jira", "credentials": {"email": "a@b.c", "api_token": "t"}}, ["config.base_url"]),
    ({"name": "x", "type": "jira", "config": {"base_url": "ftp://x"}, "credentials": {"email": "a@b.c"}},
     ["config.base_url", "credentials.api_token"]),
    ({"name": "x", "type": "slack", "config": {"colour": "red"}, "credentials": {"bot_token": "t", "pin": "1"}},
     ["config.colour", "credentials.pin"]),
    ({"name": "x", "type": "email", "config": {"smtp_url": "http://mail", "from": "nobody", "starttls": "maybe"}},
     ["config.smtp_url", "config.from", "config.starttls"]),
    ({"name": "x", "type": "email", "config": {"smtp_url": "smtp://mail", "from": "a@b.c"},
      "credentials": {"username": "u"}}, ["credentials.password"]),
    ({"name": "x", "type": "salesforce", "config": {"instance_url": "https://x.my.salesforce.com"},
      "credentials": {"client_id": 5}}, ["credentials.client_id", "credentials.client_secret"]),
    ({"name": "x", "type": "hubspot", "credentials": {"access_token": "t"}, "is_active": "yes"}, ["is_active"]),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_written(srv, body, fields):
    before = srv.admin.count("/api/v1/integrations")
    assert_problem(srv.admin.post("/api/v1/integrations", body), 422, fields=fields)
    assert srv.admin.count("/api/v1/integrations") == before


def test_slack_check_and_message_against_the_contract(srv, prism_standin):
    standin = prism_standin("slack/slack-web-api.openapi.json")
    made = create(srv.admin, slack(standin.url, default_channel="C012AB3CD"))
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/test")
    assert r.status == 200, r
    assert r.body["ok"] is True and isinstance(r.body["latency_ms"], int), r
    assert [c["name"] for c in r.body["checks"]] == ["auth.test"] and r.body["checks"][0]["passed"], r
    last = srv.admin.get(f"/api/v1/integrations/{made['id']}").body["last_test"]
    assert last["ok"] is True and last["detail"] == "every check passed" and last["at"], last

    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/post_message", {"input": {"text": "Deal won"}})
    assert r.status == 200, r
    assert set(r.body) == {"ts", "channel"} and r.body["ts"], r
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/send_email", {"input": {"text": "x"}})
    assert_problem(r, 422, fields=["action"])
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/post_message", {"input": {"channel": "C1"}})
    assert_problem(r, 422, fields=["input.text"])


def test_a_channel_is_needed_when_there_is_no_default(srv, prism_standin):
    standin = prism_standin("slack/slack-web-api.openapi.json")
    made = create(srv.admin, slack(standin.url))
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/post_message", {"input": {"text": "hi"}})
    assert_problem(r, 422, fields=["input.channel"])


def test_an_unreachable_vendor_fails_the_check_and_the_action_without_a_5xx_for_the_check(srv):
    made = create(srv.admin, slack(f"http://127.0.0.1:{closed_port()}/api", default_channel="C1"))
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/test")
    assert r.status == 200 and r.body["ok"] is False, r
    assert "cannot connect" in r.body["checks"][0]["detail"], r
    assert srv.admin.get(f"/api/v1/integrations/{made['id']}").body["last_test"]["ok"] is False
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/post_message", {"input": {"text": "hi"}})
    body = assert_problem(r, 502)
    assert "cannot connect" in body["detail"], body


def test_a_switched_off_integration_runs_no_action(srv, prism_standin):
    standin = prism_standin("slack/slack-web-api.openapi.json")
    made = create(srv.admin, {**slack(standin.url, default_channel="C1"), "is_active": False})
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/post_message", {"input": {"text": "hi"}})
    assert_problem(r, 422)


def test_jira_check_issue_and_comment_against_the_contract(srv, prism_standin):
    # Answers made from the schemas: the document's examples of these answers are JSON text in a string.
    standin = prism_standin("jira/jira-cloud-platform-v3.openapi.json", dynamic=True)
    made = create(srv.admin, {"name": "jira " + uid(), "type": "jira",
                              "config": {"base_url": standin.url, "project_key": "DE"},
                              "credentials": {"email": "bot@example.com", "api_token": SECRET}})
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/test")
    assert r.body["ok"] is True and r.body["checks"][0]["name"] == "search issues", r
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/create_issue",
                       {"input": {"summary": "Export to CSV", "description": "As a user\nI want a CSV export"}})
    assert r.status == 200, r
    assert r.body["key"] and r.body["id"] and r.body["url"] == f"{standin.url}/browse/{r.body['key']}", r
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/add_comment",
                       {"input": {"issue": r.body["key"], "text": "Analysed: 3 stories"}})
    assert r.status == 200 and r.body["id"], r


def contract_validator(contract, schema_path, one_of_as_any_of=False):
    """A JSON Schema validator for the schema at `schema_path` (keys) inside a vendor contract,
    its $refs resolved in that document; `one_of_as_any_of` for a contract whose oneOf cannot be
    met (below)."""
    import jsonschema
    folder, looked = contracts.find(contract)
    if not folder:
        raise FileNotFoundError(f"no contract {contract} in any of {', '.join(map(str, looked))}")
    text = (folder / contract).read_text()
    document = json.loads(text.replace('"oneOf"', '"anyOf"') if one_of_as_any_of else text)
    schema = document
    for key in schema_path:
        schema = schema[key]
    return jsonschema.Draft202012Validator({**schema, "components": document["components"]})


@pytest.fixture
def standins():
    made = []

    def make(respond):
        made.append(JsonStandin(respond))
        return made[-1]
    yield make
    for standin in made:
        standin.close()


def test_confluence_check_and_page_against_the_contract(srv, prism_standin, standins):
    standin = prism_standin("confluence/confluence-cloud-v2-pages.openapi.json")
    made = create(srv.admin, {"name": "wiki " + uid(), "type": "confluence",
                              "config": {"base_url": standin.url, "space_id": "123"},
                              "credentials": {"email": "bot@example.com", "api_token": SECRET}})
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/test")
    assert r.body["ok"] is True and r.body["checks"][0]["name"] == "read pages", r

    # Not Prism for the page: the contract's page body is oneOf two schemas that every object
    # matches (neither has required fields), so Prism refuses any body; read here as anyOf.
    validator = contract_validator("confluence/confluence-cloud-v2-pages.openapi.json",
                                   ["components", "requestBodies", "PageCreateRequest", "content",
                                    "application/json", "schema"], one_of_as_any_of=True)
    rejected = []

    def pages(method, path, headers, body):
        errors = [e.message for e in validator.iter_errors(body)]
        if method != "POST" or path != "/pages" or not headers.get("Authorization", "").startswith("Basic ") or errors:
            rejected.append((method, path, errors))
            return 400, {"errors": [{"status": 400, "title": "; ".join(errors) or "bad request"}]}, {}
        return 200, {"id": "65537", "status": body["status"], "title": body["title"], "spaceId": body["spaceId"],
                     "_links": {"base": "https://example.atlassian.net/wiki", "webui": "/spaces/DE/pages/65537"}}, {}
    confluence = standins(pages)
    srv.admin.patch(f"/api/v1/integrations/{made['id']}", {"config": {"base_url": confluence.url}})
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/create_page",
                       {"input": {"title": "Requirements", "body": "<p>Three stories</p>"}})
    assert r.status == 200, r
    assert r.body == {"id": "65537", "title": "Requirements",
                      "url": "https://example.atlassian.net/wiki/spaces/DE/pages/65537"}, r
    assert rejected == []
    assert confluence.requests == [("POST", "/pages", {
        "spaceId": "123", "status": "current", "title": "Requirements",
        "body": {"representation": "storage", "value": "<p>Three stories</p>"}})]


def hubspot_contacts(token):
    """GET /crm/v3/objects/contacts as hubspot/crm-v3-objects.md describes it: a page of contacts
    for the right private-app token, the vendor's error body and 401 otherwise."""
    def respond(method, path, headers, body):
        if method != "GET" or not path.startswith("/crm/v3/objects/contacts?"):
            return 404, {"status": "error", "message": "no such route", "category": "OBJECT_NOT_FOUND"}, {}
        if headers.get("Authorization") != f"Bearer {token}":
            return 401, {"status": "error", "category": "INVALID_AUTHENTICATION", "correlationId": "c0ffee",
                         "message": "Authentication credentials not found."}, {}
        return 200, {"results": [{"id": "1", "properties": {"email": "ada@example.com"}, "archived": False,
                                  "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}]}, {}
    return respond


def test_hubspot_check_passes_with_the_token_and_reports_the_vendors_401(srv, standins):
    standin = standins(hubspot_contacts("pat-good"))
    good = create(srv.admin, {"name": "hs " + uid(), "type": "hubspot", "config": {"base_url": standin.url},
                              "credentials": {"access_token": "pat-good"}})
    r = srv.admin.post(f"/api/v1/integrations/{good['id']}/test")
    assert r.body["ok"] is True and "1 contact" in r.body["checks"][0]["detail"], r
    assert standin.requests[-1][1].startswith("/crm/v3/objects/contacts?limit=1"), standin.requests
    bad = create(srv.admin, {"name": "hs " + uid(), "type": "hubspot", "config": {"base_url": standin.url},
                             "credentials": {"access_token": "pat-revoked"}})
    r = srv.admin.post(f"/api/v1/integrations/{bad['id']}/test")
    assert r.status == 200 and r.body["ok"] is False, r
    assert r.body["checks"][0]["detail"] == "HTTP 401: Authentication credentials not found.", r
    last = srv.admin.get(f"/api/v1/integrations/{bad['id']}").body["last_test"]
    assert last["ok"] is False and "401" in last["detail"], last


def test_a_rate_limited_message_is_sent_again_after_retry_after(srv, standins):
    validator = contract_validator("slack/slack-web-api.openapi.json",
                                   ["paths", "/chat.postMessage", "post", "requestBody", "content",
                                    "application/json", "schema"])
    sent_at = []

    def post_message(method, path, headers, body):
        assert (method, path) == ("POST", "/chat.postMessage") and headers["Authorization"] == f"Bearer {SECRET}"
        assert list(validator.iter_errors(body)) == []
        sent_at.append(time.monotonic())
        if len(sent_at) == 1:  # Slack's rate limit: 429 with Retry-After, in seconds
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"}
        return 200, {"ok": True, "channel": body["channel"], "ts": "1700000000.000100"}, {}
    slack_standin = standins(post_message)
    made = create(srv.admin, slack(slack_standin.url, default_channel="C1"))
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/post_message", {"input": {"text": "hi"}})
    assert r.status == 200 and r.body == {"ts": "1700000000.000100", "channel": "C1"}, (r, slack_standin.requests)
    assert len(sent_at) == 2 and sent_at[1] - sent_at[0] >= 1.9, sent_at  # waited as asked, not 0.5 s


def email_integration(srv, mail_server, password=None):
    return create(srv.admin, mail_server.integration(password))


def test_email_check_and_a_message_read_back(srv, mail_server):
    made = email_integration(srv, mail_server)
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/test")
    assert r.body["ok"] is True, r
    assert [c["name"] for c in r.body["checks"]] == ["connect", "auth", "noop"], r
    assert mail_server.messages == []  # a check mails nothing

    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/send_email", {"input": {
        "to": ["ada@example.com"], "cc": "grace@example.com", "subject": "Quartalsbericht für Q3",
        "text": "Hello Ada,\n.the pipeline grew 12%.\nRegards"}})
    assert r.status == 200, r
    assert r.body["accepted"] == ["ada@example.com", "grace@example.com"], r
    wait_for(lambda: mail_server.messages, message="the message arrives")
    envelope = mail_server.messages[0]
    assert envelope.mail_from == "de@example.com"
    assert envelope.rcpt_tos == ["ada@example.com", "grace@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["From"] == "Digital Enterprise <de@example.com>"
    assert message["To"] == "ada@example.com" and message["Cc"] == "grace@example.com"
    assert message["Subject"] == "Quartalsbericht für Q3"
    assert message["Message-ID"] == r.body["message_id"] and message["Date"].datetime.tzinfo is not None
    # CRLF line ends, and the line that starts with a dot came through (SMTP dot-stuffing).
    assert message.get_content() == "Hello Ada,\r\n.the pipeline grew 12%.\r\nRegards\r\n"


def test_email_check_names_the_refused_login(srv, mail_server):
    made = email_integration(srv, mail_server, "wrong")
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/test")
    assert r.body["ok"] is False, r
    assert [(c["name"], c["passed"]) for c in r.body["checks"]] == [("connect", True), ("auth", False)], r
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/send_email",
                       {"input": {"to": "ada@example.com", "subject": "x", "text": "y"}})
    assert_problem(r, 502)
    assert mail_server.messages == []


def test_email_input_is_checked(srv, mail_server):
    made = email_integration(srv, mail_server)
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/actions/send_email",
                       {"input": {"to": ["not an address"], "subject": "two\nlines"}})
    assert_problem(r, 422, fields=["input.to", "input.subject", "input.text"])


def test_a_workflow_step_posts_to_slack(srv, prism_standin):
    standin = prism_standin("slack/slack-web-api.openapi.json")
    made = create(srv.admin, slack(standin.url))
    r = srv.admin.post("/api/v1/workflows", {"name": "announce " + uid(), "status": "active", "definition": {
        "trigger": {"type": "manual"},
        "steps": [{"id": "post", "type": "integration", "integration": made["name"], "action": "post_message",
                   "input": {"channel": "C012AB3CD", "text": "Deal {{input.deal}} won"}}],
        "output": {"ts": "{{steps.post.output.ts}}"}}})
    assert r.status == 201, r
    execution = srv.admin.post(f"/api/v1/workflows/{r.body['id']}/execute", {"input": {"deal": "ACME"}}).body

    def finished():
        e = srv.admin.get(f"/api/v1/workflow-executions/{execution['id']}").body
        return e if e["status"] in ("completed", "failed") else None
    done = wait_for(finished, timeout=20, message="the execution ends")
    assert done["status"] == "completed", done
    step = done["steps"][0]
    assert step["input"]["input"] == {"channel": "C012AB3CD", "text": "Deal ACME won"}, step
    assert step["output"]["ts"] and done["output"]["ts"] == step["output"]["ts"], done


def test_a_workflow_step_fails_for_an_unknown_integration(srv):
    r = srv.admin.post("/api/v1/workflows", {"name": "nowhere " + uid(), "status": "active", "definition": {
        "trigger": {"type": "manual"},
        "steps": [{"id": "post", "type": "integration", "integration": "no such " + uid(),
                   "action": "post_message", "input": {"text": "x"}}]}})
    execution = srv.admin.post(f"/api/v1/workflows/{r.body['id']}/execute", {"input": {}}).body

    def finished():
        e = srv.admin.get(f"/api/v1/workflow-executions/{execution['id']}").body
        return e if e["status"] in ("completed", "failed") else None
    done = wait_for(finished, timeout=20, message="the execution ends")
    assert done["status"] == "failed" and "integration" in done["steps"][0]["error"], done


def slack_signed(secret, body, timestamp=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature, "Content-Type": "application/json"}


def test_inbound_slack_webhooks_are_verified_kept_once_and_answered(srv):
    secret = "sign-" + SECRET
    made = create(srv.admin, {**slack("https://slack.example.com/api"),
                              "credentials": {"bot_token": SECRET, "signing_secret": secret}})
    hook = f"/api/v1/webhooks/{made['id']}"
    anonymous = srv.anonymous()
    body = json.dumps({"type": "event_callback", "event_id": "Ev" + uid(), "event": {"type": "message", "text": "hi"}}).encode()
    r = anonymous.request("POST", hook, raw_body=body, headers=slack_signed(secret, body))
    assert r.status == 200 and r.body["duplicate"] is False, r
    rows = srv.server.sql("SELECT body FROM inbound_webhooks WHERE integration_id = ?", (made["id"],))
    assert [row[0] for row in rows] == [body.decode()]
    events = [data for topic, data in srv.server.sql("SELECT topic, data FROM events WHERE topic = ?",
                                                         ("integrations.webhook_received",)) if made["id"] in str(data)]
    assert len(events) == 1 and r.body["id"] in str(events[0]), events

    # The same signed request again (a replay, or the vendor's retry): answered, not kept again.
    headers = slack_signed(secret, body, timestamp=int(time.time()) - 10)
    first = anonymous.request("POST", hook, raw_body=body, headers=headers)
    again = anonymous.request("POST", hook, raw_body=body, headers=headers)
    assert first.body["duplicate"] is False and again.status == 200 and again.body["duplicate"] is True, (first, again)
    assert len(srv.server.sql("SELECT id FROM inbound_webhooks WHERE integration_id = ?", (made["id"],))) == 2

    assert_problem(anonymous.request("POST", hook, raw_body=body + b" ", headers=headers), 401)
    stale = slack_signed(secret, body, timestamp=int(time.time()) - 301)
    body_of_stale = assert_problem(anonymous.request("POST", hook, raw_body=body, headers=stale), 401)
    assert "5 minutes" in body_of_stale["detail"], body_of_stale
    assert_problem(anonymous.request("POST", hook, raw_body=body, headers={"Content-Type": "application/json"}), 401)
    assert_problem(anonymous.request("POST", "/api/v1/webhooks/01a20ce4-61b4-7003-b6ba-9486d2112aa4", raw_body=body,
                                     headers=headers), 404)

    challenge = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                            "token": "legacy"}).encode()
    r = anonymous.request("POST", hook, raw_body=challenge, headers=slack_signed(secret, challenge))
    assert r.status == 200 and r.body == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}, r


def test_inbound_hubspot_v3_and_generic_hmac_webhooks(srv):
    hubspot = create(srv.admin, {"name": "hs " + uid(), "type": "hubspot",
                                 "config": {"webhook_url": "https://de.example.com/api/v1/webhooks/x"},
                                 "credentials": {"access_token": "pat", "client_secret": "client-" + SECRET}})
    body = b'[{"eventId":1,"subscriptionType":"contact.creation","objectId":123}]'
    timestamp = str(int(time.time() * 1000))
    source = b"POST" + b"https://de.example.com/api/v1/webhooks/x" + body + timestamp.encode()
    signature = base64.b64encode(hmac.new(("client-" + SECRET).encode(), source, hashlib.sha256).digest()).decode()
    headers = {"X-HubSpot-Request-Timestamp": timestamp, "X-HubSpot-Signature-v3": signature,
               "Content-Type": "application/json"}
    r = srv.anonymous().request("POST", f"/api/v1/webhooks/{hubspot['id']}", raw_body=body, headers=headers)
    assert r.status == 200 and r.body["duplicate"] is False, r

    jira = create(srv.admin, {"name": "jira " + uid(), "type": "jira", "config": {"base_url": "https://x.atlassian.net"},
                              "credentials": {"email": "a@b.c", "api_token": "t", "webhook_secret": "whk-" + SECRET}})
    body = b'{"webhookEvent":"jira:issue_created"}'
    timestamp = str(int(time.time()))
    signature = "sha256=" + hmac.new(("whk-" + SECRET).encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": signature, "Content-Type": "application/json"}
    r = srv.anonymous().request("POST", f"/api/v1/webhooks/{jira['id']}", raw_body=body, headers=headers)
    assert r.status == 200 and r.body["duplicate"] is False, r
    # Without a webhook_secret, nothing is taken.
    confluence = create(srv.admin, {"name": "wiki " + uid(), "type": "confluence",
                                    "config": {"base_url": "https://x.atlassian.net/wiki/api/v2"},
                                    "credentials": {"email": "a@b.c", "api_token": "t"}})
    r = srv.anonymous().request("POST", f"/api/v1/webhooks/{confluence['id']}", raw_body=body, headers=headers)
    assert_problem(r, 401)


def test_slacks_refusal_with_http_200_fails_the_check_with_its_error(srv, standins):
    # Slack answers method errors with HTTP 200 and {"ok": false, "error"} (the contract's `default`).
    slack_standin = standins(lambda method, path, headers, body: (200, {"ok": False, "error": "invalid_auth"}, {}))
    made = create(srv.admin, slack(slack_standin.url))
    r = srv.admin.post(f"/api/v1/integrations/{made['id']}/test")
    assert r.status == 200 and r.body["ok"] is False, r
    assert r.body["checks"] == [{"name": "auth.test", "passed": False, "detail": "invalid_auth"}], r
    assert slack_standin.requests == [("GET", "/auth.test", None)]


def test_the_product_agent_publishes_requirements_to_jira_and_confluence(srv, prism_standin, standins):
    """product.publish_requirements (docs/product.md, "Publishing"): a Jira issue per requirement
    of a saved analysis (Prism serving Jira's contract) and a Confluence page listing them (a
    stand-in that checks each body against the contract's schema); a refused call stops the rest
    and is reported with what was made before it."""
    srv.new_agent("product_manager")
    jira_standin = prism_standin("jira/jira-cloud-platform-v3.openapi.json", dynamic=True)
    jira = create(srv.admin, {"name": "jira " + uid(), "type": "jira", "config": {"base_url": jira_standin.url},
                              "credentials": {"email": "bot@example.com", "api_token": SECRET}})
    validator = contract_validator("confluence/confluence-cloud-v2-pages.openapi.json",
                                   ["components", "requestBodies", "PageCreateRequest", "content",
                                    "application/json", "schema"], one_of_as_any_of=True)

    def pages(method, path, headers, body):
        errors = [e.message for e in validator.iter_errors(body)]
        if method != "POST" or path != "/pages" or errors:
            return 400, {"errors": [{"status": 400, "title": "; ".join(errors) or "bad request"}]}, {}
        return 200, {"id": "65540", "status": "current", "title": body["title"], "spaceId": body["spaceId"],
                     "_links": {"base": "https://example.atlassian.net/wiki", "webui": "/spaces/DE/pages/65540"}}, {}
    wiki_standin = standins(pages)
    wiki = create(srv.admin, {"name": "wiki " + uid(), "type": "confluence", "config": {"base_url": wiki_standin.url},
                              "credentials": {"email": "bot@example.com", "api_token": SECRET}})
    text = ("1. The system shall export every report as PDF within 10 seconds.\n"
            "2. Users should be able to reset their password quickly.\n"
            "3. The <admin> & auditor shall see the audit log.\n")
    saved = srv.as_("operator").post("/api/v1/requirements", {"title": "Reports " + uid(), "text": text})
    assert saved.status == 201, saved

    def publish(**input_data):
        r = srv.as_("operator").post("/api/v1/tasks", {"type": "product.publish_requirements",
                                                       "input_data": {"analysis_id": saved.body["id"], **input_data}})
        assert r.status == 201, r
        return wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
            srv.admin.get(f"/api/v1/tasks/{r.body['id']}").body), timeout=60, message="the publishing task")

    done = publish(jira=jira["name"], project_key="DE", confluence=wiki["id"], space_id="123")
    assert done["status"] == "completed", done
    out = done["output_data"]
    assert out["stopped"] is None and out["version"] == 1, out
    assert [i["requirement"] for i in out["issues"]] == ["R1", "R2", "R3"], out
    assert all(i["key"] and i["url"].startswith(jira_standin.url + "/browse/") for i in out["issues"]), out
    assert out["page"] == {"id": "65540", "title": f"Requirements: {saved.body['title']} (version 1)",
                           "url": "https://example.atlassian.net/wiki/spaces/DE/pages/65540"}, out
    [(method, path, page)] = wiki_standin.requests
    body = page["body"]["value"]
    assert page["spaceId"] == "123" and body.count("<tr>") == 4, body
    assert "The &lt;admin&gt; &amp; auditor shall see the audit log." in body, body
    assert all(f">{i['key']}</a>" in body for i in out["issues"]), body

    # Jira unreachable: nothing is made, the task says where it stopped and why; bad input fails at once.
    down = create(srv.admin, {"name": "jira down " + uid(), "type": "jira",
                              "config": {"base_url": f"http://127.0.0.1:{closed_port()}"},
                              "credentials": {"email": "bot@example.com", "api_token": SECRET}})
    stopped = publish(jira=down["id"], project_key="DE", confluence=wiki["id"])
    assert stopped["status"] == "completed", stopped
    assert stopped["output_data"]["issues"] == [] and stopped["output_data"]["page"] is None
    assert stopped["output_data"]["stopped"]["at"] == "R1" and stopped["output_data"]["stopped"]["error"], stopped
    assert len(wiki_standin.requests) == 1
    wrong = publish(jira=wiki["id"])
    assert wrong["status"] == "failed" and "input_data.jira" in wrong["error"], wrong
