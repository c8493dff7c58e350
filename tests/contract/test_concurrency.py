"""Races: the same write sent many times at once has exactly one effect, and never a 5xx."""
import threading
from collections import Counter

from support.helpers import uid

N = 10


def at_once(fn, n=N):
    """Runs fn(i) for i in range(n) in threads released together; returns the results."""
    results = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def statuses(responses):
    return Counter(r.status for r in responses)


def test_same_idempotency_key_at_once_creates_one_task(srv):
    type_ = f"it.race.{uid()}"
    key = "race-" + uid()
    client = srv.as_("operator")
    rs = at_once(lambda i: client.post("/api/v1/tasks", {"type": type_}, headers={"Idempotency-Key": key}))
    assert statuses(rs) == Counter({201: 1, 200: N - 1}), statuses(rs)
    assert len({r.body["id"] for r in rs}) == 1
    assert all(r.headers.get("Idempotent-Replayed") == "true" for r in rs if r.status == 200)
    assert len(srv.admin.list_all(f"/api/v1/tasks?type={type_}")) == 1


def test_same_email_at_once_creates_one_user(srv):
    email = f"race-{uid()}@example.com"
    rs = at_once(lambda i: srv.admin.post("/api/v1/users", {"email": email, "password": "long-enough-pw"}))
    assert statuses(rs) == Counter({201: 1, 409: N - 1}), statuses(rs)
    assert [u["email"] for u in srv.admin.list_all("/api/v1/users")].count(email) == 1


def test_same_agent_name_at_once_creates_one_agent(srv):
    name = f"race-{uid()}"
    rs = at_once(lambda i: srv.admin.post("/api/v1/agents", {"name": name, "type": "remote"}))
    assert statuses(rs) == Counter({201: 1, 409: N - 1}), statuses(rs)
    assert [a["name"] for a in srv.admin.list_all("/api/v1/agents")].count(name) == 1


def test_same_refresh_token_at_once_rotates_at_most_once(srv):
    user = srv.new_user("viewer")
    token = srv.login(user["email"], user["password"])["refresh_token"]
    rs = at_once(lambda i: srv.anonymous().post("/api/v1/auth/refresh", {"refresh_token": token}))
    counts = statuses(rs)
    assert counts[200] <= 1 and counts[200] + counts[401] == N, counts


def test_cancel_and_retry_at_once_take_effect_once(srv):
    task = srv.new_task()
    rs = at_once(lambda i: srv.as_("operator").post(f"/api/v1/tasks/{task['id']}/cancel"))
    assert statuses(rs) == Counter({200: 1, 409: N - 1}), statuses(rs)
    rs = at_once(lambda i: srv.as_("operator").post(f"/api/v1/tasks/{task['id']}/retry"))
    assert statuses(rs) == Counter({200: 1, 409: N - 1}), statuses(rs)
    assert srv.admin.post(f"/api/v1/tasks/{task['id']}/cancel").status == 200


def test_deleting_at_once_succeeds_once(srv):
    agent = srv.new_agent()
    rs = at_once(lambda i: srv.admin.delete(f"/api/v1/agents/{agent['id']}"))
    assert statuses(rs) == Counter({204: 1, 404: N - 1}), statuses(rs)
