"""A backlog larger than the hub's in-memory window (DE_QUEUE_WINDOW, here 4 tasks per queue):
the tasks beyond it wait in the database only and are read back in queue order as the queue
drains, on both databases, after a restart too (start-up reads a window per queue, not the
whole backlog). Issue 26: memory bounded by the work in flight."""
import random

import pytest

from support.helpers import uid, wait_for

WINDOW = 4
RANK = {"low": 0, "normal": 1, "high": 2, "critical": 3}


def submit(server, type_, count, rng, **fields):
    """`count` tasks with random priorities, one request each (so each has its own created time)."""
    made = []
    for i in range(count):
        r = server.admin().post("/api/v1/tasks", {"type": type_, "priority": rng.choice(list(RANK)),
                                                  "input_data": {"i": i}, **fields})
        assert r.status == 201 and r.body["status"] == "queued", r
        made.append(r.body)
    return made


def finished(server, tasks):
    def all_done():
        got = [server.admin().get(f"/api/v1/tasks/{t['id']}").body for t in tasks]
        return got if all(g["status"] == "completed" for g in got) else None
    return wait_for(all_done, timeout=60, message="every task of the backlog to complete")


def assert_queue_order(done):
    """One seat ran them one at a time: they started by priority, then by age (ids are time-ordered)."""
    expected = sorted(done, key=lambda t: (-RANK[t["priority"]], t["id"]))
    started = [t["started_at"] for t in expected]
    assert started == sorted(started), [(t["priority"], t["started_at"]) for t in expected]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_backlog_beyond_the_window_runs_whole_and_in_queue_order(server_factory, backend):
    server = server_factory(backend, env={"DE_QUEUE_WINDOW": str(WINDOW)})
    type_ = f"it.window.{uid()}"
    r = server.admin().post("/api/v1/agents", {"name": f"window-{uid()}", "type": "echo", "capabilities": [type_],
                                               "config": {"max_concurrency": 1}})
    assert r.status == 201, r
    agent = r.body
    rng = random.Random(26)

    def backlog(restart):
        assert server.admin().post(f"/api/v1/agents/{agent['id']}/pause").status == 200
        by_type = submit(server, type_, 30, rng)
        pinned = submit(server, type_, 12, rng, assigned_agent=agent["id"])
        if restart:  # the backlog stored, the memory gone: what is beyond the window is found again
            server.restart()
        assert server.admin().post(f"/api/v1/agents/{agent['id']}/start").status == 200
        done_by_type, done_pinned = finished(server, by_type), finished(server, pinned)
        assert all(t["assigned_agent"] == agent["id"] and t["attempts"] == 1 for t in done_by_type + done_pinned)
        assert_queue_order(done_by_type)
        assert_queue_order(done_pinned)

    backlog(restart=False)
    backlog(restart=True)
    # Each queue was read back by its own query, not found again by the hub's scan of every
    # queued task after its read failed (the order alone would not tell: on SQLite the agent's
    # read named an index that no longer existed, and the scan still ran the tasks in order).
    failed = [e for e in server.log_entries() if e.get("msg") == "reading the queue failed"]
    assert not failed, failed[:3]
