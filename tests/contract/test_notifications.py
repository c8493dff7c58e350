"""/ws/notifications: subscribe, every matching event once and in order, replay from an event id,
the protocol's own messages, WebSocket pings and closes, and frames of every length encoding."""
import asyncio
import json

from support import ws as wsc
from support.helpers import uid

TASKS = "/api/v1/tasks"


async def subscribe(srv, topics, since=None, role="viewer"):
    ws, reply = await wsc.subscribe(srv, srv.tokens[role], topics, since=since)
    return ws, reply["last_event_id"]


receive = wsc.receive


async def events_until(ws, done, timeout=30):
    """Event messages until done(events) holds."""
    events = []
    while not done(events):
        message = await receive(ws, timeout)
        assert message["type"] == "event", message
        events.append(message)
    return events


def finished_ids(events, ids):
    return {e["data"]["id"] for e in events if e["topic"] == "tasks.completed"} >= ids


run = wsc.run


def create_echo_tasks(srv, count, **input_data):
    r = srv.as_("operator").post(f"{TASKS}/batch", {"tasks": [{"type": "echo", "input_data": {"k": k, **input_data}}
                                                             for k in range(count)]})
    assert r.status == 201, r
    return {t["id"] for t in r.body["items"]}


def test_each_subscriber_gets_every_matching_event_once_in_order(srv):
    async def scenario():
        tasks_ws, _ = await subscribe(srv, ["tasks.*"])
        agents_ws, _ = await subscribe(srv, ["agents.updated"])
        ids = create_echo_tasks(srv, 50)
        events = await events_until(tasks_ws, lambda ev: finished_ids(ev, ids))
        mine = [e for e in events if e["data"].get("id") in ids]
        assert [e["id"] for e in events] == sorted({e["id"] for e in events}), "ids strictly increase"
        for task_id in ids:
            topics = [e["topic"] for e in mine if e["data"]["id"] == task_id]
            assert topics == ["tasks.created", "tasks.running", "tasks.completed"], topics
        # Each event carries the task as it was then (created: already running when an agent
        # had room); the last one, the task as stored.
        for e in mine:
            expected = ("queued", "running") if e["topic"] == "tasks.created" else (e["topic"].split(".")[1],)
            assert e["data"]["status"] in expected, e
        for e in (e for e in mine if e["topic"] == "tasks.completed"):
            assert e["data"] == srv.admin.get(f"{TASKS}/{e['data']['id']}").body
        assert all(e["topic"].startswith("tasks.") for e in events)
        # The other subscriber's topic never carries a task event.
        await agents_ws.send(json.dumps({"type": "ping"}))
        while (message := await receive(agents_ws))["type"] != "pong":
            assert message["type"] == "event" and message["topic"] == "agents.updated", message
        await tasks_ws.close()
        await agents_ws.close()

    run(scenario)


def test_since_replays_the_log_then_continues_live_without_gap_or_duplicate(srv):
    async def scenario():
        watcher, last = await subscribe(srv, ["tasks.*"])
        before = create_echo_tasks(srv, 20)
        await events_until(watcher, lambda ev: finished_ids(ev, before))
        await watcher.close()
        late, _ = await subscribe(srv, ["tasks.*"], since=last)
        after = create_echo_tasks(srv, 20)
        events = await events_until(late, lambda ev: finished_ids(ev, before | after))
        ids = [e["id"] for e in events]
        assert ids == sorted(set(ids)) and ids[0] > last, "in order, no duplicate, nothing before since"
        for task_id in before | after:
            assert [e["topic"] for e in events if e["data"]["id"] == task_id] == \
                ["tasks.created", "tasks.running", "tasks.completed"]
        await late.close()

    run(scenario)


def test_events_of_every_frame_length_arrive_whole(srv):
    # Frame lengths: under 126 bytes, up to 65,535 (16-bit length) and over (64-bit length).
    async def scenario():
        ws, _ = await subscribe(srv, ["workflows.sizes"])
        sizes = [0, 500, 70000, 300000]
        r = srv.admin.post("/api/v1/workflows", {
            "name": f"sizes-{uid()}", "status": "active",
            "definition": {"trigger": {"type": "webhook"},
                           "steps": [{"id": "say", "type": "notify", "topic": "workflows.sizes",
                                      "payload": {"text": "{{input.text}}"}}]}})
        assert r.status == 201, r
        for size in sizes:
            hook = srv.anonymous().post(r.body["webhook_url"], {"text": "x" * size})
            assert hook.status in (200, 202), hook
            event = await receive(ws)
            assert event["topic"] == "workflows.sizes" and event["data"]["payload"]["text"] == "x" * size
        await ws.close()

    run(scenario)


def test_protocol_messages_websocket_pings_and_closes(srv):
    async def scenario():
        ws, _ = await subscribe(srv, ["tasks.*"])
        ids = create_echo_tasks(srv, 30)
        # A WebSocket ping is answered while events stream.
        pong = await ws.ping()
        await asyncio.wait_for(pong, 10)
        await ws.send("not json")
        seen_error = False
        events = []
        while not (seen_error and finished_ids(events, ids)):
            message = await receive(ws)
            if message["type"] == "error":
                assert "JSON" in message["message"]
                seen_error = True
            else:
                events.append(message)
        await ws.send(json.dumps({"type": "unsubscribe"}))
        while (message := await receive(ws))["type"] != "unsubscribed":
            assert message["type"] == "event"
        # Binary messages are refused with a close frame (1003), after what was queued.
        await ws.send(b"\x00\x01")
        try:
            while True:
                await receive(ws)
        except wsc.ConnectionClosed as closed:
            assert closed.code == 1003
        # A client's close is answered with a close.
        ws2, _ = await subscribe(srv, ["tasks.*"])
        await ws2.close(code=1000)
        assert ws2.close_code == 1000

    run(scenario)


def test_a_refused_token_gets_no_socket(srv):
    async def scenario():
        assert await wsc.refused(srv, wsc.NOTIFICATIONS, token="not-a-token") == 401

    run(scenario)


def test_an_agents_busy_idle_status_is_stored_at_most_once_a_second(srv):
    # Twenty tasks one after another, each done before the next: the echo agent turns busy and
    # idle twenty times, but its status is written (with an agents.updated event) at most once
    # a second, the latest state winning, so it ends idle after a few events instead of forty.
    async def scenario():
        ws, _ = await subscribe(srv, ["agents.updated", "tasks.completed"])
        # A status written by an earlier test less than a second ago would hold back the first
        # write until after the twenty tasks, when the agent is idle again and nothing changed.
        await asyncio.sleep(1.1)
        agent = None
        for k in range(20):
            r = srv.as_("operator").post(TASKS, {"type": "echo", "input_data": {"k": k}})
            assert r.status == 201, r
            agent = r.body["assigned_agent"] or agent
            await asyncio.sleep(0.03)
        assert agent, "the echo tasks were placed on an agent"
        events = []
        loop = asyncio.get_running_loop()
        until = loop.time() + 2.5
        while (left := until - loop.time()) > 0:
            try:
                events.append(await receive(ws, left))
            except asyncio.TimeoutError:
                break
        await ws.close()
        statuses = [e["data"]["status"] for e in events if e["topic"] == "agents.updated" and e["data"]["id"] == agent]
        assert len([e for e in events if e["topic"] == "tasks.completed"]) >= 1
        assert 1 <= len(statuses) <= 5, statuses
        assert statuses[-1] == "idle", statuses
    run(scenario)
