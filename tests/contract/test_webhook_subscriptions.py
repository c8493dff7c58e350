"""Outbound webhooks (docs/integrations.md): subscriptions, Standard Webhooks signatures, retries,
the dead-letter list, redelivery by hand, isolation of a slow receiver, and no event lost when
the server is killed mid-stream. The receivers are real HTTP servers on loopback."""
import base64
import hashlib
import hmac
import json
import time

import pytest
from support.helpers import assert_problem, wait_for
from support.receiver import Receiver


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        made.append(Receiver(**kw))
        return made[-1]
    yield make
    for r in made:
        r.close()


def verify(secret, headers, body):
    """Standard Webhooks: v1,base64(HMAC-SHA256(key, id.timestamp.body)), key = base64 after whsec_."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in headers["webhook-signature"].split(" ")


def subscribe(admin, url, topics):
    r = admin.post("/api/v1/webhook-subscriptions", {"url": url, "topics": topics, "description": "test"})
    assert r.status == 201, r
    return r.body


def new_deal(admin, name):
    r = admin.post("/api/v1/deals", {"name": name, "amount": "10.00"})
    assert r.status == 201, r
    return r.body["id"]


def test_events_arrive_signed_and_the_secret_is_shown_once(srv, receiver):
    hook = receiver()
    sub = subscribe(srv.admin, hook.url, ["deals.created"])
    try:
        assert sub["secret"].startswith("whsec_") and sub["status"] == "active"
        deal = new_deal(srv.admin, "webhook deal")
        wait_for(lambda: any(e["data"]["id"] == deal for e in hook.events()), message="the deal's event")
        headers, body = next((h, b) for h, b in hook.requests if json.loads(b)["data"]["id"] == deal)
        event = json.loads(body)
        assert event["topic"] == "deals.created" and event["type"] == "event"
        assert headers["webhook-id"] == f"msg_{event['id']}" and headers["content-type"] == "application/json"
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
        assert verify(sub["secret"], headers, body), "the signature verifies with the secret"
        assert not verify("whsec_" + base64.b64encode(b"x" * 32).decode(), headers, body)
        # Only the topics asked for: a deal update is not sent.
        assert srv.admin.patch(f"/api/v1/deals/{deal}", {"name": "renamed"}).status == 200
        shown = srv.admin.get(f"/api/v1/webhook-subscriptions/{sub['id']}")
        assert shown.status == 200 and "secret" not in shown.body and "secret" not in json.dumps(shown.body)
        assert all("secret" not in s for s in srv.admin.get("/api/v1/webhook-subscriptions").body["items"])
        log = wait_for(lambda: srv.admin.get(f"/api/v1/webhook-subscriptions/{sub['id']}/deliveries").body["items"],
                       message="the delivery log")
        assert [(d["topic"], d["status"], d["attempts"], d["response_status"]) for d in log] == \
            [("deals.created", "delivered", 1, 200)]
        assert all(e["topic"] == "deals.created" for e in hook.events())
        # A rotated secret signs what follows; the old one no longer verifies.
        rotated = srv.admin.post(f"/api/v1/webhook-subscriptions/{sub['id']}/rotate-secret")
        assert rotated.status == 200 and rotated.body["secret"] != sub["secret"]
        second = new_deal(srv.admin, "after rotation")
        wait_for(lambda: any(e["data"]["id"] == second for e in hook.events()), message="the second event")
        headers, body = next((h, b) for h, b in hook.requests if json.loads(b)["data"]["id"] == second)
        seen = [(h["webhook-id"], json.loads(b)["topic"], verify(sub["secret"], h, b), verify(rotated.body["secret"], h, b))
                for h, b in hook.requests]
        assert verify(rotated.body["secret"], headers, body) and not verify(sub["secret"], headers, body), seen
    finally:
        assert srv.admin.delete(f"/api/v1/webhook-subscriptions/{sub['id']}").status == 204
    assert_problem(srv.admin.get(f"/api/v1/webhook-subscriptions/{sub['id']}"), 404)


def test_bad_subscriptions_are_refused_and_only_admins_manage_them(srv):
    for body, field in [({"url": "ftp://example.com/x", "topics": ["*"]}, "url"),
                        ({"url": "http://127.0.0.1:9/x", "topics": []}, "topics"),
                        ({"url": "http://127.0.0.1:9/x", "topics": ["has space"]}, "topics"),
                        ({"topics": ["*"]}, "url"),
                        ({"url": "http://127.0.0.1:9/x", "topics": ["*"], "status": "sleeping"}, "status"),
                        ({"url": "http://127.0.0.1:9/x", "topics": ["*"], "secret": "mine"}, "secret")]:
        r = srv.admin.post("/api/v1/webhook-subscriptions", body)
        assert_problem(r, 422)
        assert field in json.dumps(r.body.get("errors", r.body)), (body, r.body)
    for role in ("manager", "operator", "viewer"):
        assert_problem(srv.as_(role).get("/api/v1/webhook-subscriptions"), 403)
        assert_problem(srv.as_(role).post("/api/v1/webhook-subscriptions",
                                          {"url": "http://127.0.0.1:9/x", "topics": ["*"]}), 403)


def test_a_failing_receiver_is_retried_then_dead_then_redelivered(server_factory, receiver):
    server = server_factory(env={"DE_WEBHOOK_RETRY_SCHEDULE": "200ms,300ms"})
    admin = server.admin()
    up = {"now": False}
    hook = receiver(status=lambda n: 200 if up["now"] else 503)
    sub = subscribe(admin, hook.url, ["deals.created"])
    deal = new_deal(admin, "refused")
    deliveries = f"/api/v1/webhook-subscriptions/{sub['id']}/deliveries"
    dead = wait_for(lambda: admin.get(deliveries + "?status=dead").body["items"], message="a dead delivery")
    assert dead[0]["attempts"] == 3 and dead[0]["response_status"] == 503 and "503" in dead[0]["error"]
    assert len(hook.requests) == 3 and {json.loads(b)["data"]["id"] for _, b in hook.requests} == {deal}
    assert len({h["webhook-id"] for h, _ in hook.requests}) == 1, "the same webhook-id on every attempt"
    up["now"] = True
    r = admin.post(f"{deliveries}/{dead[0]['id']}/redeliver")
    assert r.status == 202 and r.body["status"] == "retrying"
    wait_for(lambda: admin.get(deliveries + "?status=delivered").body["items"], message="the redelivery")
    assert admin.get(deliveries).body["items"][0]["attempts"] == 4
    # A receiver that recovers within the schedule gets the event without anyone's help.
    calls = {"n": 0}

    def flaky(n):
        calls["n"] += 1
        return 500 if calls["n"] <= 2 else 200
    hook.status = flaky
    second = new_deal(admin, "flaky")
    delivered = wait_for(lambda: [d for d in admin.get(deliveries + "?status=delivered").body["items"]
                                  if d["attempts"] == 3], message="the third attempt")
    event = next(json.loads(b) for _, b in hook.requests if json.loads(b)["data"]["id"] == second)
    assert [d["event_id"] for d in delivered] == [event["id"]], delivered
    assert_problem(admin.get(deliveries + "?status=lost"), 400)


def test_a_slow_receiver_does_not_delay_another(srv, receiver):
    slow, fast = receiver(delay=3.0), receiver()
    subs = [subscribe(srv.admin, slow.url, ["deals.created"]), subscribe(srv.admin, fast.url, ["deals.created"])]
    try:
        started = time.monotonic()
        ids = {new_deal(srv.admin, f"race {i}") for i in range(3)}
        wait_for(lambda: ids <= {e["data"]["id"] for e in fast.events()}, timeout=2.5, message="the fast receiver")
        assert time.monotonic() - started < 2.9
    finally:
        for s in subs:
            srv.admin.delete(f"/api/v1/webhook-subscriptions/{s['id']}")


def test_no_event_is_lost_when_the_server_is_killed(server_factory, receiver):
    server = server_factory()
    hook = receiver()
    admin = server.admin()
    subscribe(admin, hook.url, ["deals.created"])
    before = {new_deal(admin, f"before {i}") for i in range(30)}
    server.kill9()
    server.start()
    admin = server.admin(fresh=True)
    after = {new_deal(admin, f"after {i}") for i in range(10)}
    wait_for(lambda: (before | after) <= {e["data"]["id"] for e in hook.events()}, timeout=15,
             message="every deal's event, at least once")
