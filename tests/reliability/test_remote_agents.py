"""Remote agents over /ws/agents: re-assignment after a disconnect, and hostile input."""
import asyncio
import json

from support import ws


async def register(server, key, name, capabilities):
    return await ws.register_agent(server, key, name, capabilities, max_concurrency=2)


next_of_type = ws.next_of_type


def test_a_task_held_by_a_vanished_agent_completes_elsewhere(server_factory):
    server = server_factory(env={"DE_TASK_LEASE_SECONDS": "2"})
    key = server.agent_key()
    admin = server.admin()

    async def scenario():
        first, first_id = await register(server, key, "Flaky", ["job.resize"])
        r = admin.post("/api/v1/tasks", {"type": "job.resize", "input_data": {"w": 10}})
        assert r.status == 201
        task = r.body
        offered = await next_of_type(first, "task")
        assert offered["task"]["id"] == task["id"]
        first.transport.abort()  # vanishes without a close frame, mid-task

        second, second_id = await register(server, key, "Steady", ["job.resize"])
        reassigned = await next_of_type(second, "task", timeout=20)
        assert reassigned["task"]["id"] == task["id"]
        await second.send(json.dumps({"type": "result", "task_id": task["id"], "status": "completed",
                                      "output_data": {"w": 20}}))
        for _ in range(100):
            final = admin.get(f"/api/v1/tasks/{task['id']}").body
            if final["status"] == "completed":
                break
            await asyncio.sleep(0.1)
        assert final["status"] == "completed"
        assert final["assigned_agent"] == second_id != first_id
        assert final["output_data"] == {"w": 20}
        assert final["attempts"] == 2
        await second.close()

    ws.run(scenario)


def test_hostile_frames_get_an_error_or_a_close_and_change_nothing(server_factory):
    server = server_factory()
    key = server.agent_key()
    admin = server.admin()

    async def scenario():
        agent, agent_id = await register(server, key, "Probe", ["job.probe"])
        task = admin.post("/api/v1/tasks", {"type": "job.other"}).body
        for bad in ["not json", "[1,2]", json.dumps({"type": "teleport"}), json.dumps({"no": "type"}),
                    json.dumps({"type": "result", "task_id": task["id"], "status": "completed", "output_data": {}}),
                    json.dumps({"type": "result", "task_id": task["id"], "status": "weird"}),
                    json.dumps({"type": "register", "name": "Again", "capabilities": []})]:
            await agent.send(bad)
            reply = await ws.receive(agent, 10)
            assert reply["type"] == "error", (bad, reply)
        unchanged = admin.get(f"/api/v1/tasks/{task['id']}").body
        assert unchanged["status"] == "queued" and unchanged["output_data"] is None

        await agent.send("x" * (70 * 1024))  # over the 64 KiB message limit
        try:
            await asyncio.wait_for(agent.recv(), 10)
            assert False, "an oversize frame must close the connection"
        except ws.ConnectionClosed as closed:
            assert closed.code == 1009

        binary, _ = await register(server, key, "Binary", ["job.probe"])
        await binary.send(b"\x00\x01")
        try:
            await asyncio.wait_for(binary.recv(), 10)
            assert False, "a binary frame must close the connection"
        except ws.ConnectionClosed as closed:
            assert closed.code == 1003

        # Unauthenticated or under-privileged upgrades are refused before the handshake.
        for headers, code in [({}, 401), ({"Authorization": "Bearer " + server.token[:-2] + "xx"}, 401)]:
            assert await ws.refused(server, ws.AGENTS, headers=headers) == code
        viewer = admin.post("/api/v1/api-keys", {"name": "v", "roles": ["viewer"]}).body
        assert await ws.refused(server, ws.AGENTS, api_key=viewer["key"]) == 403
        # The server is still fine.
        assert server.client().get("/healthz").status == 200

    ws.run(scenario)


def test_notifications_replay_then_go_live_without_gap(server_factory):
    server = server_factory()
    admin = server.admin()

    async def scenario():
        for n in range(20):
            admin.post("/api/v1/tasks", {"type": "nobody.handles", "input_data": {"n": n}})
        async with ws.connect(server, ws.NOTIFICATIONS, token=server.token) as notifications:
            await notifications.send(json.dumps({"type": "subscribe", "topics": ["tasks.created"], "since": 0}))
            assert json.loads(await notifications.recv())["type"] == "subscribed"
            for n in range(20, 30):
                admin.post("/api/v1/tasks", {"type": "nobody.handles", "input_data": {"n": n}})
            seen = []
            while len(seen) < 30:
                event = await ws.receive(notifications, 10)
                assert event["type"] == "event" and event["topic"] == "tasks.created"
                seen.append((event["id"], event["data"]["input_data"]["n"]))
            assert [n for _, n in seen] == list(range(30))
            assert [i for i, _ in seen] == sorted(i for i, _ in seen)
            await notifications.send(json.dumps({"type": "ping"}))
            assert json.loads(await notifications.recv())["type"] == "pong"
            await notifications.send("{broken")
            assert json.loads(await notifications.recv())["type"] == "error"

    ws.run(scenario)


def test_a_task_past_its_timeout_is_retried_then_fails_while_a_longer_one_runs_on(server_factory):
    server = server_factory()
    key = server.agent_key()
    admin = server.admin()

    async def scenario():
        agent, agent_id = await register(server, key, "Silent", ["job.silent"])
        # The long task starts first, so that the short one's deadline is the earlier one later.
        long_task = admin.post("/api/v1/tasks", {"type": "job.silent", "timeout_ms": 60000}).body
        assert (await next_of_type(agent, "task"))["task"]["id"] == long_task["id"]
        short = admin.post("/api/v1/tasks", {"type": "job.silent", "timeout_ms": 400, "max_attempts": 2}).body
        offers = 0
        for _ in range(200):
            final = admin.get(f"/api/v1/tasks/{short['id']}").body
            if final["status"] == "failed":
                break
            await asyncio.sleep(0.05)
        assert final["status"] == "failed", final
        assert final["error"] == "timed out after 400 ms"
        assert final["attempts"] == 2
        # The agent was offered it twice (never answering) and meanwhile keeps the long one.
        while True:
            try:
                message = json.loads(await asyncio.wait_for(agent.recv(), 1))
            except asyncio.TimeoutError:
                break
            offers += message["type"] == "task" and message["task"]["id"] == short["id"]
        assert offers == 2
        running = admin.get(f"/api/v1/tasks/{long_task['id']}").body
        assert running["status"] == "running"
        await agent.send(json.dumps({"type": "result", "task_id": long_task["id"], "status": "completed",
                                     "output_data": {"ok": True}}))
        for _ in range(100):
            done = admin.get(f"/api/v1/tasks/{long_task['id']}").body
            if done["status"] == "completed":
                break
            await asyncio.sleep(0.05)
        assert done["status"] == "completed" and done["attempts"] == 1
        await agent.close()

    ws.run(scenario)
