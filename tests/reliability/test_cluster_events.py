"""Two nodes on one PostgreSQL database (issue 22): a WebSocket client of either node sees every
node's events, each once and in id order, the same sequence on both; and a client that
resumes with `since=` on the other node gets exactly the rest of it."""
import asyncio
import threading

from support import ws

TASKS_PER_NODE = 600
BATCH = 100


def submit(server, ids):
    client = server.admin()
    for b in range(TASKS_PER_NODE // BATCH):
        r = client.post("/api/v1/tasks/batch",
                        {"tasks": [{"type": "echo", "input_data": {"n": b * BATCH + i}} for i in range(BATCH)]})
        assert r.status == 201, r
        ids.extend(t["id"] for t in r.body["items"])


async def collect(subscriber, finished, timeout=120):
    """The tasks.* events a subscriber receives until `finished(completed ids)` holds."""
    events, completed = [], set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not finished(completed):
        message = await ws.receive(subscriber, timeout=max(1, deadline - loop.time()))
        if message.get("type") != "event":
            continue
        events.append((message["id"], message["topic"], message["data"]["id"]))
        if message["topic"] == "tasks.completed":
            completed.add(message["data"]["id"])
    return events


def test_every_node_streams_every_nodes_events_in_one_order(server_factory):
    first = server_factory("postgres")
    second = server_factory("sqlite", init=False, admin_password=first.admin_password,
                            env={"DE_DATABASE_URL": first.database_url})
    from_first, from_second = [], []

    async def scenario():
        on_first, _ = await ws.subscribe(first, first.token, ["tasks.*"])
        on_second, _ = await ws.subscribe(second, second.token, ["tasks.*"])
        writers = [threading.Thread(target=submit, args=(first, from_first)),
                   threading.Thread(target=submit, args=(second, from_second))]
        for w in writers:
            w.start()
        def finished(completed):  # every task submitted (on either node) seen completed
            return not any(w.is_alive() for w in writers) and set(from_first) | set(from_second) <= completed

        seen = await asyncio.gather(collect(on_first, finished), collect(on_second, finished))
        for w in writers:
            w.join()
        await on_first.close()
        await on_second.close()
        return seen

    seen_on_first, seen_on_second = asyncio.run(scenario())
    ours = set(from_first) | set(from_second)
    for seen in (seen_on_first, seen_on_second):
        ids = [event_id for event_id, _, _ in seen]
        assert ids == sorted(set(ids)), "each event once, in id order"
        completed = {task for _, topic, task in seen if topic == "tasks.completed"}
        assert ours <= completed, f"{len(ours - completed)} tasks' completion not seen"
        created_by_node = {task for _, topic, task in seen if topic == "tasks.created"}
        missing = (set(from_first) | set(from_second)) - created_by_node
        assert not missing, f"{len(missing)} tasks' tasks.created not seen"
    # The same sequence on both nodes (each one's may run a little longer than the other's).
    common = min(len(seen_on_first), len(seen_on_second))
    assert seen_on_first[:common] == seen_on_second[:common]

    # A client that saw half of it on the first node resumes on the second with since=.
    middle = seen_on_first[len(seen_on_first) // 2][0]

    async def resume():
        late, _ = await ws.subscribe(second, second.token, ["tasks.*"], since=middle)
        rest = []
        while len(rest) < len(seen_on_first) - len(seen_on_first) // 2 - 1:
            message = await ws.receive(late)
            if message.get("type") == "event":
                rest.append((message["id"], message["topic"], message["data"]["id"]))
        await late.close()
        return rest

    rest = asyncio.run(resume())
    assert rest == seen_on_first[len(seen_on_first) // 2 + 1:]


def test_another_nodes_event_arrives_at_once_without_polling(server_factory):
    """The second node reads the log only every 10 minutes unless woken: its client sees the
    first node's events in seconds because that node's commits notify (LISTEN/NOTIFY)."""
    quiet = {"DE_EVENT_POLL_MS": "600000"}
    first = server_factory("postgres", env=quiet)
    second = server_factory("sqlite", init=False, admin_password=first.admin_password,
                            env={**quiet, "DE_DATABASE_URL": first.database_url})
    client = first.admin()

    async def scenario():
        on_second, _ = await ws.subscribe(second, second.token, ["companies.*"])
        loop = asyncio.get_running_loop()
        for n in range(5):
            r = client.post("/api/v1/companies", {"name": f"Notified {n}"})
            assert r.status == 201, r
            sent = loop.time()
            message = await ws.next_of_type(on_second, "event", timeout=10)
            assert (message["topic"], message["data"]["id"]) == ("companies.created", r.body["id"])
            assert loop.time() - sent < 5, "woken by the notification, not by the 10-minute poll"
        await on_second.close()

    asyncio.run(scenario())
