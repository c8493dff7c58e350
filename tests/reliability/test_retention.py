"""Retention (DE_RETENTION_*): finished tasks, events and finished workflow executions older
than their window are deleted in the background, after an archive of every deleted row; nothing
unfinished and nothing within the window is deleted; a replay from before the oldest kept event
is told to resync; the summary still equals a recount. On both databases."""
import glob
import gzip
import json
import os
import time

import pytest

from support import ws
from support.helpers import uid, wait_for

WINDOW_DAYS = 0.0001  # 8.64 s
WINDOW_S = WINDOW_DAYS * 86400


def archived_rows(directory):
    rows = {}
    for path in glob.glob(os.path.join(directory, "*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            for line in f:
                record = json.loads(line)
                rows.setdefault(record["table"], []).append(record["row"])
    return rows


def execute_workflow(admin, name):
    definition = {"trigger": {"type": "manual"},
                  "steps": [{"id": "a", "type": "task", "task_type": "echo", "input": {"v": 1}}]}
    r = admin.post("/api/v1/workflows", {"name": name, "definition": definition, "status": "active"})
    assert r.status == 201, r
    r = admin.post(f"/api/v1/workflows/{r.body['id']}/execute", {"input": {}})
    assert r.status in (200, 201, 202), r
    return r.body["id"]


def wait_finished(admin, execution_id):
    deadline = time.time() + 20
    while time.time() < deadline:
        if admin.get(f"/api/v1/workflow-executions/{execution_id}").body["status"] == "completed":
            return
        time.sleep(0.1)
    raise AssertionError("the execution did not finish")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_retention_deletes_only_finished_items_past_the_window_and_archives_them(server_factory, backend, tmp_path):
    archive = str(tmp_path / "archive")
    server = server_factory(backend, env={
        "DE_RETENTION_TASKS_DAYS": str(WINDOW_DAYS), "DE_RETENTION_EVENTS_DAYS": str(WINDOW_DAYS),
        "DE_RETENTION_WORKFLOW_EXECUTIONS_DAYS": str(WINDOW_DAYS), "DE_RETENTION_ARCHIVE_DIR": archive,
        "DE_RETENTION_INTERVAL": "1"})
    admin = server.admin()
    waiting_type = f"it.waiting.{uid()}"
    # Old: echo tasks (completed at once), tasks no agent takes (queued), some cancelled.
    old = admin.post("/api/v1/tasks/batch", {"tasks": [{"type": "echo", "input_data": {"n": n}} for n in range(300)]})
    assert old.status == 201
    old_done = [t["id"] for t in old.body["items"]]
    waiting = [admin.post("/api/v1/tasks", {"type": waiting_type}).body["id"] for _ in range(5)]
    cancelled = [admin.post("/api/v1/tasks", {"type": waiting_type}).body["id"] for _ in range(3)]
    for task_id in cancelled:
        assert admin.post(f"/api/v1/tasks/{task_id}/cancel").status == 200
    old_execution = execute_workflow(admin, f"old-{uid()}")
    wait_finished(admin, old_execution)
    # The changes of leads, companies and deals (here the demo pipeline's) stay: their tables
    # are rebuilt from them (docs/integrations.md, "Event sourcing").
    source = "topic LIKE 'leads.%' OR topic LIKE 'companies.%' OR topic LIKE 'deals.%'"
    kept_apart = {row[0] for row in server.sql(f"SELECT id FROM events WHERE {source}")}
    assert kept_apart, "the demo pipeline's events"
    old_events = [row[0] for row in server.sql(f"SELECT id FROM events WHERE NOT ({source}) ORDER BY id")]
    last_old_event = old_events[-1]

    time.sleep(WINDOW_S + 0.5)
    # New, within the window when the pruner looks.
    new = admin.post("/api/v1/tasks/batch", {"tasks": [{"type": "echo", "input_data": {"n": n}} for n in range(20)]})
    new_done = [t["id"] for t in new.body["items"]]
    new_execution = execute_workflow(admin, f"new-{uid()}")
    wait_finished(admin, new_execution)

    # The pruner deletes each finished status in its own statements (completed, failed, then
    # cancelled): wait for all of them, not only the first.
    expired = old_done + cancelled
    wait_for(lambda: server.sql("SELECT count(*) FROM tasks WHERE id IN (%s)" % ",".join("?" * len(expired)),
                                expired)[0][0] == 0, timeout=6, interval=0.3, message="the expired tasks pruned")
    ids = {row[0]: row[1] for row in server.sql("SELECT id, status FROM tasks")}
    assert not [i for i in old_done if i in ids], "finished tasks past the window are deleted"
    assert not [i for i in cancelled if i in ids]
    assert all(ids.get(i) == "queued" for i in waiting), "unfinished tasks stay, however old"
    assert all(ids.get(i) == "completed" for i in new_done), "tasks within the window stay"
    executions = {row[0] for row in server.sql("SELECT id FROM workflow_executions")}
    assert old_execution not in executions and new_execution in executions
    assert server.sql("SELECT count(*) FROM workflow_steps WHERE execution_id = ?", (old_execution,))[0][0] == 0

    # The archive holds every deleted row, whole.
    rows = archived_rows(archive)
    archived_tasks = {r["id"]: r for r in rows.get("tasks", [])}
    for task_id in old_done + cancelled:
        assert task_id in archived_tasks, task_id
    sample = archived_tasks[old_done[0]]
    assert sample["status"] == "completed" and json.loads(sample["input_data"]) == {"n": 0}
    assert not set(archived_tasks) & set(waiting + new_done)
    assert old_execution in {r["id"] for r in rows.get("workflow_executions", [])}
    assert old_execution in {r["execution_id"] for r in rows.get("workflow_steps", [])}

    # Events: the old ones are gone (archived), the newest kept, and the changes of leads,
    # companies and deals; since= from before is refused.
    deadline = time.time() + 6
    while time.time() < deadline and server.sql(f"SELECT count(*) FROM events WHERE id <= ? AND NOT ({source})",
                                                (last_old_event - 5,))[0][0]:
        time.sleep(0.3)
    kept = server.sql(f"SELECT MIN(id) FROM events WHERE NOT ({source})")[0][0]
    assert kept > last_old_event - 5
    left = {row[0] for row in server.sql("SELECT id FROM events")}
    assert kept_apart <= left
    archived_events = {r["id"] for r in archived_rows(archive).get("events", [])}
    gone = [i for i in old_events if i not in left]
    assert len(gone) >= len(old_events) - 5
    assert not [i for i in gone if i not in archived_events], "every deleted event is archived"

    async def scenario():
        async with ws.connect(server, ws.NOTIFICATIONS, token=server.token) as sub:
            await ws.send(sub, {"type": "subscribe", "topics": ["tasks.*"], "since": 0})
            reply = await ws.receive(sub)
            assert reply["type"] == "error" and reply["code"] == "resync_required", reply
            assert reply["oldest_since"] >= 1
            await ws.send(sub, {"type": "subscribe", "topics": ["tasks.*"], "since": reply["oldest_since"]})
            assert (await ws.receive(sub))["type"] == "subscribed"
    ws.run(scenario)

    # The summary's counts follow the deletions.
    summary = admin.get("/api/v1/analytics/summary").body
    counts = dict(server.sql("SELECT status, count(*) FROM tasks GROUP BY status"))
    assert {k: v for k, v in summary["tasks_by_status"].items() if v} == counts


def test_retention_is_off_by_default(server_factory):
    server = server_factory("sqlite", env={"DE_RETENTION_INTERVAL": "1"})
    admin = server.admin()
    r = admin.post("/api/v1/tasks/batch", {"tasks": [{"type": "echo"} for _ in range(10)]})
    ids = [t["id"] for t in r.body["items"]]
    time.sleep(2.5)
    assert server.sql("SELECT count(*) FROM tasks WHERE id IN (%s)" % ",".join("?" * len(ids)), ids)[0][0] == 10
    assert server.sql("SELECT count(*) FROM retention_marks")[0][0] == 0


def test_a_retention_setting_must_be_a_number_of_days(server_factory):
    server = server_factory("sqlite", env={"DE_RETENTION_TASKS_DAYS": "soon"}, init=False, start=False)
    out = server.run("serve", "--listen", "127.0.0.1:0", timeout=20)
    assert out.returncode != 0 and "DE_RETENTION_TASKS_DAYS" in (out.stderr + out.stdout)
