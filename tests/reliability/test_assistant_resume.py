"""An assistant run survives kill -9 and a server that stands still past its lease (docs/ai.md,
"Tool-using agents"): a tool call waiting for a person's approval is still waiting afterwards,
the approval given then lets the run go on from its kept steps, and neither the model call
made before nor the tool runs twice."""
import signal
import time

import pytest

from support.helpers import wait_for

LEASE_SECONDS = 3


def start_guarded_run(server, order):
    """An assistant whose echo tool needs approval, asked to echo `order`; returns the admin
    client, the agent, the task's id and the approval it waits for."""
    admin = server.admin()
    r = admin.post("/api/v1/agents", {"name": "guarded", "type": "assistant",
                                      "config": {"tools": [{"name": "echo", "requires_approval": True}]}})
    assert r.status == 201, r
    agent = r.body
    r = admin.post("/api/v1/tasks", {"type": "assistant.run", "assigned_agent": agent["id"],
                                     "input_data": {"prompt": f'Echo this: {{"order": {order}}}'}})
    assert r.status == 201, r
    task_id = r.body["id"]
    approval = wait_for(lambda: next((a for a in admin.get("/api/v1/tool-approvals?status=waiting").body["items"]
                                      if a["task_id"] == task_id), None), message="a waiting approval")
    return admin, agent, task_id, approval


def approve_and_check_the_run(server, admin, agent, task_id, approval, order, comment):
    """Approves the call, waits for the run, and checks it went on once from its kept steps."""
    r = admin.post(f"/api/v1/tool-approvals/{approval['id']}/approve", {"approved": True, "comment": comment})
    assert r.status == 200, r
    # SQLite takes a task back at start-up; PostgreSQL once its lease has run out.
    done = wait_for(lambda: (t := admin.get(f"/api/v1/tasks/{task_id}").body)["status"] in ("completed", "failed") and t,
                    timeout=LEASE_SECONDS + 30, message="the run to finish")
    assert done["status"] == "completed", done
    steps = done["output_data"]["steps"]
    assert [s["type"] for s in steps] == ["model", "approval", "tool", "model"], steps
    assert steps[2]["approval"]["comment"] == comment and steps[2]["result"]["output"] == {"order": order}
    assert len(server.sql("SELECT id FROM tasks WHERE type = 'echo'")) == 1, "the tool ran once"
    calls = server.sql("SELECT count(*) FROM ai_calls WHERE agent_id = ?", (agent["id"],))
    assert calls[0][0] == 2, "the model call made before was not made again"
    assert server.sql("SELECT count(*) FROM assistant_runs")[0][0] == 0, "the finished run's kept state is gone"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_an_approval_waiting_at_a_kill_9_still_decides_the_run_after_the_restart(server_factory, backend):
    server = server_factory(backend, env={"DE_TASK_LEASE_SECONDS": str(LEASE_SECONDS)})
    _, agent, task_id, approval = start_guarded_run(server, 77)

    server.kill9()
    server.start()
    admin = server.admin(fresh=True)
    waiting = admin.get("/api/v1/tool-approvals?status=waiting").body["items"]
    assert [a["id"] for a in waiting if a["task_id"] == task_id] == [approval["id"]], "the same approval still waits"
    approve_and_check_the_run(server, admin, agent, task_id, approval, 77, "after the crash")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_run_whose_lease_ran_out_while_the_server_stood_still_goes_on_once_from_its_steps(server_factory, backend):
    """The server frozen (SIGSTOP) for longer than the task's lease while the run waits: a
    lease it finds run out on waking stops that run before the task runs again (before, the
    tool ran twice)."""
    server = server_factory(backend, env={"DE_TASK_LEASE_SECONDS": str(LEASE_SECONDS)})
    admin, agent, task_id, approval = start_guarded_run(server, 78)

    # On waking, the server either renews the lease before it reads it as run out (nobody else
    # took it) or stops the run and takes the task over; a lease later, either has happened.
    server.process.send_signal(signal.SIGSTOP)
    time.sleep(LEASE_SECONDS + 1)
    server.process.send_signal(signal.SIGCONT)
    time.sleep(LEASE_SECONDS + 1)
    approve_and_check_the_run(server, admin, agent, task_id, approval, 78, "after the freeze")
