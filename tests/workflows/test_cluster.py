"""Two nodes on one PostgreSQL database (issue 22): a schedule fires once per time across the
cluster, a workflow saved on one node is armed on the other, and a delay armed by a node that
dies (kill -9) is woken by the one left."""
import calendar
import collections
import time

from support.helpers import wait_for


def create(admin, definition, name):
    r = admin.post("/api/v1/workflows", {"name": name, "definition": definition, "status": "active"})
    assert r.status == 201, r.body
    return r.body


def executions(admin, workflow_id):
    return admin.get(f"/api/v1/workflow-executions?workflow_id={workflow_id}&limit=200").body["items"]


def test_schedules_fire_once_and_delays_outlive_their_node(server_factory):
    first = server_factory("postgres")
    second = server_factory("sqlite", init=False, admin_password=first.admin_password,
                            env={"DE_DATABASE_URL": first.database_url})
    on_first, on_second = first.admin(), second.admin()

    # Saved on the first node: the second arms it too within its watch interval (5 s).
    every_second = create(on_first, {"trigger": {"type": "schedule", "cron": "* * * * * *", "timezone": "UTC"},
                                     "steps": [{"id": "a", "type": "delay", "seconds": 0}]}, "every second")
    delayed = create(on_first, {"trigger": {"type": "manual"},
                                "steps": [{"id": "wait", "type": "delay", "seconds": 3}]}, "three seconds")
    time.sleep(6.5)
    r = on_first.post(f"/api/v1/workflows/{delayed['id']}/execute", {})
    assert r.status in (200, 201, 202), r.body
    waiting = r.body["id"]
    wait_for(lambda: on_first.get(f"/api/v1/workflow-executions/{waiting}").body["status"] == "waiting",
             message="the delay step waiting")

    # The node that armed the delay dies; the other wakes it once it is overdue.
    first.kill9()
    killed_at = time.time()
    wait_for(lambda: on_second.get(f"/api/v1/workflow-executions/{waiting}").body["status"] == "completed",
             timeout=25, message="the dead node's delay woken by the other node")
    woken = on_second.get(f"/api/v1/workflow-executions/{waiting}").body
    assert [s["status"] for s in woken["steps"]] == ["completed"]

    # Both nodes armed the schedule while both lived: still one execution per second.
    runs = executions(on_second, every_second["id"])
    on_second.patch(f"/api/v1/workflows/{every_second['id']}", {"status": "archived"})
    times = collections.Counter(run["input"]["scheduled_at"] for run in runs)
    assert times and max(times.values()) == 1, [t for t, n in times.items() if n > 1]
    assert len(times) >= 8, sorted(times)
    # ... and the node left kept firing it after the other died.
    after_kill = [t for t in times if calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) > killed_at]
    assert after_kill, sorted(times)
