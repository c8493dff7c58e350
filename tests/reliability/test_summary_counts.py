"""The summary's task counts, latencies and waiting tasks by type are kept as tasks change
(database triggers, migrations 18 and 31), not recounted: after a random workload with a kill -9
in the middle they equal a full recount of the tasks table, on both databases."""
import math
import random
import time

import pytest

from support.helpers import uid

SUMMARY = "/api/v1/analytics/summary"
STATUSES = ("pending", "queued", "running", "completed", "failed", "cancelled")


def bucket_floor(ms):
    """The lower bound of the run time's bucket: exact below 20 ms, then 5 % wide."""
    if ms < 20:
        return float(max(ms, 0))
    return 20.0 * 1.05 ** math.floor(math.log(ms / 20.0) / math.log(1.05))


def recount(server):
    counts = {s: 0 for s in STATUSES}
    for status, n in server.sql("SELECT status, count(*) FROM tasks GROUP BY status"):
        counts[status] = n
    return counts


def recount_latency(server, now_ms):
    since_minute = (now_ms - 3600 * 1000) // 60000
    times = sorted(d for d, at in server.sql(
        "SELECT completed_at - started_at, completed_at FROM tasks WHERE status = 'completed' "
        "AND started_at IS NOT NULL AND completed_at IS NOT NULL") if at // 60000 >= since_minute)
    if not times:
        return {"p50": None, "p95": None}
    at = lambda q: bucket_floor(times[int(q * (len(times) - 1) + 0.5)])
    return {"p50": at(0.5), "p95": at(0.95)}


def random_round(admin, rng, waiting_type, queued):
    """A batch of echo tasks (placed and completed at once) and tasks no agent takes; some of
    those cancelled, some cancelled ones retried."""
    tasks = [{"type": "echo" if rng.random() < 0.7 else waiting_type, "input_data": {"n": rng.randrange(1000)},
              "priority": rng.choice(["low", "normal", "high", "critical"])} for _ in range(rng.randrange(5, 40))]
    r = admin.post("/api/v1/tasks/batch", {"tasks": tasks})
    assert r.status == 201, r
    queued.extend(t["id"] for t in r.body["items"] if t["type"] == waiting_type)
    for _ in range(rng.randrange(0, 4)):
        if not queued:
            break
        task_id = queued.pop(rng.randrange(len(queued)))
        assert admin.post(f"/api/v1/tasks/{task_id}/cancel").status == 200
        if rng.random() < 0.5:
            assert admin.post(f"/api/v1/tasks/{task_id}/retry").status in (200, 201)
            queued.append(task_id)


def settle(admin, waiting):
    """Until every echo task has completed: none runs, and only the `waiting` tasks (of a type
    no agent takes) are queued. (On PostgreSQL a queued echo task waits for the hub's next scan.)"""
    deadline = time.time() + 90
    while time.time() < deadline:
        by_status = admin.get(SUMMARY).body["tasks_by_status"]
        if by_status["running"] == 0 and by_status["queued"] + by_status["pending"] == waiting:
            return
        time.sleep(0.2)
    raise AssertionError(f"tasks still running or queued: {by_status}")


def assert_equal_to_recount(server, admin):
    for _ in range(3):  # a minute may turn between the two reads
        before = int(time.time() * 1000)
        summary = admin.get(SUMMARY).body
        latency = recount_latency(server, before)
        counts = recount(server)
        if latency == summary["latency_ms"] or int(time.time() * 1000) // 60000 == before // 60000:
            break
    assert summary["tasks_by_status"] == counts, server.sql("SELECT status, shard, n FROM task_counts ORDER BY 1, 2")
    assert summary["tasks_total"] == sum(counts.values())
    assert summary["queue_depth"] == counts["queued"] + counts["pending"]
    assert summary["latency_ms"] == latency
    # What waits is of the type no agent takes: the stalled queue counts all of it (migration 31).
    waiting = dict(server.sql("SELECT type, count(*) FROM tasks WHERE status IN ('pending', 'queued') GROUP BY type"))
    stalled = {row["type"]: row["waiting"] for row in summary["stalled_queue"]}
    assert stalled == waiting, server.sql("SELECT type, shard, n FROM task_waiting ORDER BY 1, 2")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_summary_equals_a_recount_after_a_random_workload_and_a_kill_9(server_factory, backend):
    server = server_factory(backend)
    admin = server.admin()
    rng = random.Random(26)
    waiting_type = f"it.waiting.{uid()}"
    queued = []
    for _ in range(30):
        random_round(admin, rng, waiting_type, queued)
    settle(admin, len(queued))
    assert_equal_to_recount(server, admin)

    # kill -9 with writes in flight, then more of the same on the restarted server.
    import threading
    stop = threading.Event()

    def load():
        client = server.admin()
        local = random.Random(7)
        while not stop.is_set():
            try:
                client.post("/api/v1/tasks/batch", {"tasks": [{"type": "echo", "input_data": {"n": local.randrange(9)}}
                                                              for _ in range(50)]})
            except Exception:  # the server is gone for a moment
                time.sleep(0.05)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    server.start()
    admin = server.admin(fresh=True)
    for _ in range(20):
        random_round(admin, rng, waiting_type, queued)
    settle(admin, len(queued))
    assert_equal_to_recount(server, admin)
    assert recount(server)["completed"] > 500
