"""Remote agents over /ws/agents: re-assignment after a disconnect, and hostile input."""
import asyncio
import json

import websockets


def ws_url(server, path):
    return f"ws://127.0.0.1:{server.port}{path}"


async def register(server, key, name, capabilities):
    ws = await websockets.connect(ws_url(server, "/ws/agents"), extra_headers={"X-API-Key": key})
    await ws.send(json.dumps({"type": "register", "name": name, "capabilities": capabilities, "max_concurrency": 2}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert reply["type"] == "registered", reply
    return ws, reply["agent_id"]


async def next_of_type(ws, kind, timeout=15):
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == kind:
            return message


def test_a_task_held_by_a_vanished_agent_completes_elsewhere(make_server):
    server = make_server(DE_TASK_LEASE_SECONDS="2")
    key = server.agent_key()

    async def scenario():
        first, first_id = await register(server, key, "Flaky", ["job.resize"])
        status, task = server.request("POST", "/api/v1/tasks", {"type": "job.resize", "input_data": {"w": 10}})
        assert status == 201
        offered = await next_of_type(first, "task")
        assert offered["task"]["id"] == task["id"]
        first.transport.abort()  # vanishes without a close frame, mid-task

        second, second_id = await register(server, key, "Steady", ["job.resize"])
        reassigned = await next_of_type(second, "task", timeout=20)
        assert reassigned["task"]["id"] == task["id"]
        await second.send(json.dumps({"type": "result", "task_id": task["id"], "status": "completed",
                                      "output_data": {"w": 20}}))
        for _ in range(100):
            status, final = server.request("GET", f"/api/v1/tasks/{task['id']}")
            if final["status"] == "completed":
                break
            await asyncio.sleep(0.1)
        assert final["status"] == "completed"
        assert final["assigned_agent"] == second_id != first_id
        assert final["output_data"] == {"w": 20}
        assert final["attempts"] == 2
        await second.close()

    asyncio.run(scenario())


def test_hostile_frames_get_an_error_or_a_close_and_change_nothing(make_server):
    server = make_server()
    key = server.agent_key()

    async def scenario():
        ws, agent_id = await register(server, key, "Probe", ["job.probe"])
        status, task = server.request("POST", "/api/v1/tasks", {"type": "job.other"})
        for bad in ["not json", "[1,2]", json.dumps({"type": "teleport"}), json.dumps({"no": "type"}),
                    json.dumps({"type": "result", "task_id": task["id"], "status": "completed", "output_data": {}}),
                    json.dumps({"type": "result", "task_id": task["id"], "status": "weird"}),
                    json.dumps({"type": "register", "name": "Again", "capabilities": []})]:
            await ws.send(bad)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["type"] == "error", (bad, reply)
        status, unchanged = server.request("GET", f"/api/v1/tasks/{task['id']}")
        assert unchanged["status"] == "queued" and unchanged["output_data"] is None

        await ws.send("x" * (70 * 1024))  # over the 64 KiB message limit
        try:
            await asyncio.wait_for(ws.recv(), 10)
            assert False, "an oversize frame must close the connection"
        except websockets.ConnectionClosed as closed:
            assert closed.code == 1009

        binary, _ = await register(server, key, "Binary", ["job.probe"])
        await binary.send(b"\x00\x01")
        try:
            await asyncio.wait_for(binary.recv(), 10)
            assert False, "a binary frame must close the connection"
        except websockets.ConnectionClosed as closed:
            assert closed.code == 1003

        # Unauthenticated or under-privileged upgrades are refused before the handshake.
        for headers, code in [({}, 401), ({"Authorization": "Bearer " + server.token[:-2] + "xx"}, 401)]:
            try:
                await websockets.connect(ws_url(server, "/ws/agents"), extra_headers=headers)
                assert False
            except websockets.InvalidStatusCode as refused:
                assert refused.status_code == code
        status, viewer = server.request("POST", "/api/v1/api-keys", {"name": "v", "roles": ["viewer"]})
        try:
            await websockets.connect(ws_url(server, "/ws/agents"), extra_headers={"X-API-Key": viewer["key"]})
            assert False
        except websockets.InvalidStatusCode as refused:
            assert refused.status_code == 403
        # The server is still fine.
        assert server.request("GET", "/healthz", token=None)[0] == 200

    asyncio.run(scenario())


def test_notifications_replay_then_go_live_without_gap(make_server):
    server = make_server()

    async def scenario():
        for n in range(20):
            server.request("POST", "/api/v1/tasks", {"type": "nobody.handles", "input_data": {"n": n}})
        async with websockets.connect(ws_url(server, f"/ws/notifications?access_token={server.token}")) as ws:
            await ws.send(json.dumps({"type": "subscribe", "topics": ["tasks.created"], "since": 0}))
            assert json.loads(await ws.recv())["type"] == "subscribed"
            for n in range(20, 30):
                server.request("POST", "/api/v1/tasks", {"type": "nobody.handles", "input_data": {"n": n}})
            seen = []
            while len(seen) < 30:
                event = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert event["type"] == "event" and event["topic"] == "tasks.created"
                seen.append((event["id"], event["data"]["input_data"]["n"]))
            assert [n for _, n in seen] == list(range(30))
            assert [i for i, _ in seen] == sorted(i for i, _ in seen)
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
            await ws.send("{broken")
            assert json.loads(await ws.recv())["type"] == "error"

    asyncio.run(scenario())


def test_a_task_past_its_timeout_is_retried_then_fails_while_a_longer_one_runs_on(make_server):
    server = make_server()
    key = server.agent_key()

    async def scenario():
        ws, agent_id = await register(server, key, "Silent", ["job.silent"])
        # The long task starts first, so that the short one's deadline is the earlier one later.
        _, long_task = server.request("POST", "/api/v1/tasks", {"type": "job.silent", "timeout_ms": 60000})
        assert (await next_of_type(ws, "task"))["task"]["id"] == long_task["id"]
        _, short = server.request("POST", "/api/v1/tasks",
                                  {"type": "job.silent", "timeout_ms": 400, "max_attempts": 2})
        offers = 0
        for _ in range(200):
            status, final = server.request("GET", f"/api/v1/tasks/{short['id']}")
            if final["status"] == "failed":
                break
            await asyncio.sleep(0.05)
        assert final["status"] == "failed", final
        assert final["error"] == "timed out after 400 ms"
        assert final["attempts"] == 2
        # The agent was offered it twice (never answering) and meanwhile keeps the long one.
        while True:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 1))
            except asyncio.TimeoutError:
                break
            offers += message["type"] == "task" and message["task"]["id"] == short["id"]
        assert offers == 2
        status, running = server.request("GET", f"/api/v1/tasks/{long_task['id']}")
        assert running["status"] == "running"
        await ws.send(json.dumps({"type": "result", "task_id": long_task["id"], "status": "completed",
                                  "output_data": {"ok": True}}))
        for _ in range(100):
            status, done = server.request("GET", f"/api/v1/tasks/{long_task['id']}")
            if done["status"] == "completed":
                break
            await asyncio.sleep(0.05)
        assert done["status"] == "completed" and done["attempts"] == 1
        await ws.close()

    asyncio.run(scenario())
