"""Tasks running when their node dies (kill -9) are taken back once their lease runs out, on
both databases, and complete exactly once: placed at once on a built-in agent, and held by a
remote agent, with the same node restarted or another node on the same database (issue 24)."""
import asyncio
import http.client
import json
import threading
import time

import pytest

from support import ws

LEASE_SECONDS = 3
BATCH = 100
# Enough to cover the lease, the scan that notices its end, and a loaded machine.
SETTLE_SECONDS = LEASE_SECONDS + 20


def submit_batches(server, accepted, enough, batches=50, clients=4):
    """Posts batches of echo tasks from `clients` connections at once until the server goes away;
    `accepted` gets the ids of every batch answered 201, and `enough` is set once a few batches
    are in. Several clients, so that tasks are running at any moment: one client's batches
    alone left the agent idle between them once PostgreSQL finished a batch within its round
    trip. Returns the threads."""
    headers = {"Authorization": "Bearer " + server.token, "Content-Type": "application/json"}  # one login

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for b in range(batches):
            body = json.dumps({"tasks": [{"type": "echo", "input_data": {"n": b * BATCH + i}} for i in range(BATCH)]})
            try:
                connection.request("POST", "/api/v1/tasks/batch", body, headers)
                response = connection.getresponse()
                payload = json.loads(response.read())
            except (OSError, http.client.HTTPException, ValueError):
                return  # killed: that batch's fate is unknown, so it is not counted
            assert response.status == 201, payload
            accepted.extend(t["id"] for t in payload["items"])
            if len(accepted) >= 5 * BATCH:
                enough.set()
        enough.set()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads


def completions_by_task(server):
    """How many tasks.completed events each task has."""
    counts = {}
    for (data,) in server.sql("SELECT data FROM events WHERE topic = 'tasks.completed'"):
        task_id = (json.loads(data) if isinstance(data, str) else data)["id"]
        counts[task_id] = counts.get(task_id, 0) + 1
    return counts


def wait_until_finished(server, ids, timeout):
    """Polls the database until none of `ids` is queued or running; returns their statuses."""
    wanted = set(ids)
    deadline = time.monotonic() + timeout
    while True:
        statuses = {i: s for i, s in server.sql("SELECT id, status FROM tasks") if i in wanted}
        open_ = [i for i, s in statuses.items() if s in ("pending", "queued", "running")]
        if not open_ or time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_tasks_running_at_a_kill_9_finish_once_after_the_restart(server_factory, backend):
    server = server_factory(backend, env={"DE_TASK_LEASE_SECONDS": str(LEASE_SECONDS)})
    accepted, enough = [], threading.Event()
    threads = submit_batches(server, accepted, enough)
    assert enough.wait(60), "submissions stalled"
    server.kill9()
    for thread in threads:
        thread.join(30)
    assert accepted
    running_at_kill = {i for (i,) in server.sql("SELECT id FROM tasks WHERE status = 'running'")}
    killed_at = time.monotonic()

    server.start()
    statuses = wait_until_finished(server, accepted, SETTLE_SECONDS)
    waited = time.monotonic() - killed_at
    missing = [i for i in accepted if i not in statuses]
    assert not missing, f"{len(missing)} accepted tasks were lost"
    unfinished = {i: s for i, s in statuses.items() if s != "completed"}
    assert not unfinished, (f"{len(unfinished)} of {len(accepted)} tasks not completed {waited:.1f} s after the "
                            f"kill (lease {LEASE_SECONDS} s): {list(unfinished.items())[:5]}\n{server.log_tail(20)}")
    completions = completions_by_task(server)
    twice = {i: n for i, n in completions.items() if n != 1}
    assert not twice, f"completed more than once: {list(twice.items())[:5]}"
    assert all(completions.get(i) == 1 for i in accepted)
    # Tasks running at the kill ran again, on a second attempt. On PostgreSQL (slower commits)
    # the kill finds some running under the clients' load: the path this test is for must be
    # taken there.
    if backend == "postgres":
        assert running_at_kill, "no task was running at the kill: the load did not reach the agent"
    attempts = dict(server.sql("SELECT id, attempts FROM tasks"))
    assert all(attempts[i] == 2 for i in running_at_kill), {i: attempts[i] for i in list(running_at_kill)[:5]}
    assert "a background write failed" not in "".join(server.log_lines())


def finish_offered(agent, server, count, timeout=SETTLE_SECONDS):
    """Receives `count` task offers on a remote agent and completes each; returns their ids."""
    async def run():
        done = []
        for _ in range(count):
            offer = await ws.next_of_type(agent, "task", timeout=timeout)
            task_id = offer["task"]["id"]
            await ws.send(agent, {"type": "result", "task_id": task_id, "status": "completed",
                                  "output_data": {"by": "second"}})
            done.append(task_id)
        return done
    return run()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_tasks_held_by_a_remote_agent_when_its_node_dies_complete_once(server_factory, backend):
    server = server_factory(backend, env={"DE_TASK_LEASE_SECONDS": str(LEASE_SECONDS)})
    key = server.agent_key()
    admin = server.admin()

    async def hold_then_die():
        agent, _ = await ws.register_agent(server, key, "Holder", ["job.hold"])
        ids = []
        for n in range(2):
            r = admin.post("/api/v1/tasks", {"type": "job.hold", "input_data": {"n": n}})
            assert r.status == 201, r
            ids.append(r.body["id"])
        offered = {(await ws.next_of_type(agent, "task"))["task"]["id"] for _ in ids}
        assert offered == set(ids)
        server.kill9()  # the node dies while its agent holds both tasks
        agent.transport.abort()
        return ids

    ids = asyncio.run(hold_then_die())
    assert {s for i, s in server.sql("SELECT id, status FROM tasks") if i in ids} == {"running"}
    server.start()
    admin = server.admin(fresh=True)

    async def take_over():
        agent, _ = await ws.register_agent(server, key, "Holder again", ["job.hold"])
        done = await finish_offered(agent, server, len(ids))
        await agent.close()
        return done

    assert sorted(asyncio.run(take_over())) == sorted(ids)
    statuses = wait_until_finished(server, ids, SETTLE_SECONDS)
    assert set(statuses.values()) == {"completed"}, statuses
    for i in ids:
        task = admin.get(f"/api/v1/tasks/{i}").body
        assert task["attempts"] == 2 and task["output_data"] == {"by": "second"}, task
    assert all(completions_by_task(server).get(i) == 1 for i in ids)


def test_another_node_takes_back_what_a_dead_node_held(server_factory):
    """Two nodes on one PostgreSQL database: the first dies for good holding tasks; the second
    gives them to its own agent once their lease has run out."""
    first = server_factory("postgres", env={"DE_TASK_LEASE_SECONDS": str(LEASE_SECONDS)})
    second = server_factory("sqlite", init=False, admin_password=first.admin_password,
                            env={"DE_TASK_LEASE_SECONDS": str(LEASE_SECONDS), "DE_DATABASE_URL": first.database_url})
    key = first.agent_key()

    async def scenario():
        holder, _ = await ws.register_agent(first, key, "Holder", ["job.hold"])
        r = first.admin().post("/api/v1/tasks", {"type": "job.hold"})
        assert r.status == 201, r
        task_id = r.body["id"]
        offer = await ws.next_of_type(holder, "task")
        assert offer["task"]["id"] == task_id
        first.kill9()
        holder.transport.abort()

        taker, taker_id = await ws.register_agent(second, key, "Taker", ["job.hold"])
        assert await finish_offered(taker, second, 1) == [task_id]
        await taker.close()
        return task_id, taker_id

    task_id, taker_id = asyncio.run(scenario())
    statuses = wait_until_finished(first, [task_id], SETTLE_SECONDS)
    assert statuses[task_id] == "completed"
    task = second.admin().get(f"/api/v1/tasks/{task_id}").body
    assert task["assigned_agent"] == taker_id and task["attempts"] == 2, task
    assert completions_by_task(first).get(task_id) == 1
    # /metrics of the node that took it over counts it (the alert "lease takeovers" reads this)
    metrics = second.client().get("/metrics").body
    assert "de_task_lease_takeovers_total 1\n" in metrics, [l for l in metrics.splitlines() if "takeover" in l]
    second.stop()
